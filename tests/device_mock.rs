//! RFC 8628 polling against the scripted mock: pending, slow_down, error
//! bodies with HTTP 200, a code that expires while the server says pending,
//! and cancellation.

#[path = "common/mock.rs"]
mod mock;

use firecrest_auth::grants::device::DevicePrompt;
use firecrest_auth::{Auth, Status};
use mock::{MockServer, Reply};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn device_reply(interval: u64, expires_in: u64) -> Reply {
    Reply::json(
        200,
        &format!(
            r#"{{"device_code":"dev-code-1","user_code":"ABCD-EFGH",
                "verification_url":"https://idp.example/device",
                "expires_in":{expires_in},"interval":{interval}}}"#
        ),
    )
}

fn handle(server: &MockServer) -> (Auth, Arc<Mutex<Vec<DevicePrompt>>>) {
    let auth = Auth::device_code(
        &server.url("/device"),
        &server.url("/token"),
        "public-cli",
        None,
    )
    .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    auth.set_device_prompt(Some(Arc::new(move |p: &DevicePrompt| {
        record.lock().unwrap().push(p.clone());
        true
    })))
    .unwrap();
    (auth, seen)
}

fn gaps(server: &MockServer) -> Vec<Duration> {
    let polls = server.requests_to("/token");
    polls
        .windows(2)
        .map(|w| w[1].at.duration_since(w[0].at))
        .collect()
}

const PENDING: &str = r#"{"error":"authorization_pending"}"#;
const TOKEN: &str =
    r#"{"access_token":"at-1","token_type":"Bearer","expires_in":300,"refresh_token":"rt-1"}"#;

#[test]
fn pending_then_approved() {
    let server = MockServer::start();
    server.push("/device", device_reply(1, 60));
    server.push("/token", Reply::json(400, PENDING));
    server.push("/token", Reply::json(400, PENDING));
    server.push("/token", Reply::json(200, TOKEN));
    let (auth, seen) = handle(&server);
    let token = auth.with_token(|t| t.token().to_owned()).unwrap();
    assert_eq!(token, "at-1");

    let prompts = seen.lock().unwrap();
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0].user_code, "ABCD-EFGH");
    assert_eq!(prompts[0].verification_uri, "https://idp.example/device");
    let polls = server.requests_to("/token");
    assert_eq!(polls.len(), 3);
    let form = polls[0].form();
    assert_eq!(
        form["grant_type"],
        "urn:ietf:params:oauth:grant-type:device_code"
    );
    assert_eq!(form["device_code"], "dev-code-1");
    assert_eq!(
        form["client_id"], "public-cli",
        "public clients send client_id"
    );
    for gap in gaps(&server) {
        assert!(gap >= Duration::from_millis(990), "polled after {gap:?}");
    }
}

#[test]
fn slow_down_adds_five_seconds_and_never_shrinks() {
    let server = MockServer::start();
    server.push("/device", device_reply(1, 120));
    server.push("/token", Reply::json(400, PENDING));
    server.push("/token", Reply::json(400, r#"{"error":"slow_down"}"#));
    // A slow_down naming a smaller interval must not make polling faster.
    server.push(
        "/token",
        Reply::json(200, r#"{"error":"slow_down","interval":2}"#),
    );
    server.push("/token", Reply::json(200, TOKEN));
    let (auth, _) = handle(&server);
    auth.with_token(|_| ()).unwrap();

    let gaps = gaps(&server);
    assert_eq!(gaps.len(), 3);
    assert!(gaps[0] >= Duration::from_millis(990), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(5990), "{gaps:?}");
    assert!(gaps[2] >= Duration::from_millis(10990), "{gaps:?}");
}

#[test]
fn denial_is_access_denied_even_in_a_200_reply() {
    let server = MockServer::start();
    server.push("/device", device_reply(1, 60));
    server.push(
        "/token",
        Reply::json(
            200,
            r#"{"error":"access_denied","error_description":"user said no","extra":1}"#,
        ),
    );
    let (auth, _) = handle(&server);
    let err = auth.with_token(|_| ()).unwrap_err();
    assert_eq!(err.status(), Status::AccessDenied);
    assert!(err.message().contains("denied"), "{}", err.message());
}

#[test]
fn expired_token_from_the_server_ends_the_flow() {
    let server = MockServer::start();
    server.push("/device", device_reply(1, 60));
    server.push("/token", Reply::json(400, r#"{"error":"expired_token"}"#));
    let (auth, _) = handle(&server);
    assert_eq!(
        auth.with_token(|_| ()).unwrap_err().status(),
        Status::ExpiredToken
    );
}

#[test]
fn a_code_that_expires_while_pending_ends_by_itself() {
    let server = MockServer::start();
    server.push("/device", device_reply(1, 3));
    server.push("/token", Reply::json(400, PENDING));
    let (auth, _) = handle(&server);
    let started = Instant::now();
    let err = auth.with_token(|_| ()).unwrap_err();
    assert_eq!(err.status(), Status::ExpiredToken);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(server.count("/token") <= 3);
}

#[test]
fn cancel_from_another_thread_ends_the_wait() {
    let server = MockServer::start();
    server.push("/device", device_reply(1, 600));
    server.push("/token", Reply::json(400, PENDING));
    let (auth, _) = handle(&server);
    let auth = Arc::new(auth);
    let canceller = {
        let auth = Arc::clone(&auth);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1500));
            auth.cancel();
        })
    };
    let started = Instant::now();
    let err = auth.with_token(|_| ()).unwrap_err();
    canceller.join().unwrap();
    assert_eq!(err.status(), Status::Cancelled);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn the_prompt_can_cancel() {
    let server = MockServer::start();
    server.push("/device", device_reply(1, 600));
    let auth =
        Auth::device_code(&server.url("/device"), &server.url("/token"), "cli", None).unwrap();
    auth.set_device_prompt(Some(Arc::new(|_: &DevicePrompt| false)))
        .unwrap();
    assert_eq!(
        auth.with_token(|_| ()).unwrap_err().status(),
        Status::Cancelled
    );
    assert_eq!(server.count("/token"), 0);
}

#[test]
fn transport_errors_back_off_instead_of_hammering() {
    let server = MockServer::start();
    server.push("/device", device_reply(1, 60));
    server.push("/token", Reply::new(200).close());
    server.push("/token", Reply::new(200).close());
    server.push("/token", Reply::json(200, TOKEN));
    let (auth, _) = handle(&server);
    auth.with_token(|_| ()).unwrap();
    let gaps = gaps(&server);
    assert!(gaps[0] >= Duration::from_millis(1990), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(3990), "{gaps:?}");
}

/// A 2 s token reply with refresh token `rt-<n>`.
fn rotating_token(n: u32) -> String {
    let token = format!(r#""access_token":"at-{n}","token_type":"Bearer""#);
    format!(r#"{{{token},"expires_in":2,"refresh_token":"rt-{n}"}}"#)
}

#[test]
fn refresh_token_renews_and_rotates_after_login() {
    let server = MockServer::start();
    server.push("/device", device_reply(1, 60));
    server.push("/token", Reply::json(200, &rotating_token(1)));
    server.push("/token", Reply::json(200, &rotating_token(2)));
    server.push(
        "/token",
        Reply::json(
            200,
            r#"{"access_token":"at-3","token_type":"Bearer","expires_in":2}"#,
        ),
    );
    server.push(
        "/token",
        Reply::json(
            400,
            r#"{"error":"invalid_grant","error_description":"Token is not active"}"#,
        ),
    );
    let (auth, seen) = handle(&server);
    let token = |auth: &Auth| auth.with_token(|t| t.token().to_owned());
    assert_eq!(token(&auth).unwrap(), "at-1");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(token(&auth).unwrap(), "at-2");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(token(&auth).unwrap(), "at-3");
    std::thread::sleep(Duration::from_millis(1100));
    let err = token(&auth).unwrap_err();
    assert_eq!(err.status(), Status::InvalidGrant);
    assert!(err.message().contains("log in again"), "{}", err.message());

    let forms: Vec<_> = server
        .requests_to("/token")
        .iter()
        .map(|r| r.form())
        .collect();
    assert_eq!(forms[1]["grant_type"], "refresh_token");
    assert_eq!(forms[1]["refresh_token"], "rt-1");
    assert_eq!(forms[2]["refresh_token"], "rt-2", "rotated");
    assert_eq!(forms[3]["refresh_token"], "rt-2", "kept when none was sent");
    assert_eq!(seen.lock().unwrap().len(), 1, "one login, then refreshes");
}
