//! Many processes, one token: the shared cache directory, and the
//! asynchronous call.

mod common;

use common::idp::Idp;
use firecrest_auth::ffi::*;
use firecrest_auth::{Auth, Secret, Status};
use std::ffi::{c_char, c_void, CStr, CString};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const CHILDREN: usize = 32;

#[test]
fn thirty_two_processes_with_an_empty_cache_make_one_request() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("node", 300);
    let dir = std::env::temp_dir().join(format!("f7t-shared-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let children: Vec<_> = (0..CHILDREN)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--ignored",
                    "--exact",
                    "child_fetches_through_the_shared_cache",
                    "--nocapture",
                ])
                .env("F7T_CACHE_DIR", &dir)
                .env("F7T_TEST_TOKEN_URL", &idp.token_endpoint)
                .env("F7T_TEST_CLIENT", &id)
                .env("F7T_TEST_SECRET", &secret)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut tokens = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("CHILD-TOKEN-HASH "))
            .unwrap_or_else(|| {
                panic!(
                    "child failed: {stdout}{}",
                    String::from_utf8_lossy(&output.stderr)
                )
            })
            .to_owned();
        tokens.push(line);
    }
    assert!(
        tokens.iter().all(|t| t == &tokens[0]),
        "all children got the same token"
    );
    assert_eq!(
        idp.token_requests(&id),
        1,
        "{CHILDREN} processes, one token request"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs only as a child of the test above (F7T_CACHE_DIR comes from the
/// environment, as in a batch job).
#[test]
#[ignore = "runs only as a child process of another test"]
fn child_fetches_through_the_shared_cache() {
    let Ok(url) = std::env::var("F7T_TEST_TOKEN_URL") else {
        return;
    };
    let client = std::env::var("F7T_TEST_CLIENT").unwrap();
    let secret = std::env::var("F7T_TEST_SECRET").unwrap();
    let auth = Auth::client_credentials(&url, &client, Secret::new(secret)).unwrap();
    let token = auth.with_token(|t| t.token().to_owned()).unwrap();
    // Prove sameness without printing a token.
    let hash = firecrest_auth::store::file_name_for(&token);
    println!("CHILD-TOKEN-HASH {hash}");
}

#[test]
fn a_wrong_secret_is_not_served_from_the_shared_cache() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("node-wrong", 300);
    let dir = std::env::temp_dir().join(format!("f7t-shared-wrong-{}", std::process::id()));
    let good = Auth::client_credentials(&idp.token_endpoint, &id, Secret::new(secret)).unwrap();
    good.set_shared_cache_dir(Some(dir.clone())).unwrap();
    good.with_token(|_| ()).unwrap();
    let bad = Auth::client_credentials(&idp.token_endpoint, &id, Secret::new("wrong")).unwrap();
    bad.set_shared_cache_dir(Some(dir.clone())).unwrap();
    assert_eq!(
        bad.with_token(|_| ()).unwrap_err().status(),
        Status::InvalidClient
    );
    let _ = std::fs::remove_dir_all(dir);
}

type Done = (Status, Option<String>, String);

unsafe extern "C" fn on_done(
    userdata: *mut c_void,
    status: Status,
    token: *const c_char,
    _len: i64,
    _expires_at: i64,
) {
    let sender = Box::from_raw(userdata as *mut mpsc::Sender<Done>);
    let token = (!token.is_null()).then(|| CStr::from_ptr(token).to_string_lossy().into_owned());
    let message = CStr::from_ptr(f7t_last_error_message())
        .to_string_lossy()
        .into_owned();
    let thread = std::thread::current().name().unwrap_or("").to_owned();
    let _ = sender.send((status, token, format!("{thread}|{message}")));
}

fn ask_async(auth: *mut f7t_auth) -> Done {
    let (sender, receiver) = mpsc::channel::<Done>();
    let userdata = Box::into_raw(Box::new(sender)) as *mut c_void;
    let status = unsafe { f7t_auth_get_access_token_async(auth, Some(on_done), userdata) };
    assert_eq!(status, Status::Ok);
    receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("the callback ran")
}

#[test]
fn the_asynchronous_call_completes_on_the_library_thread() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("async", 300);
    let (url, id_c, secret_c) = (
        CString::new(idp.token_endpoint.clone()).unwrap(),
        CString::new(id.clone()).unwrap(),
        CString::new(secret).unwrap(),
    );
    let mut auth: *mut f7t_auth = std::ptr::null_mut();
    unsafe {
        f7t_auth_client_credentials_new(url.as_ptr(), id_c.as_ptr(), secret_c.as_ptr(), &mut auth);
    }
    let (status, token, where_) = ask_async(auth);
    assert_eq!(status, Status::Ok);
    assert!(token.is_some());
    assert!(where_.starts_with("f7t-worker"), "ran on {where_}");
    let (_, again, _) = ask_async(auth);
    assert_eq!(again, token, "cached");
    assert_eq!(idp.token_requests(&id), 1);

    // A failure reaches the callback with its status and message; freeing
    // the handle right after asking is allowed.
    let wrong = CString::new("wrong-secret").unwrap();
    let mut bad: *mut f7t_auth = std::ptr::null_mut();
    unsafe {
        f7t_auth_client_credentials_new(url.as_ptr(), id_c.as_ptr(), wrong.as_ptr(), &mut bad);
        let (sender, receiver) = mpsc::channel::<Done>();
        let userdata = Box::into_raw(Box::new(sender)) as *mut c_void;
        assert_eq!(
            f7t_auth_get_access_token_async(bad, Some(on_done), userdata),
            Status::Ok
        );
        f7t_auth_free(bad);
        let (status, token, message) = receiver.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(status, Status::InvalidClient);
        assert!(token.is_none());
        assert!(message.contains("invalid_client"), "{message}");
        f7t_auth_free(auth);
    }
}

#[test]
fn invalidate_is_not_undone_by_the_shared_cache() {
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("node-invalidate", 300);
    let dir = std::env::temp_dir().join(format!("f7t-shared-inval-{}", std::process::id()));
    let auth = Auth::client_credentials(&idp.token_endpoint, &id, Secret::new(secret)).unwrap();
    auth.set_shared_cache_dir(Some(dir.clone())).unwrap();
    let rejected = auth.with_token(|t| t.token().to_owned()).unwrap();
    assert!(auth.invalidate(Some(rejected.as_bytes())));
    let next = auth.with_token(|t| t.token().to_owned()).unwrap();
    assert_ne!(
        next, rejected,
        "the rejected token came back from the cache file"
    );
    assert_eq!(idp.token_requests(&id), 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_cache_directory_others_can_write_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let idp = Idp::shared();
    let (id, secret) = idp.new_cc_client("node-open-dir", 300);
    let dir = std::env::temp_dir().join(format!("f7t-shared-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let auth = Auth::client_credentials(&idp.token_endpoint, &id, Secret::new(secret)).unwrap();
    auth.set_shared_cache_dir(Some(dir.clone())).unwrap();
    // It still gets a token, fetched for itself, and writes nothing there.
    auth.with_token(|_| ()).unwrap();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(dir);
}
