//! Client credentials against a real OpenID provider (node-oidc-provider on
//! 127.0.0.1, see tests/idp): post and basic authentication, wrong secrets,
//! caching, expiry, invalidation, stampedes, HTTPS with a test CA, opaque
//! and JWT tokens.

mod common;

use common::idp::{jwt_claims, unique_client_id, Idp};
use firecrest_auth::{Auth, ClientAuthMethod, Secret, Status};
use serde_json::json;
use std::sync::{Arc, Barrier};
use std::time::Duration;

fn token(auth: &Auth) -> Result<String, firecrest_auth::Error> {
    auth.with_token(|t| t.token().to_owned())
}

#[test]
fn client_secret_post_gets_a_token_and_caches_it() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("post", 300);
    let auth = Auth::client_credentials(&idp.token_endpoint, &id, Secret::new(secret)).unwrap();
    let first = token(&auth).unwrap();
    for _ in 0..100 {
        assert_eq!(token(&auth).unwrap(), first);
    }
    assert_eq!(idp.token_requests(&id), 1, "100 calls, one request");
    let expires_at = auth.with_token(|t| t.expires_at_unix()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    assert!((expires_at - now.as_secs() as i64 - 300).abs() <= 3);
}

#[test]
fn client_secret_basic_with_special_characters() {
    let idp = Idp::shared();
    let id = unique_client_id("basic");
    let secret = "a+b/c=d:e%f&g h";
    idp.register_client(json!({
        "client_id": id,
        "client_secret": secret,
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["client_credentials"],
        "access_token_ttl": 300,
    }));
    let auth = Auth::client_credentials(&idp.token_endpoint, &id, Secret::new(secret)).unwrap();
    auth.set_client_auth_method(ClientAuthMethod::Basic);
    assert!(!token(&auth).unwrap().is_empty());

    // The bundled static client with the same secret.
    let auth =
        Auth::client_credentials(&idp.token_endpoint, "cc-basic", Secret::new(secret)).unwrap();
    auth.set_client_auth_method(ClientAuthMethod::Basic);
    assert!(!token(&auth).unwrap().is_empty());
}

#[test]
fn a_wrong_secret_is_invalid_client_with_a_clear_message() {
    let idp = Idp::shared();
    let (id, _) = idp.new_cc_client("wrong", 300);
    let wrong = "not-the-secret-42";
    let auth = Auth::client_credentials(&idp.token_endpoint, &id, Secret::new(wrong)).unwrap();
    let err = token(&auth).unwrap_err();
    assert_eq!(err.status(), Status::InvalidClient);
    let message = err.message();
    assert!(message.contains(&idp.token_endpoint), "{message}");
    assert!(
        message.contains("HTTP 401") || message.contains("HTTP 400"),
        "{message}"
    );
    assert!(message.contains("invalid_client"), "{message}");
    assert!(!message.contains(wrong), "{message}");
    assert_eq!(idp.token_requests(&id), 1, "invalid_client is not retried");
}

#[test]
fn short_tokens_are_renewed_after_expiry() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("short", 2);
    let auth = Auth::client_credentials(&idp.token_endpoint, &id, Secret::new(secret)).unwrap();
    let first = token(&auth).unwrap();
    assert_eq!(
        token(&auth).unwrap(),
        first,
        "a fresh 2 s token is not refetched at once"
    );
    std::thread::sleep(Duration::from_millis(1200));
    let second = token(&auth).unwrap();
    assert_ne!(first, second);
    assert_eq!(idp.token_requests(&id), 2);
}

#[test]
fn many_threads_at_expiry_make_one_request() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("stampede", 2);
    let auth =
        Arc::new(Auth::client_credentials(&idp.token_endpoint, &id, Secret::new(secret)).unwrap());
    token(&auth).unwrap();
    // Past the expiry, so nobody may keep using the old token meanwhile.
    std::thread::sleep(Duration::from_millis(2100));
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (auth, barrier) = (Arc::clone(&auth), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                token(&auth).unwrap()
            })
        })
        .collect();
    let tokens: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(tokens.iter().all(|t| t == &tokens[0]));
    assert_eq!(
        idp.token_requests(&id),
        2,
        "one initial fetch, one renewal for 16 threads"
    );
}

#[test]
fn invalidate_from_many_threads_causes_one_fetch() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("invalidate", 300);
    let auth =
        Arc::new(Auth::client_credentials(&idp.token_endpoint, &id, Secret::new(secret)).unwrap());
    let rejected = token(&auth).unwrap();
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (auth, barrier, rejected) =
                (Arc::clone(&auth), Arc::clone(&barrier), rejected.clone());
            std::thread::spawn(move || {
                barrier.wait();
                auth.invalidate(Some(rejected.as_bytes()));
                token(&auth).unwrap()
            })
        })
        .collect();
    for thread in threads {
        assert_ne!(thread.join().unwrap(), rejected);
    }
    assert_eq!(
        idp.token_requests(&id),
        2,
        "eight reports of one token, one new fetch"
    );
}

#[test]
fn opaque_without_resource_and_jwt_with_it() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("formats", 300);
    let auth = Auth::client_credentials(&idp.token_endpoint, &id, Secret::new(secret)).unwrap();
    let opaque = token(&auth).unwrap();
    assert!(
        jwt_claims(&opaque).is_none(),
        "no resource: an opaque token"
    );

    auth.set_resource(Some("https://firecrest.test".into()));
    let jwt = token(&auth).unwrap();
    let claims = jwt_claims(&jwt).expect("a JWT");
    assert_eq!(claims["aud"], "https://firecrest.test");
    assert_eq!(claims["sub"], id.as_str());
    let exp = claims["exp"].as_i64().unwrap();
    assert!((auth.with_token(|t| t.expires_at_unix()).unwrap() - exp).abs() <= 2);
}

#[test]
fn transient_failures_from_the_provider_are_retried() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("retry", 300);
    idp.fail_next(&id, 1, 503, None);
    let auth = Auth::client_credentials(&idp.token_endpoint, &id, Secret::new(secret)).unwrap();
    assert!(!token(&auth).unwrap().is_empty());
    assert_eq!(idp.token_requests(&id), 2);
}

#[test]
fn https_with_the_test_ca_and_without_it() {
    let (idp, ca) = Idp::start_tls();
    let (id, secret) = idp.new_cc_client("tls", 300);
    let auth =
        Auth::client_credentials(&idp.token_endpoint, &id, Secret::new(secret.clone())).unwrap();
    auth.set_max_retries(0);
    let err = token(&auth).unwrap_err();
    assert_eq!(err.status(), Status::Tls, "{}", err.message());
    assert_eq!(idp.token_requests(&id), 0);

    auth.set_ca_file(Some(ca)).unwrap();
    assert!(!token(&auth).unwrap().is_empty());
    assert_eq!(idp.token_requests(&id), 1);
}

#[test]
fn discovery_finds_the_token_endpoint() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("discover", 300);
    let auth = Auth::client_credentials_from_issuer(&idp.issuer, &id, Secret::new(secret)).unwrap();
    assert!(!token(&auth).unwrap().is_empty());
    assert_eq!(idp.token_requests(&id), 1);
}

#[test]
fn discovery_refuses_an_issuer_that_does_not_match() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("mismatch", 300);
    let wrong_issuer = idp.issuer.replace("127.0.0.1", "localhost");
    let auth =
        Auth::client_credentials_from_issuer(&wrong_issuer, &id, Secret::new(secret)).unwrap();
    let err = token(&auth).unwrap_err();
    assert_eq!(err.status(), Status::Discovery, "{}", err.message());
    assert!(
        err.message().contains("names the issuer"),
        "{}",
        err.message()
    );
}

#[test]
fn the_system_store_honours_ssl_cert_file() {
    // The system store is read once per process, so a child process with
    // SSL_CERT_FILE pointing at the test CA does the fetch.
    let (idp, ca) = Idp::start_tls();
    let (id, secret) = idp.new_cc_client("sslcertfile", 300);
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_fetches_over_https_with_the_system_store",
        ])
        .env("SSL_CERT_FILE", &ca)
        .env_remove("SSL_CERT_DIR")
        .env("F7T_TEST_TOKEN_URL", &idp.token_endpoint)
        .env("F7T_TEST_CLIENT", &id)
        .env("F7T_TEST_SECRET", &secret)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(idp.token_requests(&id), 1);
}

#[test]
#[ignore = "runs only as a child process of another test"]
fn child_fetches_over_https_with_the_system_store() {
    let url = std::env::var("F7T_TEST_TOKEN_URL").unwrap();
    let client = std::env::var("F7T_TEST_CLIENT").unwrap();
    let secret = std::env::var("F7T_TEST_SECRET").unwrap();
    let auth = Auth::client_credentials(&url, &client, Secret::new(secret)).unwrap();
    auth.set_max_retries(0);
    token(&auth).unwrap();
}
