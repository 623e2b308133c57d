//! The token command handle: output, exit statuses, timeouts, caching.

use firecrest_auth::{Auth, Status};
use std::time::{Duration, Instant};

fn token(auth: &Auth) -> Result<(String, i64), firecrest_auth::Error> {
    auth.with_token(|t| (t.token().to_owned(), t.expires_at_unix()))
}

#[test]
fn stdout_is_trimmed_and_cached() {
    let dir = std::env::temp_dir().join(format!("f7t-cmd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let counter = dir.join("runs");
    let command = format!(
        "echo run >> {}; printf '  tok-123\\n\\n'",
        counter.display()
    );
    let auth = Auth::token_command(&command, Some(Duration::from_secs(600))).unwrap();
    for _ in 0..5 {
        assert_eq!(token(&auth).unwrap().0, "tok-123");
    }
    let runs = std::fs::read_to_string(&counter).unwrap();
    assert_eq!(
        runs.lines().count(),
        1,
        "the command ran once for five calls"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_failing_command_reports_its_status_but_not_its_output() {
    let auth = Auth::token_command("echo leaked-token-value; exit 3", None).unwrap();
    let err = token(&auth).unwrap_err();
    assert_eq!(err.status(), Status::CommandFailed);
    assert!(err.message().contains("status 3"), "{}", err.message());
    assert!(!err.message().contains("leaked-token-value"));
}

#[test]
fn empty_output_is_an_error() {
    let auth = Auth::token_command("true", None).unwrap();
    let err = token(&auth).unwrap_err();
    assert_eq!(err.status(), Status::CommandFailed);
    assert!(err.message().contains("no token"), "{}", err.message());
}

#[test]
fn a_hanging_command_is_killed_after_the_timeout() {
    let auth = Auth::token_command("sleep 30; echo late", None).unwrap();
    auth.set_timeouts(Duration::from_millis(500), Duration::from_millis(700))
        .unwrap();
    let started = Instant::now();
    let err = token(&auth).unwrap_err();
    assert_eq!(err.status(), Status::CommandFailed);
    assert!(err.message().contains("killed"), "{}", err.message());
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_jwt_is_cached_until_its_exp() {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 900;
    let jwt = format!(
        "{}.{}.sig",
        engine.encode(r#"{"alg":"none"}"#),
        engine.encode(format!(r#"{{"exp":{exp}}}"#))
    );
    let auth = Auth::token_command(&format!("echo {jwt}"), None).unwrap();
    let (got, expires_at) = token(&auth).unwrap();
    assert_eq!(got, jwt);
    assert!((expires_at - exp as i64).abs() <= 2);
}

#[test]
fn an_empty_command_is_refused() {
    assert_eq!(
        Auth::token_command("  ", None).unwrap_err().status(),
        Status::InvalidArgument
    );
}
