//! The C boundary called as C would call it: NULLs, invalid UTF-8, buffers
//! that are too small, callbacks with userdata and finalizers.

use firecrest_auth::ffi::*;
use firecrest_auth::Status;
use std::ffi::{c_char, c_void, CStr};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

fn last_message() -> String {
    unsafe { CStr::from_ptr(f7t_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

unsafe extern "C" fn record_token(userdata: *mut c_void, token: *const c_char, len: i64, at: i64) {
    let out = &mut *(userdata as *mut (String, i64));
    let text = CStr::from_ptr(token).to_str().unwrap();
    assert_eq!(text.len() as i64, len);
    *out = (text.to_owned(), at);
}

#[test]
fn null_arguments_are_statuses_not_crashes() {
    let mut auth: *mut f7t_auth = ptr::null_mut();
    unsafe {
        assert_eq!(
            f7t_auth_static_token_new(ptr::null(), 0, &mut auth),
            Status::NullArgument
        );
        assert!(auth.is_null(), "out is written only on success");
        assert!(last_message().contains("token is NULL"));
        assert_eq!(
            f7t_auth_static_token_new(c"t".as_ptr(), 0, ptr::null_mut()),
            Status::NullArgument
        );
        assert_eq!(
            f7t_auth_client_credentials_new(
                c"https://x/t".as_ptr(),
                ptr::null(),
                c"s".as_ptr(),
                &mut auth
            ),
            Status::NullArgument
        );
        assert_eq!(
            f7t_auth_get_access_token(ptr::null_mut(), Some(record_token), ptr::null_mut()),
            Status::NullArgument
        );
        assert_eq!(
            f7t_auth_callback_new(None, ptr::null_mut(), None, &mut auth),
            Status::NullArgument
        );
        assert_eq!(
            f7t_auth_set_scope(ptr::null_mut(), c"x".as_ptr()),
            Status::NullArgument
        );
        assert_eq!(
            f7t_auth_invalidate(ptr::null_mut(), ptr::null()),
            Status::NullArgument
        );
        f7t_auth_free(ptr::null_mut());

        assert_eq!(
            f7t_auth_static_token_new(c"tok".as_ptr(), 0, &mut auth),
            Status::Ok
        );
        assert_eq!(
            f7t_auth_get_access_token(auth, None, ptr::null_mut()),
            Status::NullArgument
        );
        assert_eq!(
            f7t_auth_copy_access_token(auth, ptr::null_mut(), 10, ptr::null_mut(), ptr::null_mut()),
            Status::NullArgument
        );
        f7t_auth_free(auth);
    }
}

#[test]
fn invalid_utf8_and_empty_strings_are_refused() {
    let mut auth: *mut f7t_auth = ptr::null_mut();
    let bad = [b'a', 0xff, b'b', 0];
    unsafe {
        let status = f7t_auth_client_credentials_new(
            c"https://auth.example/token".as_ptr(),
            bad.as_ptr().cast(),
            c"secret".as_ptr(),
            &mut auth,
        );
        assert_eq!(status, Status::InvalidUtf8);
        assert!(last_message().contains("client_id is not valid UTF-8"));
        let status = f7t_auth_client_credentials_new(
            c"https://auth.example/token".as_ptr(),
            c"id".as_ptr(),
            c"".as_ptr(),
            &mut auth,
        );
        assert_eq!(status, Status::InvalidArgument);
        let status = f7t_auth_client_credentials_new(
            c"not a url".as_ptr(),
            c"id".as_ptr(),
            c"s".as_ptr(),
            &mut auth,
        );
        assert_eq!(status, Status::InvalidArgument);
        assert!(auth.is_null());
    }
}

#[test]
fn plain_http_to_a_remote_host_fails_at_fetch_unless_allowed() {
    let mut auth: *mut f7t_auth = ptr::null_mut();
    unsafe {
        let status = f7t_auth_client_credentials_new(
            c"http://auth.invalid/token".as_ptr(),
            c"id".as_ptr(),
            c"s".as_ptr(),
            &mut auth,
        );
        assert_eq!(status, Status::Ok);
        let mut out = (String::new(), 0i64);
        let status = f7t_auth_get_access_token(
            auth,
            Some(record_token),
            (&mut out as *mut (String, i64)).cast(),
        );
        assert_eq!(status, Status::InsecureUrl);
        assert!(last_message().contains("plain HTTP"));
        f7t_auth_free(auth);
    }
}

#[test]
fn copy_reports_the_needed_length() {
    let mut auth: *mut f7t_auth = ptr::null_mut();
    unsafe {
        assert_eq!(
            f7t_auth_static_token_new(c"0123456789".as_ptr(), 4_000_000_000, &mut auth),
            Status::Ok
        );
        let mut buffer = [0x55 as c_char; 16];
        let (mut len, mut at) = (-1i64, -1i64);
        let status = f7t_auth_copy_access_token(auth, buffer.as_mut_ptr(), 10, &mut len, &mut at);
        assert_eq!(status, Status::BufferTooSmall);
        assert_eq!(len, 10);
        assert_eq!(at, -1, "expiry is written only on success");
        assert_eq!(buffer[0], 0x55, "the buffer is untouched");
        let status = f7t_auth_copy_access_token(auth, buffer.as_mut_ptr(), 11, &mut len, &mut at);
        assert_eq!(status, Status::Ok);
        assert_eq!(
            CStr::from_ptr(buffer.as_ptr()).to_str().unwrap(),
            "0123456789"
        );
        assert_eq!(at, 4_000_000_000);
        f7t_auth_free(auth);
    }
}

#[test]
fn status_texts_are_static_and_total() {
    for status in Status::ALL {
        let text = unsafe { CStr::from_ptr(f7t_status_str(status.code())) };
        assert!(!text.to_bytes().is_empty());
    }
    let unknown = unsafe { CStr::from_ptr(f7t_status_str(-7)) };
    assert_eq!(unknown.to_str().unwrap(), "unknown status code");
    let version = unsafe { CStr::from_ptr(f7t_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

static PROVIDER_CALLS: AtomicUsize = AtomicUsize::new(0);
static FINALIZED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn provider(userdata: *mut c_void, sink: *mut f7t_token_sink) -> i32 {
    PROVIDER_CALLS.fetch_add(1, Ordering::SeqCst);
    let fail = *(userdata as *const bool);
    if fail {
        f7t_token_sink_set_error(sink, c"the vault is sealed".as_ptr());
        return 7;
    }
    f7t_token_sink_set_token(sink, c"from-provider".as_ptr(), 600).code()
}

unsafe extern "C" fn finalize(userdata: *mut c_void) {
    FINALIZED.fetch_add(1, Ordering::SeqCst);
    drop(Box::from_raw(userdata as *mut bool));
}

#[test]
fn callback_provider_is_cached_and_its_userdata_finalized() {
    let mut auth: *mut f7t_auth = ptr::null_mut();
    unsafe {
        let ok = Box::into_raw(Box::new(false)).cast();
        assert_eq!(
            f7t_auth_callback_new(Some(provider), ok, Some(finalize), &mut auth),
            Status::Ok
        );
        let mut out = (String::new(), 0i64);
        for _ in 0..3 {
            let status = f7t_auth_get_access_token(
                auth,
                Some(record_token),
                (&mut out as *mut (String, i64)).cast(),
            );
            assert_eq!(status, Status::Ok);
        }
        assert_eq!(out.0, "from-provider");
        assert!(out.1 > 0);
        f7t_auth_free(auth);

        let failing = Box::into_raw(Box::new(true)).cast();
        assert_eq!(
            f7t_auth_callback_new(Some(provider), failing, Some(finalize), &mut auth),
            Status::Ok
        );
        let status = f7t_auth_get_access_token(
            auth,
            Some(record_token),
            (&mut out as *mut (String, i64)).cast(),
        );
        assert_eq!(status, Status::ProviderFailed);
        assert!(
            last_message().contains("returned 7: the vault is sealed"),
            "{}",
            last_message()
        );
        assert_eq!(f7t_last_error_status(), Status::ProviderFailed);
        f7t_auth_free(auth);
    }
    assert_eq!(FINALIZED.load(Ordering::SeqCst), 2);
    assert!(PROVIDER_CALLS.load(Ordering::SeqCst) >= 2);
}

#[test]
fn claims_are_read_from_jwts() {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let token = format!(
        "{}.{}.sig\0",
        engine.encode("{}"),
        engine.encode(r#"{"sub":"svc-account"}"#)
    );
    let mut buffer = [0 as c_char; 64];
    let mut len = 0i64;
    unsafe {
        let status = f7t_token_claim(
            token.as_ptr().cast(),
            c"sub".as_ptr(),
            buffer.as_mut_ptr(),
            64,
            &mut len,
        );
        assert_eq!(status, Status::Ok);
        assert_eq!(
            CStr::from_ptr(buffer.as_ptr()).to_str().unwrap(),
            "svc-account"
        );
        let status = f7t_token_claim(
            token.as_ptr().cast(),
            c"aud".as_ptr(),
            buffer.as_mut_ptr(),
            64,
            &mut len,
        );
        assert_eq!(status, Status::NotFound);
        let status = f7t_token_claim(
            c"opaque".as_ptr(),
            c"sub".as_ptr(),
            buffer.as_mut_ptr(),
            64,
            &mut len,
        );
        assert_eq!(status, Status::NotAJwt);
        let status = f7t_token_claim(
            token.as_ptr().cast(),
            c"sub".as_ptr(),
            buffer.as_mut_ptr(),
            5,
            &mut len,
        );
        assert_eq!(status, Status::BufferTooSmall);
        assert_eq!(len, 11);
    }
}

#[test]
fn setters_check_their_values() {
    let mut auth: *mut f7t_auth = ptr::null_mut();
    unsafe {
        f7t_auth_client_credentials_new(
            c"https://a.example/t".as_ptr(),
            c"id".as_ptr(),
            c"s".as_ptr(),
            &mut auth,
        );
        assert_eq!(f7t_auth_set_min_validity(auth, -1), Status::InvalidArgument);
        assert_eq!(f7t_auth_set_min_validity(auth, 45), Status::Ok);
        assert_eq!(
            f7t_auth_set_timeouts(auth, 0, 1000),
            Status::InvalidArgument
        );
        assert_eq!(f7t_auth_set_timeouts(auth, 1000, 5000), Status::Ok);
        assert_eq!(f7t_auth_set_max_retries(auth, -2), Status::InvalidArgument);
        assert_eq!(f7t_auth_set_client_auth(auth, 9), Status::InvalidArgument);
        assert_eq!(
            f7t_auth_set_client_auth(auth, F7T_CLIENT_AUTH_BASIC),
            Status::Ok
        );
        assert_eq!(
            f7t_auth_set_ca_file(auth, c"/nonexistent/ca.pem".as_ptr()),
            Status::InvalidArgument
        );
        assert_eq!(f7t_auth_set_ca_file(auth, ptr::null()), Status::Ok);
        assert_eq!(
            f7t_auth_set_user_agent_suffix(auth, c"bad\x01".as_ptr()),
            Status::InvalidArgument
        );
        assert_eq!(
            f7t_set_log_callback(None, ptr::null_mut(), 9),
            Status::InvalidArgument
        );
        f7t_auth_free(auth);
    }
}

#[test]
fn api_key_handles_give_a_header() {
    unsafe extern "C" fn header(
        userdata: *mut c_void,
        name: *const c_char,
        value: *const c_char,
        _at: i64,
    ) {
        let out = &mut *(userdata as *mut (String, String));
        *out = (
            CStr::from_ptr(name).to_string_lossy().into_owned(),
            CStr::from_ptr(value).to_string_lossy().into_owned(),
        );
    }
    let mut auth: *mut f7t_auth = ptr::null_mut();
    let mut out = (String::new(), String::new());
    unsafe {
        assert_eq!(
            f7t_auth_api_key_new(ptr::null(), c"key-123".as_ptr(), &mut auth),
            Status::Ok
        );
        assert_eq!(
            f7t_auth_get_header(
                auth,
                Some(header),
                (&mut out as *mut (String, String)).cast()
            ),
            Status::Ok
        );
        assert_eq!(out, ("X-API-Key".to_owned(), "key-123".to_owned()));
        let mut tok = (String::new(), 0i64);
        let status = f7t_auth_get_access_token(
            auth,
            Some(record_token),
            (&mut tok as *mut (String, i64)).cast(),
        );
        assert_eq!(status, Status::WrongHandleKind);
        f7t_auth_free(auth);
    }
}
