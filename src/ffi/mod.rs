//! The C API. Only this module knows about C: it turns pointers and C
//! strings into Rust values, calls the plain Rust API, and turns results
//! into `f7t_status` codes and the thread's last error. Every function
//! checks its pointers and catches panics.
//!
//! The generated header `include/firecrest_auth.h` is made from this file;
//! the doc comments below are the C documentation.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

pub mod boundary;

use crate::auth::Auth;
use crate::error::{Error, Result, Status};
use crate::grants::callback::Provided;
use crate::log::{self, Level};
use crate::oauth::ClientAuthMethod;
use crate::secret::Secret;
use boundary::{guard, guard_value, null, opt_str_arg, out_arg, str_arg};
use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

/// An auth handle: a source of access tokens (a static token, an API key, a
/// grant such as client credentials, or the host's own callback) with its
/// settings and its token cache.
///
/// Thread safety: a handle may be used from many threads at once. Only
/// `f7t_auth_free` must not race with other calls on the same handle.
pub struct f7t_auth {
    inner: Auth,
}

/// Where a token provider callback puts the token it produced; valid only
/// during that callback. See `f7t_token_sink_set_token`.
pub struct f7t_token_sink {
    token: Option<Secret>,
    expires_in: Option<Duration>,
    error: Option<String>,
}

/// Receives a token from `f7t_auth_get_access_token`.
///
/// - `userdata`: the pointer given to `f7t_auth_get_access_token`.
/// - `token`: the access token, NUL-terminated. The memory is the library's
///   and is valid only until the callback returns: copy it to keep it.
/// - `token_len`: its length in bytes, without the NUL.
/// - `expires_at`: its expiry in Unix seconds, or 0 when unknown.
///
/// Runs on the thread that called `f7t_auth_get_access_token`, before that
/// call returns. It must not throw a C++ exception or `longjmp` out.
pub type f7t_token_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        token: *const c_char,
        token_len: i64,
        expires_at: i64,
    ),
>;

/// Receives the result of `f7t_auth_get_access_token_async`.
///
/// - `status`: `F7T_STATUS_OK`, or why no token could be had; on failure
///   `f7t_last_error_message()` called inside the callback gives the detail.
/// - `token`, `token_len`, `expires_at`: as for `f7t_token_cb` on success;
///   NULL, 0 and 0 on failure. The token is valid only during the call.
///
/// Runs on the library's worker thread, never on the thread that made the
/// request; requests complete one after another, so it must not block for
/// long. It may call any function of the library, including the blocking
/// ones, and may free the handle.
pub type f7t_token_done_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        status: Status,
        token: *const c_char,
        token_len: i64,
        expires_at: i64,
    ),
>;

/// Receives the header to send, from `f7t_auth_get_header`.
///
/// - `name`: the header name, `Authorization` or the API key's header.
/// - `value`: the header value, `Bearer <token>` or the API key.
/// - `expires_at`: expiry in Unix seconds, or 0 when unknown.
///
/// Both strings are NUL-terminated and valid only until the callback
/// returns. Runs on the calling thread, before `f7t_auth_get_header` returns.
pub type f7t_header_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        name: *const c_char,
        value: *const c_char,
        expires_at: i64,
    ),
>;

/// Produces a token for a callback handle (`f7t_auth_callback_new`).
///
/// Call `f7t_token_sink_set_token(sink, ...)` and return 0 on success; on
/// failure return any non-zero value, after `f7t_token_sink_set_error` if
/// you have a message. The result is cached like any other token: the
/// provider is called again only when that token needs renewing.
///
/// Runs on the thread that needs the token, never on two threads at once
/// for the same handle. `userdata` is the pointer given at creation. It may
/// call the library, but must not ask its own handle for a token: that
/// would wait for the very refresh it is performing.
pub type f7t_token_provider_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, sink: *mut f7t_token_sink) -> i32>;

/// Shows a person how to approve a device login.
///
/// - `verification_uri`: the page to open.
/// - `verification_uri_complete`: the same page with the code filled in,
///   or NULL when the server sent none (good for a QR code).
/// - `user_code`: the code to enter there.
/// - `expires_in`: seconds until the code expires.
///
/// Return 0 to go on waiting for the approval, non-zero to cancel the login
/// (the waiting call then returns `F7T_STATUS_CANCELLED`). The strings are
/// valid only during the call. Runs on the thread that asked for the token.
pub type f7t_device_prompt_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        verification_uri: *const c_char,
        verification_uri_complete: *const c_char,
        user_code: *const c_char,
        expires_in: i64,
    ) -> i32,
>;

/// Releases userdata the library kept, when the handle holding it is freed.
pub type f7t_userdata_free_cb = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// Receives one log line: `level` is one of `F7T_LOG_*`, `message` is
/// NUL-terminated, valid only during the call, and never contains a secret.
/// May run on any thread, including the library's network thread; it must
/// not block for long or call `f7t_set_log_callback`.
pub type f7t_log_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, level: i32, message: *const c_char)>;

/// Client authentication by `client_id` and `client_secret` in the form body
/// (`client_secret_post`, the default).
pub const F7T_CLIENT_AUTH_POST: i32 = 0;
/// Client authentication by HTTP Basic, id and secret form-urlencoded first
/// (`client_secret_basic`, RFC 6749 section 2.3.1).
pub const F7T_CLIENT_AUTH_BASIC: i32 = 1;

pub const F7T_LOG_ERROR: i32 = 1;
pub const F7T_LOG_WARN: i32 = 2;
pub const F7T_LOG_INFO: i32 = 3;
pub const F7T_LOG_DEBUG: i32 = 4;

/// Lets userdata pointers cross to the thread that runs a callback. The
/// caller promised, by the API's documented rules, that this is safe.
#[derive(Clone, Copy)]
struct UserData(*mut c_void);
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

struct OwnedUserData {
    data: UserData,
    free: f7t_userdata_free_cb,
}

impl OwnedUserData {
    /// The pointer; a method so closures capture the whole owner (which is
    /// Send and Sync), not the raw pointer field.
    fn ptr(&self) -> *mut c_void {
        self.data.0
    }
}

impl Drop for OwnedUserData {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the caller gave this finalizer for this pointer.
            unsafe { free(self.data.0) };
        }
    }
}

unsafe fn auth_arg<'a>(auth: *const f7t_auth) -> Result<&'a Auth> {
    auth.as_ref().map(|a| &a.inner).ok_or_else(|| null("auth"))
}

fn publish(auth: Auth, out: &mut *mut f7t_auth) {
    *out = Arc::into_raw(Arc::new(f7t_auth { inner: auth })) as *mut f7t_auth;
}

/// Creates the handle with `make` and writes it to `out` on success only.
unsafe fn construct(
    function: &str,
    out: *mut *mut f7t_auth,
    make: impl FnOnce() -> Result<Auth>,
) -> Status {
    guard(function, || {
        let out = out_arg(out, "out")?;
        let auth = make()?;
        publish(auth, out);
        Ok(())
    })
}

// ----- library -----

/// The library version, `MAJOR.MINOR.PATCH`, the same as `F7T_VERSION`.
///
/// Memory and lifetimes: a static string; do not free it.
#[no_mangle]
pub extern "C" fn f7t_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// A static, one-line description of a status code. Unknown codes give
/// "unknown status code".
///
/// Memory and lifetimes: a static string; do not free it.
#[no_mangle]
pub extern "C" fn f7t_status_str(status: i32) -> *const c_char {
    guard_value(
        c"unknown status code".as_ptr(),
        || match Status::from_code(status) {
            Some(status) => status.c_description().as_ptr().cast(),
            None => c"unknown status code".as_ptr(),
        },
    )
}

/// The detail of the last failure on the calling thread: what failed, the
/// endpoint, the HTTP status, the server's `error` and `error_description`,
/// and what to check. Never NULL; "no error" before any failure. A success
/// does not clear it.
///
/// Memory and lifetimes: owned by the library; valid until the next failing
/// call on this thread. Copy it to keep it.
#[no_mangle]
pub extern "C" fn f7t_last_error_message() -> *const c_char {
    guard_value(
        c"the last error is unavailable".as_ptr(),
        boundary::last_error_message,
    )
}

/// The status of the last failure on the calling thread (`F7T_STATUS_OK` before any).
#[no_mangle]
pub extern "C" fn f7t_last_error_status() -> Status {
    guard_value(Status::Internal, boundary::last_error_status)
}

/// Sends the library's log lines up to `level` (`F7T_LOG_ERROR` ..
/// `F7T_LOG_DEBUG`) to `callback`; a NULL callback stops that. Independent
/// of this, setting the environment variable `F7T_LOG` to `error`, `warn`,
/// `info` or `debug` writes lines to stderr.
///
/// Returns `F7T_STATUS_INVALID_ARGUMENT` for a level outside 1..4.
///
/// Memory and lifetimes: `userdata` is passed to every call and is not
/// freed by the library.
#[no_mangle]
pub extern "C" fn f7t_set_log_callback(
    callback: f7t_log_cb,
    userdata: *mut c_void,
    level: i32,
) -> Status {
    guard("f7t_set_log_callback", || {
        let level = match level {
            F7T_LOG_ERROR => Level::Error,
            F7T_LOG_WARN => Level::Warn,
            F7T_LOG_INFO => Level::Info,
            F7T_LOG_DEBUG => Level::Debug,
            _ => {
                return Err(Error::invalid_argument(format!(
                    "log level {level} is not 1..4"
                )))
            }
        };
        let userdata = UserData(userdata);
        let sink = callback.map(|callback| -> log::Sink {
            Box::new(move |level: Level, message: &str| {
                let userdata = userdata;
                if let Ok(text) = std::ffi::CString::new(message.replace('\0', " ")) {
                    // SAFETY: the host installed this callback for this use.
                    unsafe { callback(userdata.0, level as i32, text.as_ptr()) };
                }
            })
        });
        log::set_sink(sink, level);
        Ok(())
    })
}

// ----- creating and freeing handles -----

/// Creates a handle for a token the caller already has (a long-lived token
/// from a portal, or one obtained elsewhere).
///
/// - `token`: the access token; required, printable ASCII without spaces.
/// - `expires_at`: its expiry in Unix seconds, or 0 to read the JWT `exp`
///   claim (a token with neither never expires as far as the library knows).
/// - `out`: receives the new handle on success.
///
/// Returns `F7T_STATUS_NULL_ARGUMENT`, `F7T_STATUS_INVALID_UTF8` or `F7T_STATUS_INVALID_ARGUMENT`
/// for bad arguments. `f7t_auth_get_access_token` on it returns
/// `F7T_STATUS_TOKEN_EXPIRED` after expiry, and `F7T_STATUS_TOKEN_REJECTED` after
/// `f7t_auth_invalidate` named it.
///
/// Memory and lifetimes: the token is copied. Free the handle with
/// `f7t_auth_free`. This handle never starts a thread.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_static_token_new(
    token: *const c_char,
    expires_at: i64,
    out: *mut *mut f7t_auth,
) -> Status {
    construct("f7t_auth_static_token_new", out, || {
        let token = str_arg(token, "token")?;
        Auth::static_token(token, (expires_at > 0).then_some(expires_at))
    })
}

/// Creates a handle for an API key sent in its own header (FirecREST's
/// service-account proxy reads `X-API-Key`). It yields a header through
/// `f7t_auth_get_header`; `f7t_auth_get_access_token` on it returns
/// `F7T_STATUS_WRONG_HANDLE_KIND`.
///
/// - `header_name`: the header, or NULL for `X-API-Key`.
/// - `api_key`: the key; required, printable ASCII without spaces.
/// - `out`: receives the new handle on success.
///
/// Returns `F7T_STATUS_NULL_ARGUMENT`, `F7T_STATUS_INVALID_UTF8` or `F7T_STATUS_INVALID_ARGUMENT`
/// for bad arguments.
///
/// Memory and lifetimes: both strings are copied. Free the handle with
/// `f7t_auth_free`. This handle never starts a thread.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_api_key_new(
    header_name: *const c_char,
    api_key: *const c_char,
    out: *mut *mut f7t_auth,
) -> Status {
    construct("f7t_auth_api_key_new", out, || {
        let header_name = opt_str_arg(header_name, "header_name")?;
        let api_key = str_arg(api_key, "api_key")?;
        Auth::api_key(header_name, api_key)
    })
}

/// Creates a handle for the OAuth2 client credentials grant (a service
/// account): it POSTs `grant_type=client_credentials` to the token endpoint.
///
/// - `token_endpoint`: the token endpoint URL, for example
///   `https://auth.cscs.ch/auth/realms/firecrest-clients/protocol/openid-connect/token`.
///   HTTPS, or plain HTTP to a loopback address; see
///   `f7t_auth_set_allow_insecure_http`.
/// - `client_id`, `client_secret`: the client's credentials.
/// - `out`: receives the new handle on success.
///
/// The client authenticates with `client_secret_post` unless
/// `f7t_auth_set_client_auth` says otherwise. No request is made here: the
/// first `f7t_auth_get_access_token` fetches the token, and checks the
/// transport policy (so plain HTTP to a remote host fails there, with
/// `F7T_STATUS_INSECURE_URL`, unless allowed in between).
///
/// Returns `F7T_STATUS_NULL_ARGUMENT`, `F7T_STATUS_INVALID_UTF8` or `F7T_STATUS_INVALID_ARGUMENT`
/// (empty values, a malformed URL).
///
/// Memory and lifetimes: the strings are copied; the copy of the secret is
/// wiped when the handle is freed. Free the handle with `f7t_auth_free`.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_client_credentials_new(
    token_endpoint: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    out: *mut *mut f7t_auth,
) -> Status {
    construct("f7t_auth_client_credentials_new", out, || {
        let token_endpoint = str_arg(token_endpoint, "token_endpoint")?;
        let client_id = str_arg(client_id, "client_id")?;
        let client_secret = Secret::new(str_arg(client_secret, "client_secret")?);
        Auth::client_credentials(token_endpoint, client_id, client_secret)
    })
}

/// Creates a handle whose tokens come from the host's own function, called
/// whenever the cached token needs renewing (the C form of pyFirecREST's
/// "any object with get_access_token()").
///
/// - `provider`: the function; required. See `f7t_token_provider_cb`.
/// - `userdata`: passed to every call of `provider`.
/// - `free_userdata`: called once with `userdata` when the handle is freed,
///   or NULL. Not called if this function fails.
/// - `out`: receives the new handle on success.
///
/// Returns `F7T_STATUS_NULL_ARGUMENT` for a NULL provider or `out`. When the
/// provider fails, `f7t_auth_get_access_token` returns `F7T_STATUS_PROVIDER_FAILED`.
///
/// Memory and lifetimes: the library keeps `userdata` until the handle is
/// freed. Free the handle with `f7t_auth_free`.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_callback_new(
    provider: f7t_token_provider_cb,
    userdata: *mut c_void,
    free_userdata: f7t_userdata_free_cb,
    out: *mut *mut f7t_auth,
) -> Status {
    guard("f7t_auth_callback_new", || {
        let out = out_arg(out, "out")?;
        let provider = provider.ok_or_else(|| null("provider"))?;
        let owned = OwnedUserData {
            data: UserData(userdata),
            free: free_userdata,
        };
        let auth = Auth::callback(Box::new(move || call_provider(provider, &owned)));
        publish(auth, out);
        Ok(())
    })
}

fn call_provider(
    provider: unsafe extern "C" fn(*mut c_void, *mut f7t_token_sink) -> i32,
    userdata: &OwnedUserData,
) -> Result<Provided> {
    let mut sink = f7t_token_sink {
        token: None,
        expires_in: None,
        error: None,
    };
    // SAFETY: the host gave this function and userdata for this purpose; the
    // sink lives until the call returns.
    let code = unsafe { provider(userdata.data.0, &mut sink) };
    let reason = sink
        .error
        .take()
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    match (code, sink.token.take()) {
        (0, Some(token)) => Ok((token, sink.expires_in)),
        (0, None) => Err(Error::new(
            Status::ProviderFailed,
            "the token provider returned 0 but set no token with f7t_token_sink_set_token",
        )),
        (code, _) => Err(Error::new(
            Status::ProviderFailed,
            format!("the token provider returned {code}{reason}"),
        )),
    }
}

/// Hands a token to the library from inside a token provider callback.
///
/// - `sink`: the sink the provider received.
/// - `token`: the access token; copied.
/// - `expires_in`: its lifetime in seconds from now, or 0 to read the JWT
///   `exp` claim (or assume 300 s).
///
/// Returns `F7T_STATUS_NULL_ARGUMENT`, `F7T_STATUS_INVALID_UTF8` or `F7T_STATUS_INVALID_ARGUMENT`
/// (an empty token, a negative lifetime).
#[no_mangle]
pub unsafe extern "C" fn f7t_token_sink_set_token(
    sink: *mut f7t_token_sink,
    token: *const c_char,
    expires_in: i64,
) -> Status {
    guard("f7t_token_sink_set_token", || {
        let sink = out_arg(sink, "sink")?;
        let token = str_arg(token, "token")?;
        if expires_in < 0 {
            return Err(Error::invalid_argument("expires_in is negative"));
        }
        sink.token = Some(Secret::new(token));
        sink.expires_in = (expires_in > 0).then(|| Duration::from_secs(expires_in as u64));
        Ok(())
    })
}

/// Gives a reason from inside a failing token provider callback; it becomes
/// part of the message of the `F7T_STATUS_PROVIDER_FAILED` status. Do not put
/// secrets in it.
///
/// Returns `F7T_STATUS_NULL_ARGUMENT` or `F7T_STATUS_INVALID_UTF8` for bad arguments.
#[no_mangle]
pub unsafe extern "C" fn f7t_token_sink_set_error(
    sink: *mut f7t_token_sink,
    message: *const c_char,
) -> Status {
    guard("f7t_token_sink_set_error", || {
        let sink = out_arg(sink, "sink")?;
        sink.error = Some(str_arg(message, "message")?.to_owned());
        Ok(())
    })
}

/// Creates a handle from the environment variables pyFirecREST's command
/// line reads: `FIRECREST_CLIENT_ID`, `FIRECREST_CLIENT_SECRET` and
/// `AUTH_TOKEN_URL` give a client credentials handle; otherwise
/// `FIRECREST_TOKEN_COMMAND` gives a token command handle; otherwise
/// `FIRECREST_API_KEY` gives an API key handle.
///
/// Returns `F7T_STATUS_MISSING_ENVIRONMENT` with a message naming the unset
/// variables, or the statuses of the constructor it calls.
///
/// Memory and lifetimes: values are copied. Free with `f7t_auth_free`.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_from_env(out: *mut *mut f7t_auth) -> Status {
    construct("f7t_auth_from_env", out, Auth::from_env)
}

/// Creates a client credentials handle whose token endpoint is discovered
/// from the provider's issuer URL (`<issuer>/.well-known/openid-configuration`,
/// read on the first fetch; the issuer it names must match).
///
/// Returns the statuses of `f7t_auth_client_credentials_new`; discovery
/// failures (`F7T_STATUS_DISCOVERY`) come from the first fetch.
///
/// Memory and lifetimes: as for `f7t_auth_client_credentials_new`.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_client_credentials_from_issuer_new(
    issuer: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    out: *mut *mut f7t_auth,
) -> Status {
    construct("f7t_auth_client_credentials_from_issuer_new", out, || {
        let issuer = str_arg(issuer, "issuer")?;
        let client_id = str_arg(client_id, "client_id")?;
        let client_secret = Secret::new(str_arg(client_secret, "client_secret")?);
        Auth::client_credentials_from_issuer(issuer, client_id, client_secret)
    })
}

/// Creates a handle for the device authorization grant (RFC 8628): the
/// first request for a token shows a code to a person (on stderr, or through
/// `f7t_auth_set_device_prompt`) and waits until they approve it in a
/// browser. The refresh token of that login then renews the access token
/// without a prompt; with `f7t_auth_set_token_store`, later processes reuse
/// the login too.
///
/// - `device_authorization_endpoint`, `token_endpoint`: the provider's URLs.
/// - `client_id`: the client; `client_secret`: NULL for a public client.
/// - `out`: receives the new handle on success.
///
/// Returns `F7T_STATUS_NULL_ARGUMENT`, `F7T_STATUS_INVALID_UTF8` or
/// `F7T_STATUS_INVALID_ARGUMENT`. The waiting call later returns
/// `F7T_STATUS_ACCESS_DENIED`, `F7T_STATUS_EXPIRED_TOKEN` (the code ran out)
/// or `F7T_STATUS_CANCELLED`; `F7T_STATUS_INVALID_GRANT` means the refresh
/// token was refused and the next call logs in again.
///
/// Memory and lifetimes: strings are copied; free with `f7t_auth_free`.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_device_code_new(
    device_authorization_endpoint: *const c_char,
    token_endpoint: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    out: *mut *mut f7t_auth,
) -> Status {
    construct("f7t_auth_device_code_new", out, || {
        let device = str_arg(
            device_authorization_endpoint,
            "device_authorization_endpoint",
        )?;
        let token = str_arg(token_endpoint, "token_endpoint")?;
        let client_id = str_arg(client_id, "client_id")?;
        let secret = opt_str_arg(client_secret, "client_secret")?.map(Secret::new);
        Auth::device_code(device, token, client_id, secret)
    })
}

/// Creates a device-code handle (see `f7t_auth_device_code_new`) whose
/// endpoints are discovered from the provider's issuer URL. A provider that
/// offers no device endpoint fails the first fetch with
/// `F7T_STATUS_NO_DEVICE_ENDPOINT`.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_device_code_from_issuer_new(
    issuer: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    out: *mut *mut f7t_auth,
) -> Status {
    construct("f7t_auth_device_code_from_issuer_new", out, || {
        let issuer = str_arg(issuer, "issuer")?;
        let client_id = str_arg(client_id, "client_id")?;
        let secret = opt_str_arg(client_secret, "client_secret")?.map(Secret::new);
        Auth::device_code_from_issuer(issuer, client_id, secret)
    })
}

/// Creates a handle that renews access tokens with a refresh token the
/// caller already has. When the server sends a new refresh token the old
/// one is dropped (rotation); when it sends none the old one is kept. Only
/// one thread at a time spends the refresh token.
///
/// - `token_endpoint`: the token endpoint URL.
/// - `client_id`; `client_secret`: NULL for a public client.
/// - `refresh_token`: the refresh token; copied and wiped on free.
/// - `out`: receives the new handle on success.
///
/// Returns `F7T_STATUS_NULL_ARGUMENT`, `F7T_STATUS_INVALID_UTF8` or
/// `F7T_STATUS_INVALID_ARGUMENT`. A refused refresh token later gives
/// `F7T_STATUS_INVALID_GRANT` ("log in again").
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_refresh_token_new(
    token_endpoint: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    refresh_token: *const c_char,
    out: *mut *mut f7t_auth,
) -> Status {
    construct("f7t_auth_refresh_token_new", out, || {
        let token = str_arg(token_endpoint, "token_endpoint")?;
        let client_id = str_arg(client_id, "client_id")?;
        let secret = opt_str_arg(client_secret, "client_secret")?.map(Secret::new);
        let refresh_token = Secret::new(str_arg(refresh_token, "refresh_token")?);
        Auth::refresh_token(token, client_id, secret, refresh_token)
    })
}

/// Creates a refresh-token handle (see `f7t_auth_refresh_token_new`) whose
/// token endpoint is discovered from the provider's issuer URL.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_refresh_token_from_issuer_new(
    issuer: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    refresh_token: *const c_char,
    out: *mut *mut f7t_auth,
) -> Status {
    construct("f7t_auth_refresh_token_from_issuer_new", out, || {
        let issuer = str_arg(issuer, "issuer")?;
        let client_id = str_arg(client_id, "client_id")?;
        let secret = opt_str_arg(client_secret, "client_secret")?.map(Secret::new);
        let refresh_token = Secret::new(str_arg(refresh_token, "refresh_token")?);
        Auth::refresh_token_from_issuer(issuer, client_id, secret, refresh_token)
    })
}

/// Creates a handle whose token is printed by a command, run as
/// `/bin/sh -c command` (pyFirecREST's `FIRECREST_TOKEN_COMMAND`). Its
/// trimmed stdout is the token, cached for `lifetime_seconds`, or, with 0,
/// until the JWT `exp` (300 s for an opaque token). The command is killed
/// when it runs past the handle's total timeout (30 s by default).
///
/// Returns `F7T_STATUS_NULL_ARGUMENT`, `F7T_STATUS_INVALID_UTF8` or
/// `F7T_STATUS_INVALID_ARGUMENT`. A failing command later gives
/// `F7T_STATUS_COMMAND_FAILED` with its exit status, never its output.
///
/// Memory and lifetimes: the command is copied (and treated as a secret).
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_token_command_new(
    command: *const c_char,
    lifetime_seconds: i64,
    out: *mut *mut f7t_auth,
) -> Status {
    construct("f7t_auth_token_command_new", out, || {
        let command = str_arg(command, "command")?;
        if lifetime_seconds < 0 {
            return Err(Error::invalid_argument("lifetime_seconds is negative"));
        }
        let lifetime = (lifetime_seconds > 0).then(|| Duration::from_secs(lifetime_seconds as u64));
        Auth::token_command(command, lifetime)
    })
}

/// Frees a handle and wipes the secrets it holds; calls the userdata
/// finalizer of a callback handle. NULL is ignored.
///
/// Must not race with other calls on the same handle; it may be called from
/// any thread.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_free(auth: *mut f7t_auth) {
    if auth.is_null() {
        return;
    }
    guard_value((), || drop(Arc::from_raw(auth as *const f7t_auth)));
}

// ----- settings -----

unsafe fn setting(
    function: &str,
    auth: *mut f7t_auth,
    apply: impl FnOnce(&Auth) -> Result<()>,
) -> Status {
    guard(function, || apply(auth_arg(auth)?))
}

fn non_negative(name: &str, value: i32) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::invalid_argument(format!("{name} is negative")))
}

/// Sets the minimum remaining validity of a handed-out token, in seconds:
/// a cached token is renewed once it has less than this left. The default,
/// 60 s, clears FirecREST's 30 s floor with room for latency. For a token
/// that lives less than twice this, half its lifetime is used instead, so a
/// fresh short-lived token is never refetched at once.
///
/// Returns `F7T_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_min_validity(auth: *mut f7t_auth, seconds: i32) -> Status {
    setting("f7t_auth_set_min_validity", auth, |auth| {
        let seconds = non_negative("seconds", seconds)?;
        auth.set_margin(Duration::from_secs(seconds.into()));
        Ok(())
    })
}

/// Sets the connect timeout and the total timeout of one token fetch, in
/// milliseconds. The total covers retries and the waits between them.
/// Defaults: 10000 and 30000.
///
/// Returns `F7T_STATUS_INVALID_ARGUMENT` unless both are positive.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_timeouts(
    auth: *mut f7t_auth,
    connect_ms: i32,
    total_ms: i32,
) -> Status {
    setting("f7t_auth_set_timeouts", auth, |auth| {
        let connect = non_negative("connect_ms", connect_ms)?;
        let total = non_negative("total_ms", total_ms)?;
        auth.set_timeouts(
            Duration::from_millis(connect.into()),
            Duration::from_millis(total.into()),
        )
    })
}

/// Sets how many times a failed fetch is retried after transport errors,
/// HTTP 429 and 5xx (honouring `Retry-After`), with exponential backoff and
/// jitter. Never retried: `invalid_client`, `invalid_grant` and other
/// permanent errors. Default 2; 0 disables retries.
///
/// Returns `F7T_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_max_retries(auth: *mut f7t_auth, retries: i32) -> Status {
    setting("f7t_auth_set_max_retries", auth, |auth| {
        auth.set_max_retries(non_negative("retries", retries)?);
        Ok(())
    })
}

/// Trusts the CA certificates in a PEM file instead of the system store
/// (like curl's `--cacert`). NULL or "" goes back to the system store,
/// which honours `SSL_CERT_FILE` and `SSL_CERT_DIR`.
///
/// Returns `F7T_STATUS_INVALID_ARGUMENT` if the file cannot be read now; a file
/// without certificates fails the next fetch with the same status.
///
/// Memory and lifetimes: the path is copied; the file is read on the next
/// fetch.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_ca_file(auth: *mut f7t_auth, path: *const c_char) -> Status {
    setting("f7t_auth_set_ca_file", auth, |auth| {
        let path = opt_str_arg(path, "path")?;
        auth.set_ca_file(path.map(std::path::PathBuf::from))
    })
}

/// Allows (non-zero) plain HTTP token endpoints on hosts other than
/// loopback. Off by default: tokens and secrets then cross the network in
/// clear text, so allow it only on a network you trust.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_allow_insecure_http(
    auth: *mut f7t_auth,
    allow: i32,
) -> Status {
    setting("f7t_auth_set_allow_insecure_http", auth, |auth| {
        auth.set_allow_insecure_http(allow != 0);
        Ok(())
    })
}

/// Appends text to the User-Agent (`firecrest-auth/VERSION <suffix>`), for
/// example your program's name and version. NULL or "" removes it.
///
/// Returns `F7T_STATUS_INVALID_ARGUMENT` unless it is printable ASCII.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_user_agent_suffix(
    auth: *mut f7t_auth,
    suffix: *const c_char,
) -> Status {
    setting("f7t_auth_set_user_agent_suffix", auth, |auth| {
        let suffix = opt_str_arg(suffix, "suffix")?;
        auth.set_user_agent_suffix(suffix.map(str::to_owned))
    })
}

/// Sets the `scope` parameter sent on every token request (space-separated
/// scopes). NULL or "" sends none. Drops the cached token.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_scope(auth: *mut f7t_auth, scope: *const c_char) -> Status {
    setting("f7t_auth_set_scope", auth, |auth| {
        auth.set_scope(opt_str_arg(scope, "scope")?.map(str::to_owned));
        Ok(())
    })
}

/// Sets the `audience` parameter sent on every token request (Keycloak,
/// Auth0 and others). NULL or "" sends none. Drops the cached token.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_audience(
    auth: *mut f7t_auth,
    audience: *const c_char,
) -> Status {
    setting("f7t_auth_set_audience", auth, |auth| {
        auth.set_audience(opt_str_arg(audience, "audience")?.map(str::to_owned));
        Ok(())
    })
}

/// Sets the `resource` parameter (RFC 8707) sent on every token request.
/// NULL or "" sends none. Drops the cached token.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_resource(
    auth: *mut f7t_auth,
    resource: *const c_char,
) -> Status {
    setting("f7t_auth_set_resource", auth, |auth| {
        auth.set_resource(opt_str_arg(resource, "resource")?.map(str::to_owned));
        Ok(())
    })
}

/// Chooses how the client authenticates: `F7T_CLIENT_AUTH_POST` (default)
/// or `F7T_CLIENT_AUTH_BASIC`. Drops the cached token.
///
/// Returns `F7T_STATUS_INVALID_ARGUMENT` for another value.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_client_auth(auth: *mut f7t_auth, method: i32) -> Status {
    setting("f7t_auth_set_client_auth", auth, |auth| {
        let method = match method {
            F7T_CLIENT_AUTH_POST => ClientAuthMethod::Post,
            F7T_CLIENT_AUTH_BASIC => ClientAuthMethod::Basic,
            _ => {
                return Err(Error::invalid_argument(format!(
                    "unknown client auth {method}"
                )))
            }
        };
        auth.set_client_auth_method(method);
        Ok(())
    })
}

/// Keeps the login's tokens in a file so that later handles, in this or
/// other processes, reuse them: the refresh token, and the access token
/// with its expiry. The file is written with mode 0600, atomically; a store
/// other users could read is refused with `F7T_STATUS_TOKEN_STORE`.
/// Processes sharing a store take turns (a lock file beside it), so a
/// single-use refresh token is never spent twice. NULL or "" stops using a
/// store. Device-code and refresh-token handles only.
///
/// Returns `F7T_STATUS_WRONG_HANDLE_KIND` for other handles.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_token_store(
    auth: *mut f7t_auth,
    path: *const c_char,
) -> Status {
    setting("f7t_auth_set_token_store", auth, |auth| {
        let path = opt_str_arg(path, "path")?;
        auth.set_token_store(path.map(std::path::PathBuf::from))
    })
}

/// Shares tokens between the processes of a node through files in `dir`
/// (for example `$XDG_RUNTIME_DIR/f7t`): handles with the same grant,
/// endpoint, client, secret and scope/audience/resource fetch one token,
/// not one each. The first process takes a lock and fetches; the others wait
/// for the lock and read its token. Files are mode 0600 and replaced
/// atomically; a lock held by a process that died is released by the
/// kernel. NULL or "" stops sharing. Handles take their initial value from
/// the environment variable `F7T_CACHE_DIR`. Used by client credentials and
/// token command handles; others ignore it.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_shared_cache_dir(
    auth: *mut f7t_auth,
    dir: *const c_char,
) -> Status {
    setting("f7t_auth_set_shared_cache_dir", auth, |auth| {
        let dir = opt_str_arg(dir, "dir")?;
        auth.set_shared_cache_dir(dir.map(std::path::PathBuf::from))
    })
}

/// Replaces the stderr prompt of a device login with `prompt` (see
/// `f7t_device_prompt_cb`); NULL goes back to stderr.
///
/// Returns `F7T_STATUS_WRONG_HANDLE_KIND` unless it is a device-code handle.
///
/// Memory and lifetimes: the library keeps `userdata` until the prompt is
/// replaced or the handle freed, then calls `free_userdata` with it (if not
/// NULL). If this function fails, `free_userdata` is not called.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_set_device_prompt(
    auth: *mut f7t_auth,
    prompt: f7t_device_prompt_cb,
    userdata: *mut c_void,
    free_userdata: f7t_userdata_free_cb,
) -> Status {
    setting("f7t_auth_set_device_prompt", auth, |auth| {
        let Some(prompt) = prompt else {
            return auth.set_device_prompt(None);
        };
        let owned = OwnedUserData {
            data: UserData(userdata),
            free: free_userdata,
        };
        let wrapped = move |shown: &crate::grants::device::DevicePrompt| -> bool {
            let text = |s: &str| std::ffi::CString::new(s.replace('\0', " ")).unwrap_or_default();
            let uri = text(&shown.verification_uri);
            let complete = shown.verification_uri_complete.as_deref().map(text);
            let code = text(&shown.user_code);
            // SAFETY: the host gave this function and userdata; the strings
            // live until it returns.
            let answer = unsafe {
                prompt(
                    owned.ptr(),
                    uri.as_ptr(),
                    complete.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
                    code.as_ptr(),
                    shown.expires_in.as_secs() as i64,
                )
            };
            answer == 0
        };
        auth.set_device_prompt(Some(Arc::new(wrapped)))
    })
}

/// Cancels a device login that is waiting for approval, from any thread:
/// the waiting call returns `F7T_STATUS_CANCELLED` within a moment. Does
/// nothing when no login is running (a later login is not affected).
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_cancel(auth: *mut f7t_auth) -> Status {
    setting("f7t_auth_cancel", auth, |auth| {
        auth.cancel();
        Ok(())
    })
}

// ----- getting tokens -----

/// Gets a valid access token and passes it to `callback`.
///
/// A cached token with more than the minimum validity left is handed out
/// without a lock or a request. Otherwise one thread fetches a new token
/// (others wait for it, or keep using the current token while it is still
/// valid), with timeouts and retries as set on the handle.
///
/// - `auth`: the handle.
/// - `callback`: receives the token; see `f7t_token_cb`. Called at most
///   once, and only on success.
/// - `userdata`: passed to `callback`.
///
/// Returns `F7T_STATUS_OK`, `F7T_STATUS_NULL_ARGUMENT`, `F7T_STATUS_WRONG_HANDLE_KIND` (an API
/// key handle: use `f7t_auth_get_header`), `F7T_STATUS_INSECURE_URL` (plain
/// HTTP to a host that is not loopback, checked here so that
/// `f7t_auth_set_allow_insecure_http` can come after `_new`),
/// `F7T_STATUS_INVALID_ARGUMENT` (a CA file without certificates), a
/// transport (2xx), server reply (3xx) or OAuth (4xx) status,
/// `F7T_STATUS_PROVIDER_FAILED`, `F7T_STATUS_COMMAND_FAILED`,
/// `F7T_STATUS_TOKEN_STORE`, `F7T_STATUS_TOKEN_EXPIRED`,
/// `F7T_STATUS_TOKEN_REJECTED` or `F7T_STATUS_CANCELLED`. Details:
/// `f7t_last_error_message`.
///
/// Memory and lifetimes: the token passed to `callback` is valid only
/// during the callback.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_get_access_token(
    auth: *mut f7t_auth,
    callback: f7t_token_cb,
    userdata: *mut c_void,
) -> Status {
    guard("f7t_auth_get_access_token", || {
        let auth = auth_arg(auth)?;
        let callback = callback.ok_or_else(|| null("callback"))?;
        auth.with_token(|token| {
            let text = token.token_with_nul();
            // SAFETY: the token stays alive for the whole callback.
            unsafe {
                callback(
                    userdata,
                    text.as_ptr().cast(),
                    (text.len() - 1) as i64,
                    token.expires_at_unix(),
                )
            };
        })
    })
}

/// Asks for a valid access token without blocking, for event loops: returns
/// at once, and `callback` later receives the token or the failure (see
/// `f7t_token_done_cb`), exactly once. The token is cached and renewed as
/// for `f7t_auth_get_access_token`.
///
/// The first call starts the library's worker thread (one per process,
/// shared by all handles), which runs requests one after another.
///
/// Returns `F7T_STATUS_OK` when the request was queued (the result then
/// comes through `callback`, even if the handle is freed meanwhile),
/// `F7T_STATUS_NULL_ARGUMENT`, or `F7T_STATUS_RUNTIME` if the worker could
/// not be started (`callback` is then not called).
///
/// Memory and lifetimes: `userdata` must stay valid until `callback` ran.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_get_access_token_async(
    auth: *mut f7t_auth,
    callback: f7t_token_done_cb,
    userdata: *mut c_void,
) -> Status {
    guard("f7t_auth_get_access_token_async", || {
        if auth.is_null() {
            return Err(null("auth"));
        }
        let callback = callback.ok_or_else(|| null("callback"))?;
        // The request holds its own reference, so the caller may free the
        // handle before the callback ran.
        Arc::increment_strong_count(auth as *const f7t_auth);
        let handle = Arc::from_raw(auth as *const f7t_auth);
        let userdata = UserData(userdata);
        crate::runtime::spawn_blocking(move || {
            let userdata = userdata;
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let delivered = handle.inner.with_token(|token| {
                    let text = token.token_with_nul();
                    // SAFETY: the host's callback; the token lives during it.
                    unsafe {
                        callback(
                            userdata.0,
                            Status::Ok,
                            text.as_ptr().cast(),
                            (text.len() - 1) as i64,
                            token.expires_at_unix(),
                        )
                    };
                });
                if let Err(error) = delivered {
                    boundary::set_last_error(&error);
                    // SAFETY: as above, with no token.
                    unsafe { callback(userdata.0, error.status(), std::ptr::null(), 0, 0) };
                }
            }));
        })
    })
}

/// Gets a valid access token (as `f7t_auth_get_access_token` does) and
/// copies it, NUL-terminated, into a caller buffer. For Fortran, and for C
/// code that wants to keep the token.
///
/// - `buffer`, `buffer_len`: the caller's buffer and its size in bytes;
///   NULL and 0 only ask for the length (the call then returns
///   `F7T_STATUS_BUFFER_TOO_SMALL` with `*token_len_out` set).
/// - `token_len_out`: receives the token's length without the NUL; also
///   written when the buffer is too small, so a caller can size it. May be
///   NULL.
/// - `expires_at_out`: receives the expiry in Unix seconds (0 unknown); may
///   be NULL.
///
/// Returns the statuses of `f7t_auth_get_access_token`, and
/// `F7T_STATUS_BUFFER_TOO_SMALL` when `buffer_len` < token length + 1 (the buffer
/// is then left untouched).
///
/// Memory and lifetimes: the copy is the caller's; wipe it when done.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_copy_access_token(
    auth: *mut f7t_auth,
    buffer: *mut c_char,
    buffer_len: i64,
    token_len_out: *mut i64,
    expires_at_out: *mut i64,
) -> Status {
    guard("f7t_auth_copy_access_token", || {
        let auth = auth_arg(auth)?;
        if buffer.is_null() && buffer_len != 0 {
            return Err(null("buffer"));
        }
        let copied = auth.with_token(|token| {
            let text = token.token_with_nul().as_bytes();
            if !token_len_out.is_null() {
                // SAFETY: checked non-NULL; the caller passed a writable i64.
                unsafe { *token_len_out = (text.len() - 1) as i64 };
            }
            if buffer_len < text.len() as i64 {
                return false;
            }
            // SAFETY: the caller's buffer holds `buffer_len` >= text.len() bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(text.as_ptr(), buffer.cast(), text.len());
                if !expires_at_out.is_null() {
                    *expires_at_out = token.expires_at_unix();
                }
            }
            true
        })?;
        if copied {
            Ok(())
        } else {
            Err(Error::new(
                Status::BufferTooSmall,
                format!("the buffer of {buffer_len} bytes is too small for the token and its NUL"),
            ))
        }
    })
}

/// Gets the header to send with an API request and passes it to `callback`:
/// `Authorization` / `Bearer <token>` for token handles, or the API key's
/// header and value. Renews the token as `f7t_auth_get_access_token` does.
///
/// Returns the statuses of `f7t_auth_get_access_token`, except that API key
/// handles succeed here.
///
/// Memory and lifetimes: both strings are valid only during the callback.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_get_header(
    auth: *mut f7t_auth,
    callback: f7t_header_cb,
    userdata: *mut c_void,
) -> Status {
    guard("f7t_auth_get_header", || {
        let auth = auth_arg(auth)?;
        let callback = callback.ok_or_else(|| null("callback"))?;
        auth.with_header(|token| {
            let name = std::ffi::CString::new(token.header_name()).unwrap_or_default();
            let value = token.header_value_with_nul();
            // SAFETY: both strings stay alive for the whole callback.
            unsafe {
                callback(
                    userdata,
                    name.as_ptr(),
                    value.as_ptr().cast(),
                    token.expires_at_unix(),
                )
            };
        })
    })
}

/// Tells the handle that a server rejected a token (HTTP 401): the next
/// `f7t_auth_get_access_token` fetches a new one.
///
/// - `rejected_token`: the token the server rejected, or NULL for "the
///   current one". Passing it is better: when many threads report the same
///   rejected token, only the first report drops it, so they cause one
///   fetch, and a late report cannot drop the fresh replacement.
///
/// For a static token or API key handle the token cannot be replaced, so
/// later calls return `F7T_STATUS_TOKEN_REJECTED`.
///
/// Returns `F7T_STATUS_NULL_ARGUMENT` for a NULL handle, `F7T_STATUS_INVALID_UTF8`.
#[no_mangle]
pub unsafe extern "C" fn f7t_auth_invalidate(
    auth: *mut f7t_auth,
    rejected_token: *const c_char,
) -> Status {
    guard("f7t_auth_invalidate", || {
        let auth = auth_arg(auth)?;
        let rejected = opt_str_arg(rejected_token, "rejected_token")?;
        auth.invalidate(rejected.map(str::as_bytes));
        Ok(())
    })
}

/// Reads one claim from a JWT's payload, without verifying the token: for
/// showing who a token is for (`sub`), its audience (`aud`) or expiry
/// (`exp`). Strings are copied as they are, other values as JSON text.
///
/// - `token`: a JWT.
/// - `claim`: the claim's name.
/// - `buffer`, `buffer_len`: where the NUL-terminated value goes; NULL and 0
///   only ask for the length (`F7T_STATUS_BUFFER_TOO_SMALL`, `*len_out` set).
/// - `len_out`: receives the value's length without the NUL, also when the
///   buffer is too small; may be NULL.
///
/// Returns `F7T_STATUS_NOT_A_JWT` for an opaque token, `F7T_STATUS_NOT_FOUND`
/// if the claim is absent, `F7T_STATUS_BUFFER_TOO_SMALL`, and
/// `F7T_STATUS_NULL_ARGUMENT` or `F7T_STATUS_INVALID_UTF8` for bad arguments.
#[no_mangle]
pub unsafe extern "C" fn f7t_token_claim(
    token: *const c_char,
    claim: *const c_char,
    buffer: *mut c_char,
    buffer_len: i64,
    len_out: *mut i64,
) -> Status {
    guard("f7t_token_claim", || {
        let token = str_arg(token, "token")?;
        let claim = str_arg(claim, "claim")?;
        if buffer.is_null() && buffer_len != 0 {
            return Err(null("buffer"));
        }
        if crate::jwt::payload(token).is_none() {
            return Err(Error::new(
                Status::NotAJwt,
                "the token is not a JWT (it may be opaque)",
            ));
        }
        let value = crate::jwt::claim(token, claim).ok_or_else(|| {
            Error::new(Status::NotFound, format!("the token has no {claim} claim"))
        })?;
        if !len_out.is_null() {
            *len_out = value.len() as i64;
        }
        if buffer_len <= value.len() as i64 {
            return Err(Error::new(
                Status::BufferTooSmall,
                format!(
                    "the {claim} claim needs {} bytes with its NUL",
                    value.len() + 1
                ),
            ));
        }
        std::ptr::copy_nonoverlapping(value.as_ptr(), buffer.cast(), value.len());
        *buffer.add(value.len()) = 0;
        Ok(())
    })
}
