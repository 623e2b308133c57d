//! Device logins and refresh tokens against the real OpenID provider: the
//! test approves or denies the user code over the provider's test endpoint
//! while the library polls.

mod common;

use common::idp::{unique_client_id, Idp, DEVICE_GRANT};
use firecrest_auth::grants::device::DevicePrompt;
use firecrest_auth::{Auth, Secret, Status};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A public device-flow client with its own counters.
fn device_client(idp: &Idp, access_ttl: u64, device_ttl: u64) -> String {
    let id = unique_client_id("device");
    idp.register_client(json!({
        "client_id": id,
        "token_endpoint_auth_method": "none",
        "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
        "scope": "openid offline_access",
        "access_token_ttl": access_ttl,
        "device_code_ttl": device_ttl,
        "device_interval": 1,
    }));
    id
}

/// A prompt that plays the person: approves (or denies) the code from
/// another thread shortly after it is shown.
fn person(approve: bool) -> Arc<dyn Fn(&DevicePrompt) -> bool + Send + Sync> {
    Arc::new(move |prompt: &DevicePrompt| {
        let code = prompt.user_code.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            if approve {
                Idp::shared().approve_device(&code, "alice");
            } else {
                Idp::shared().deny_device(&code);
            }
        });
        true
    })
}

fn device_handle(idp: &Idp, id: &str) -> Auth {
    let auth = Auth::device_code(&idp.device_endpoint, &idp.token_endpoint, id, None).unwrap();
    auth.set_scope(Some("openid offline_access".into()));
    auth
}

fn token(auth: &Auth) -> Result<String, firecrest_auth::Error> {
    auth.with_token(|t| t.token().to_owned())
}

#[test]
fn approved_login_then_refresh_without_a_prompt() {
    let idp = Idp::shared();
    let id = device_client(idp, 2, 600);
    let auth = device_handle(idp, &id);
    auth.set_device_prompt(Some(person(true))).unwrap();
    let first = token(&auth).unwrap();

    // After expiry the refresh token renews it; a prompt now would fail.
    auth.set_device_prompt(Some(Arc::new(|_: &DevicePrompt| false)))
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let second = token(&auth).unwrap();
    assert_ne!(first, second);
    std::thread::sleep(Duration::from_millis(1200));
    token(&auth).unwrap();
    assert_eq!(idp.device_authorization_requests(&id), 1);
    assert_eq!(idp.token_requests_by_grant(&id, "refresh_token"), 2);
}

#[test]
fn denied_login_is_access_denied() {
    let idp = Idp::shared();
    let id = device_client(idp, 300, 600);
    let auth = device_handle(idp, &id);
    auth.set_device_prompt(Some(person(false))).unwrap();
    let err = token(&auth).unwrap_err();
    assert_eq!(err.status(), Status::AccessDenied, "{}", err.message());
}

#[test]
fn unapproved_code_expires() {
    let idp = Idp::shared();
    let id = device_client(idp, 300, 3);
    let auth = device_handle(idp, &id);
    auth.set_device_prompt(Some(Arc::new(|_: &DevicePrompt| true)))
        .unwrap();
    let started = std::time::Instant::now();
    let err = token(&auth).unwrap_err();
    assert_eq!(err.status(), Status::ExpiredToken, "{}", err.message());
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn login_through_discovery() {
    let idp = Idp::shared();
    let id = device_client(idp, 300, 600);
    let auth = Auth::device_code_from_issuer(&idp.issuer, &id, None).unwrap();
    auth.set_scope(Some("openid offline_access".into()));
    auth.set_device_prompt(Some(person(true))).unwrap();
    assert!(!token(&auth).unwrap().is_empty());
    assert!(idp.token_requests_by_grant(&id, DEVICE_GRANT) >= 1);
}

#[test]
fn polling_faster_than_the_interval_is_never_needed() {
    // The provider answers slow_down to polls that come early; a correct
    // client never triggers it.
    let idp = Idp::shared();
    let id = device_client(idp, 300, 600);
    let auth = device_handle(idp, &id);
    auth.set_device_prompt(Some(Arc::new(|prompt: &DevicePrompt| {
        let code = prompt.user_code.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(3500));
            Idp::shared().approve_device(&code, "bob");
        });
        true
    })))
    .unwrap();
    token(&auth).unwrap();
    let polls = idp.token_requests_by_grant(&id, DEVICE_GRANT);
    assert!(
        (3..=5).contains(&polls),
        "{polls} polls in 3.5 s at a 1 s interval"
    );
}

fn store_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("f7t-store-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("tokens.json")
}

fn stored_refresh_token(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["refresh_token"].as_str().unwrap_or("").to_owned()
}

#[test]
fn the_store_rotates_refresh_tokens_and_serves_a_second_process() {
    use std::os::unix::fs::PermissionsExt;
    let idp = Idp::shared();
    let id = device_client(idp, 2, 600);
    let path = store_path("reuse");
    let auth = device_handle(idp, &id);
    auth.set_token_store(Some(path.clone())).unwrap();
    auth.set_device_prompt(Some(person(true))).unwrap();
    token(&auth).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let first = stored_refresh_token(&path);
    assert!(!first.is_empty());

    std::thread::sleep(Duration::from_millis(1200));
    token(&auth).unwrap();
    let second = stored_refresh_token(&path);
    assert_ne!(
        first, second,
        "the provider rotated the refresh token and the store kept the new one"
    );
    drop(auth);

    // A second process logs in from the store, with no prompt.
    std::thread::sleep(Duration::from_millis(2100));
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_process_reuses_the_store",
            "--nocapture",
        ])
        .env("F7T_TEST_STORE", &path)
        .env("F7T_TEST_ISSUER", &idp.issuer)
        .env("F7T_TEST_CLIENT", &id)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("CHILD-GOT-TOKEN"),
        "child said: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        idp.device_authorization_requests(&id),
        1,
        "one login for both processes"
    );
    assert_ne!(
        stored_refresh_token(&path),
        second,
        "the child refreshed and stored the rotation"
    );
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// Runs only as the child of the test above.
#[test]
#[ignore = "runs only as a child process of another test"]
fn child_process_reuses_the_store() {
    let Ok(store) = std::env::var("F7T_TEST_STORE") else {
        return;
    };
    let issuer = std::env::var("F7T_TEST_ISSUER").unwrap();
    let client = std::env::var("F7T_TEST_CLIENT").unwrap();
    let auth = Auth::device_code_from_issuer(&issuer, &client, None).unwrap();
    auth.set_token_store(Some(store.into())).unwrap();
    auth.set_device_prompt(Some(Arc::new(|_: &DevicePrompt| false)))
        .unwrap();
    token(&auth).unwrap();
    println!("CHILD-GOT-TOKEN");
}

#[test]
fn a_refused_refresh_token_says_log_in_again() {
    let idp = Idp::shared();
    let auth = Auth::refresh_token(
        &idp.token_endpoint,
        "device-public",
        None,
        Secret::new("not-a-real-refresh-token"),
    )
    .unwrap();
    let err = token(&auth).unwrap_err();
    assert_eq!(err.status(), Status::InvalidGrant);
    assert!(err.message().contains("log in again"), "{}", err.message());
}

#[test]
fn a_store_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let idp = Idp::shared();
    let path = store_path("mode");
    std::fs::write(&path, "{}").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let auth = device_handle(idp, "device-public");
    auth.set_token_store(Some(path.clone())).unwrap();
    let err = token(&auth).unwrap_err();
    assert_eq!(err.status(), Status::TokenStore);
    assert!(err.message().contains("chmod 600"), "{}", err.message());
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_refresh_token_handle_rotates() {
    let idp = Idp::shared();
    let id = device_client(idp, 2, 600);
    // Log in once to obtain a refresh token, through a store we can read.
    let path = store_path("rt-handle");
    let login = device_handle(idp, &id);
    login.set_token_store(Some(path.clone())).unwrap();
    login.set_device_prompt(Some(person(true))).unwrap();
    token(&login).unwrap();
    let refresh_token = stored_refresh_token(&path);
    drop(login);

    let auth =
        Auth::refresh_token(&idp.token_endpoint, &id, None, Secret::new(refresh_token)).unwrap();
    for _ in 0..3 {
        token(&auth).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
    }
    assert_eq!(idp.token_requests_by_grant(&id, "refresh_token"), 3);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_provider_without_a_device_endpoint_says_so() {
    let idp = Idp::start_without_device();
    let auth = Auth::device_code_from_issuer(&idp.issuer, "device-public", None).unwrap();
    auth.set_device_prompt(Some(person(true))).unwrap();
    let err = token(&auth).unwrap_err();
    assert_eq!(err.status(), Status::NoDeviceEndpoint, "{}", err.message());
    assert!(err.message().contains(&idp.issuer), "{}", err.message());
}

#[test]
fn invalidate_is_not_undone_by_the_token_store() {
    let idp = Idp::shared();
    let id = device_client(idp, 300, 600);
    let path = store_path("invalidate");
    let auth = device_handle(idp, &id);
    auth.set_token_store(Some(path.clone())).unwrap();
    auth.set_device_prompt(Some(person(true))).unwrap();
    let rejected = token(&auth).unwrap();
    assert!(auth.invalidate(Some(rejected.as_bytes())));
    let next = token(&auth).unwrap();
    assert_ne!(
        next, rejected,
        "the rejected token came back from the store"
    );
    assert_eq!(idp.token_requests_by_grant(&id, "refresh_token"), 1);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
