//! Checks the test OpenID provider (`tests/idp/server.js`) and its harness
//! with raw HTTP requests only, so that failures in the client's own tests
//! against it can be trusted to come from the client.

#[path = "common/idp.rs"]
mod idp;

use idp::{jwt_claims, unique_client_id, Idp, DEVICE_GRANT};
use serde_json::{json, Value};
use std::process::Command;
use std::thread;
use std::time::Duration;

fn client_credentials(
    idp: &Idp,
    id: &str,
    secret: &str,
    extra: &[(&str, &str)],
) -> idp::HttpResponse {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", id),
        ("client_secret", secret),
    ];
    form.extend_from_slice(extra);
    idp.post_form("/token", &form, None)
}

/// Starts a device login for `client_id`; returns the device authorization
/// response.
fn device_authorize(idp: &Idp, client_id: &str, secret: Option<&str>, scope: &str) -> Value {
    let mut form = vec![("client_id", client_id), ("scope", scope)];
    if let Some(secret) = secret {
        form.push(("client_secret", secret));
    }
    let resp = idp.post_form("/device/auth", &form, None);
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.json()
}

fn poll(idp: &Idp, client_id: &str, device_code: &str) -> idp::HttpResponse {
    idp.post_form(
        "/token",
        &[
            ("grant_type", DEVICE_GRANT),
            ("client_id", client_id),
            ("device_code", device_code),
        ],
        None,
    )
}

fn refresh(idp: &Idp, client_id: &str, refresh_token: &str) -> idp::HttpResponse {
    idp.post_form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
        ],
        None,
    )
}

fn public_device_client(idp: &Idp, extra: Value) -> String {
    let id = unique_client_id("dev");
    let mut spec = json!({
        "client_id": id,
        "token_endpoint_auth_method": "none",
        "grant_types": ["device_code", "refresh_token"],
        "scope": "openid offline_access",
        "access_token_ttl": 30,
    });
    for (k, v) in extra.as_object().expect("object") {
        spec[k] = v.clone();
    }
    idp.register_client(spec);
    id
}

#[test]
fn discovery_lists_the_endpoints_the_harness_uses() {
    let idp = Idp::shared();
    let doc = idp.get("/.well-known/openid-configuration").json();
    assert_eq!(doc["issuer"], idp.issuer.as_str());
    assert!(!idp.issuer.ends_with('/'));
    assert_eq!(doc["token_endpoint"], idp.token_endpoint.as_str());
    assert_eq!(
        doc["device_authorization_endpoint"],
        idp.device_endpoint.as_str()
    );
    assert_eq!(doc["jwks_uri"], idp.jwks_uri.as_str());
    let grants = doc["grant_types_supported"].to_string();
    for grant in ["client_credentials", "refresh_token", DEVICE_GRANT] {
        assert!(grants.contains(grant), "{grant} missing from {grants}");
    }
}

#[test]
fn registered_client_gets_an_opaque_token_with_its_lifetime_and_is_counted() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("cc", 2);
    assert_eq!(idp.token_requests(&id), 0);

    let resp = client_credentials(idp, &id, &secret, &[]);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    let body = resp.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 2);
    let token = body["access_token"].as_str().unwrap();
    assert!(
        jwt_claims(token).is_none(),
        "expected an opaque token: {token}"
    );
    assert_eq!(idp.token_requests(&id), 1);

    let bad = client_credentials(idp, &id, "wrong", &[]);
    assert_eq!(bad.status, 401, "{}", bad.body);
    assert_eq!(bad.json()["error"], "invalid_client");
    assert_eq!(idp.token_requests(&id), 2);
    assert_eq!(idp.token_requests_by_grant(&id, "client_credentials"), 2);
}

#[test]
fn resource_or_audience_gives_a_jwt_for_that_audience() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("jwt", 60);

    let resp = client_credentials(idp, &id, &secret, &[("resource", "https://firecrest.test")]);
    assert_eq!(resp.status, 200, "{}", resp.body);
    let claims = jwt_claims(resp.json()["access_token"].as_str().unwrap()).expect("a JWT");
    assert_eq!(claims["aud"], "https://firecrest.test");
    assert_eq!(claims["sub"], id.as_str());
    assert_eq!(claims["client_id"], id.as_str());
    assert_eq!(claims["iss"], idp.issuer.as_str());
    let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert_eq!(lifetime, 60);

    // Keycloak/Auth0 style, including a non-URI audience.
    for aud in ["https://api.example.test", "firecrest-v2"] {
        let resp = client_credentials(idp, &id, &secret, &[("audience", aud)]);
        assert_eq!(resp.status, 200, "{}", resp.body);
        let claims = jwt_claims(resp.json()["access_token"].as_str().unwrap()).expect("a JWT");
        assert_eq!(claims["aud"], aud);
    }

    // The static client with scopes.
    let resp = client_credentials(
        idp,
        "cc-post",
        "cc-post-secret",
        &[
            ("resource", "https://firecrest.test"),
            ("scope", "firecrest"),
        ],
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    let claims = jwt_claims(resp.json()["access_token"].as_str().unwrap()).expect("a JWT");
    assert_eq!(claims["scope"], "firecrest");
    assert_eq!(claims["sub"], "cc-post");
}

#[test]
fn basic_auth_needs_the_form_urlencoded_secret() {
    let idp = Idp::shared();
    let secret = "a+b/c=d:e%f&g h";
    let form = [("grant_type", "client_credentials")];

    let resp = idp.post_form("/token", &form, Some(("cc-basic", secret)));
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.json()["access_token"].is_string());

    // The same secret base64'd without the URL-encoding step is refused.
    let raw = format!(
        "Basic {}",
        idp::base64_encode(format!("cc-basic:{secret}").as_bytes())
    );
    let resp = idp::http_request(
        idp.addr,
        "POST",
        "/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", &raw),
        ],
        b"grant_type=client_credentials",
    )
    .unwrap();
    assert_eq!(resp.status, 400, "{}", resp.body);

    // A Basic-authenticated request is attributed to the decoded client id.
    let (id, secret) = (unique_client_id("basic user"), "s p&c=e");
    idp.register_client(json!({
        "client_id": id, "client_secret": secret,
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["client_credentials"], "access_token_ttl": 60,
    }));
    let resp = idp.post_form("/token", &form, Some((&id, secret)));
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(idp.token_requests(&id), 1);
}

#[test]
fn injected_failures_come_first_and_are_counted() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("fail", 60);
    idp.fail_next(&id, 2, 503, None);
    idp.fail_next_with(json!({
        "client_id": id, "count": 1, "status": 429, "retry_after": 7,
        "body": "<html>slow down</html>", "content_type": "text/html",
    }));

    for _ in 0..2 {
        let resp = client_credentials(idp, &id, &secret, &[]);
        assert_eq!(resp.status, 503);
        assert_eq!(resp.json()["error"], "temporarily_unavailable");
    }
    let resp = client_credentials(idp, &id, &secret, &[]);
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("retry-after"), Some("7"));
    assert_eq!(resp.header("content-type"), Some("text/html"));
    assert_eq!(resp.body, "<html>slow down</html>");

    let resp = client_credentials(idp, &id, &secret, &[]);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(idp.token_requests(&id), 4);
}

#[test]
fn device_flow_approval_then_rotating_refresh_tokens() {
    let idp = Idp::shared();

    // Static clients advertise a 1 s interval; registered ones their own.
    let da = device_authorize(idp, "device-public", None, "openid offline_access");
    assert_eq!(da["interval"], 1);
    let id = public_device_client(idp, json!({ "device_interval": 2 }));
    let da = device_authorize(idp, &id, None, "openid offline_access");
    assert_eq!(da["interval"], 2);
    for field in ["device_code", "user_code", "verification_uri", "expires_in"] {
        assert!(!da[field].is_null(), "{field} missing: {da}");
    }
    let device_code = da["device_code"].as_str().unwrap();

    let resp = poll(idp, &id, device_code);
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["error"], "authorization_pending");

    idp.approve_device(da["user_code"].as_str().unwrap(), "alice");
    thread::sleep(Duration::from_millis(2050));
    let resp = poll(idp, &id, device_code);
    assert_eq!(resp.status, 200, "{}", resp.body);
    let tokens = resp.json();
    assert_eq!(tokens["expires_in"], 30);
    let rt1 = tokens["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_string();
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(id_token["sub"], "alice");

    let resp = refresh(idp, &id, &rt1);
    assert_eq!(resp.status, 200, "{}", resp.body);
    let rt2 = resp.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt1, rt2, "refresh tokens must rotate");

    let resp = refresh(idp, &id, &rt2);
    assert_eq!(resp.status, 200, "{}", resp.body);
    let rt3 = resp.json()["refresh_token"].as_str().unwrap().to_string();

    // Replaying a rotated-out token fails and revokes the whole grant.
    let resp = refresh(idp, &id, &rt1);
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["error"], "invalid_grant");
    let resp = refresh(idp, &id, &rt3);
    assert_eq!(resp.json()["error"], "invalid_grant");

    assert_eq!(idp.device_authorization_requests(&id), 1);
    assert_eq!(idp.token_requests_by_grant(&id, DEVICE_GRANT), 2);
    assert_eq!(idp.token_requests_by_grant(&id, "refresh_token"), 4);
}

#[test]
fn device_flow_with_resource_gives_jwts_for_it() {
    let idp = Idp::shared();
    let form = [
        ("client_id", "device-confidential"),
        ("client_secret", "device-secret"),
        ("scope", "openid offline_access"),
        ("resource", "https://firecrest.test"),
    ];
    let da = idp.post_form("/device/auth", &form, None).json();
    idp.approve_device(&da["user_code"].as_str().unwrap().to_lowercase(), "bob");
    let resp = idp.post_form(
        "/token",
        &[
            ("grant_type", DEVICE_GRANT),
            ("client_id", "device-confidential"),
            ("client_secret", "device-secret"),
            ("device_code", da["device_code"].as_str().unwrap()),
        ],
        None,
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    let claims = jwt_claims(resp.json()["access_token"].as_str().unwrap()).expect("a JWT");
    assert_eq!(claims["aud"], "https://firecrest.test");
    assert_eq!(claims["sub"], "bob");
}

#[test]
fn device_polling_too_fast_gets_slow_down() {
    let idp = Idp::shared();
    let id = public_device_client(idp, json!({ "slow_down_increment": 1 }));
    let da = device_authorize(idp, &id, None, "openid");
    let code = da["device_code"].as_str().unwrap();

    assert_eq!(
        poll(idp, &id, code).json()["error"],
        "authorization_pending"
    );
    let resp = poll(idp, &id, code);
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["error"], "slow_down");
    // Each slow_down adds the increment: the interval is now 2 s, then 3 s.
    thread::sleep(Duration::from_millis(1100));
    assert_eq!(poll(idp, &id, code).json()["error"], "slow_down");
    thread::sleep(Duration::from_millis(3100));
    assert_eq!(
        poll(idp, &id, code).json()["error"],
        "authorization_pending"
    );
}

#[test]
fn device_denial_and_expiry() {
    let idp = Idp::shared();
    // A code that lives long enough to be denied even on a loaded machine.
    let id = public_device_client(idp, json!({}));
    let da = device_authorize(idp, &id, None, "openid offline_access");
    idp.deny_device(da["user_code"].as_str().unwrap());
    let resp = poll(idp, &id, da["device_code"].as_str().unwrap());
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["error"], "access_denied");

    let id = public_device_client(idp, json!({ "device_code_ttl": 1 }));
    let da = device_authorize(idp, &id, None, "openid");
    assert_eq!(da["expires_in"], 1);
    thread::sleep(Duration::from_millis(1100));
    let resp = poll(idp, &id, da["device_code"].as_str().unwrap());
    assert_eq!(resp.json()["error"], "expired_token");
}

#[test]
fn concurrent_clients_keep_separate_counts() {
    let idp = Idp::shared();
    let workers: Vec<_> = (0..6u64)
        .map(|n| {
            thread::spawn(move || {
                let (id, secret) = idp.new_cc_client("par", 60);
                for _ in 0..=n {
                    let resp = client_credentials(idp, &id, &secret, &[]);
                    assert_eq!(resp.status, 200, "{}", resp.body);
                }
                (id, n + 1)
            })
        })
        .collect();
    for worker in workers {
        let (id, expected) = worker.join().unwrap();
        assert_eq!(idp.token_requests(&id), expected);
    }
}

#[test]
fn tls_provider_serves_https_with_the_test_ca() {
    let (idp, ca) = Idp::start_tls();
    assert!(idp.issuer.starts_with("https://127.0.0.1:"));
    assert!(idp.token_endpoint.starts_with("https://"));

    // The control API still works (plain HTTP on the same port) ...
    let (id, secret) = idp.new_cc_client("tls", 60);
    assert_eq!(idp.token_requests(&id), 0);

    // ... and a verifying TLS client (Node's) accepts the server for
    // 127.0.0.1 with the CA file.
    let script = r#"
        const https = require('https'), fs = require('fs');
        const [url, ca, id, secret] = process.argv.slice(1);
        const body = new URLSearchParams({
          grant_type: 'client_credentials', client_id: id, client_secret: secret,
        }).toString();
        const req = https.request(url, { method: 'POST', ca: fs.readFileSync(ca),
            headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
          let b = '';
          res.on('data', (d) => { b += d; });
          res.on('end', () => process.stdout.write(`${res.statusCode} ${b}`));
        });
        req.on('error', (e) => { console.error(e.message); process.exit(1); });
        req.end(body);
    "#;
    let out = Command::new("node")
        .args([
            "-e",
            script,
            &idp.token_endpoint,
            ca.to_str().unwrap(),
            &id,
            &secret,
        ])
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("200 "), "{stdout}");
    assert_eq!(idp.token_requests(&id), 1);

    // OAuth endpoints are not served over plain HTTP.
    let resp = idp::http_request(idp.addr, "POST", "/token", &[], b"").unwrap();
    assert_eq!(resp.status, 400);
}

#[test]
fn dropping_an_idp_stops_its_server() {
    let idp = Idp::start();
    let addr = idp.addr;
    drop(idp);
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}
