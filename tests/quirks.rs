//! What real servers do that the RFCs do not say, and what a real server
//! will not do on demand (5xx, 429, timeouts, HTML pages, redirects), played
//! by the scripted mock server.

#[path = "common/mock.rs"]
mod mock;

use firecrest_auth::{Auth, ClientAuthMethod, Secret, Status};
use mock::{MockServer, Reply};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SECRET: &str = "s3cret+/=:%& value";

fn handle(server: &MockServer) -> Auth {
    Auth::client_credentials(&server.url("/token"), "client-1", Secret::new(SECRET)).unwrap()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn token_and_expiry(auth: &Auth) -> Result<(String, i64), firecrest_auth::Error> {
    auth.with_token(|t| (t.token().to_owned(), t.expires_at_unix()))
}

fn jwt(payload: &str) -> String {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig",
        engine.encode(r#"{"alg":"RS256"}"#),
        engine.encode(payload)
    )
}

#[test]
fn post_sends_credentials_form_and_accept_json() {
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(
            200,
            r#"{"access_token":"tok","token_type":"Bearer","expires_in":300}"#,
        ),
    );
    let auth = handle(&server);
    auth.set_scope(Some("firecrest openid".into()));
    auth.set_audience(Some("firecrest-api".into()));
    auth.set_resource(Some("https://firecrest.test".into()));
    auth.set_user_agent_suffix(Some("my-sim/2.1".into()))
        .unwrap();
    assert_eq!(token_and_expiry(&auth).unwrap().0, "tok");

    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert!(request
        .header("user-agent")
        .unwrap()
        .starts_with("firecrest-auth/"));
    assert!(request
        .header("user-agent")
        .unwrap()
        .ends_with(" my-sim/2.1"));
    assert!(request.header("authorization").is_none());
    let form = request.form();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], "client-1");
    assert_eq!(form["client_secret"], SECRET);
    assert_eq!(form["scope"], "firecrest openid");
    assert_eq!(form["audience"], "firecrest-api");
    assert_eq!(form["resource"], "https://firecrest.test");
}

#[test]
fn basic_form_encodes_id_and_secret() {
    use base64::Engine;
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(200, r#"{"access_token":"tok","token_type":"Bearer"}"#),
    );
    let auth = handle(&server);
    auth.set_client_auth_method(ClientAuthMethod::Basic);
    token_and_expiry(&auth).unwrap();

    let request = &server.requests()[0];
    let value = request.header("authorization").unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        "client-1:s3cret%2B%2F%3D%3A%25%26+value"
    );
    assert!(!request.form().contains_key("client_secret"));
}

#[test]
fn expires_in_as_string_and_lowercase_bearer() {
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(
            200,
            r#"{"access_token":"tok","token_type":"bearer","expires_in":"120"}"#,
        ),
    );
    let (token, expires_at) = token_and_expiry(&handle(&server)).unwrap();
    assert_eq!(token, "tok");
    assert!(
        (expires_at - (now() + 120)).abs() <= 2,
        "expires_at {expires_at}"
    );
}

#[test]
fn missing_expires_in_uses_the_jwt_exp() {
    let server = MockServer::start();
    let exp = now() + 200;
    let token = jwt(&format!(r#"{{"sub":"svc","exp":{exp}}}"#));
    server.push(
        "/token",
        Reply::json(
            200,
            &format!(r#"{{"access_token":"{token}","token_type":"Bearer"}}"#),
        ),
    );
    let (_, expires_at) = token_and_expiry(&handle(&server)).unwrap();
    assert!(
        (expires_at - exp).abs() <= 2,
        "expires_at {expires_at} exp {exp}"
    );
}

#[test]
fn missing_expires_in_on_an_opaque_token_uses_the_default() {
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(200, r#"{"access_token":"opaque","token_type":"Bearer"}"#),
    );
    let (_, expires_at) = token_and_expiry(&handle(&server)).unwrap();
    assert!((expires_at - (now() + 300)).abs() <= 2);
}

#[test]
fn form_encoded_reply_is_read() {
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::form(
            200,
            "access_token=from-form&token_type=bearer&expires_in=60",
        ),
    );
    assert_eq!(token_and_expiry(&handle(&server)).unwrap().0, "from-form");
}

#[test]
fn error_in_a_200_reply_is_an_oauth_error() {
    let server = MockServer::start();
    let reply = r#"{"error":"invalid_client",
                   "error_description":"Invalid client or Invalid client credentials"}"#;
    server.push("/token", Reply::json(200, reply));
    let err = token_and_expiry(&handle(&server)).unwrap_err();
    assert_eq!(err.status(), Status::InvalidClient);
    let message = err.message();
    assert!(message.contains(&server.url("/token")), "{message}");
    assert!(message.contains("HTTP 200"), "{message}");
    assert!(message.contains("Invalid client credentials"), "{message}");
    assert!(!message.contains(SECRET));
    assert_eq!(server.count("/token"), 1, "invalid_client is never retried");
}

#[test]
fn html_from_a_proxy_is_reported_with_status_and_body_start() {
    let server = MockServer::start();
    let page = format!("<html><body><h1>502 Bad Gateway</h1>echo: {SECRET}</body></html>");
    server.push("/token", Reply::html(502, &page));
    let auth = handle(&server);
    auth.set_max_retries(0);
    let err = token_and_expiry(&auth).unwrap_err();
    assert_eq!(err.status(), Status::BadResponse);
    assert!(err.message().contains("HTTP 502"), "{}", err.message());
    assert!(
        err.message().contains("502 Bad Gateway"),
        "{}",
        err.message()
    );
    assert!(!err.message().contains(SECRET), "{}", err.message());
}

#[test]
fn html_in_a_200_reply_is_never_a_token() {
    let server = MockServer::start();
    server.push("/token", Reply::html(200, "<html>Please log in</html>"));
    let err = token_and_expiry(&handle(&server)).unwrap_err();
    assert_eq!(err.status(), Status::BadResponse);
}

#[test]
fn empty_token_and_foreign_token_types_are_refused() {
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(200, r#"{"access_token":"","token_type":"Bearer"}"#),
    );
    assert_eq!(
        token_and_expiry(&handle(&server)).unwrap_err().status(),
        Status::MissingAccessToken
    );

    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(200, r#"{"token_type":"Bearer","expires_in":60}"#),
    );
    assert_eq!(
        token_and_expiry(&handle(&server)).unwrap_err().status(),
        Status::MissingAccessToken
    );

    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(200, r#"{"access_token":"x","token_type":"mac"}"#),
    );
    let err = token_and_expiry(&handle(&server)).unwrap_err();
    assert_eq!(err.status(), Status::UnsupportedTokenType);

    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(200, "{\"access_token\":\"x\\r\\nX-Injected: 1\"}"),
    );
    assert_eq!(
        token_and_expiry(&handle(&server)).unwrap_err().status(),
        Status::BadResponse
    );
}

#[test]
fn transient_failures_are_retried_then_succeed() {
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(503, r#"{"error":"temporarily_unavailable"}"#),
    );
    server.push("/token", Reply::html(502, "<html>bad gateway</html>"));
    server.push(
        "/token",
        Reply::json(200, r#"{"access_token":"third","token_type":"Bearer"}"#),
    );
    assert_eq!(token_and_expiry(&handle(&server)).unwrap().0, "third");
    assert_eq!(server.count("/token"), 3);
}

#[test]
fn retry_after_is_honoured() {
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(429, r#"{"error":"slow down please"}"#).header("Retry-After", "1"),
    );
    server.push(
        "/token",
        Reply::json(200, r#"{"access_token":"later","token_type":"Bearer"}"#),
    );
    assert_eq!(token_and_expiry(&handle(&server)).unwrap().0, "later");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at.duration_since(requests[0].at);
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
}

#[test]
fn retries_stop_at_the_limit() {
    let server = MockServer::start();
    server.push("/token", Reply::json(500, r#"{"error":"server_error"}"#));
    let auth = handle(&server);
    auth.set_max_retries(1);
    assert_eq!(
        token_and_expiry(&auth).unwrap_err().status(),
        Status::ServerError
    );
    assert_eq!(server.count("/token"), 2);
}

#[test]
fn a_hanging_server_times_out() {
    let server = MockServer::start();
    server.push("/token", Reply::new(200).hang());
    let auth = handle(&server);
    auth.set_timeouts(Duration::from_millis(500), Duration::from_millis(800))
        .unwrap();
    let started = Instant::now();
    let err = token_and_expiry(&auth).unwrap_err();
    assert_eq!(err.status(), Status::Timeout, "{}", err.message());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_closed_connection_is_a_transport_error() {
    let server = MockServer::start();
    server.push("/token", Reply::new(200).close());
    let auth = handle(&server);
    auth.set_max_retries(0);
    let err = token_and_expiry(&auth).unwrap_err();
    assert_eq!(err.status(), Status::Transport, "{}", err.message());
}

#[test]
fn nothing_listening_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/token");
    let auth = Auth::client_credentials(&url, "c", Secret::new("s")).unwrap();
    auth.set_max_retries(0);
    let err = token_and_expiry(&auth).unwrap_err();
    assert_eq!(err.status(), Status::Connect, "{}", err.message());
    assert!(err.message().contains(&url));
}

#[test]
fn redirects_are_not_followed() {
    let server = MockServer::start();
    server.push("/token", Reply::redirect(302, &server.url("/elsewhere")));
    server.push(
        "/elsewhere",
        Reply::json(200, r#"{"access_token":"x","token_type":"Bearer"}"#),
    );
    let err = token_and_expiry(&handle(&server)).unwrap_err();
    assert_eq!(err.status(), Status::Redirect);
    assert_eq!(server.count("/elsewhere"), 0);
}

#[test]
fn huge_replies_are_cut_off() {
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(200, r#"{"access_token":"x"}"#).huge(4 << 20),
    );
    assert_eq!(
        token_and_expiry(&handle(&server)).unwrap_err().status(),
        Status::ResponseTooLarge
    );
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(200, r#"{"access_token":"x"}"#)
            .huge(4 << 20)
            .chunked(),
    );
    assert_eq!(
        token_and_expiry(&handle(&server)).unwrap_err().status(),
        Status::ResponseTooLarge
    );
}

#[test]
fn short_tokens_are_renewed_after_half_their_life() {
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(
            200,
            r#"{"access_token":"first","token_type":"Bearer","expires_in":2}"#,
        ),
    );
    server.push(
        "/token",
        Reply::json(
            200,
            r#"{"access_token":"second","token_type":"Bearer","expires_in":2}"#,
        ),
    );
    let auth = handle(&server);
    assert_eq!(token_and_expiry(&auth).unwrap().0, "first");
    assert_eq!(
        token_and_expiry(&auth).unwrap().0,
        "first",
        "a fresh 2 s token is reused"
    );
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(token_and_expiry(&auth).unwrap().0, "second");
    assert_eq!(server.count("/token"), 2);
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(200, r#"{"access_token":"tok-value","token_type":"Bearer"}"#),
    );
    let auth = handle(&server);
    token_and_expiry(&auth).unwrap();
    let shown = format!(
        "{auth:?} {:?}",
        auth.with_token(|t| format!("{t:?}")).unwrap()
    );
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains("tok-value"), "{shown}");
}

#[test]
fn absurd_lifetimes_are_capped() {
    let server = MockServer::start();
    server.push(
        "/token",
        Reply::json(
            200,
            r#"{"access_token":"tok","token_type":"Bearer","expires_in":1e30}"#,
        ),
    );
    let auth = handle(&server);
    let (_, expires_at) = token_and_expiry(&auth).unwrap();
    assert!(expires_at > now() + 300 * 24 * 3600, "{expires_at}");
    assert!(expires_at <= now() + 367 * 24 * 3600, "{expires_at}");
    token_and_expiry(&auth).unwrap();
    assert_eq!(server.count("/token"), 1, "cached");
}

#[test]
fn discovery_retries_transient_failures() {
    let server = MockServer::start();
    let issuer = server.url("").trim_end_matches('/').to_owned();
    let document = format!(
        r#"{{"issuer":"{issuer}","token_endpoint":"{}"}}"#,
        server.url("/token")
    );
    let well_known = "/.well-known/openid-configuration";
    server.push(well_known, Reply::html(503, "<html>busy</html>"));
    server.push(well_known, Reply::json(200, &document));
    server.push(
        "/token",
        Reply::json(200, r#"{"access_token":"tok","token_type":"Bearer"}"#),
    );
    let auth = Auth::client_credentials_from_issuer(&issuer, "c", Secret::new("s")).unwrap();
    assert_eq!(token_and_expiry(&auth).unwrap().0, "tok");
    assert_eq!(server.count(well_known), 2);
    assert_eq!(
        server.requests_to(well_known)[0].header("accept"),
        Some("application/json")
    );
}
