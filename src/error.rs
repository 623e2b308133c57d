//! Status codes and the error type shared by every layer.
//!
//! Codes are grouped by kind in blocks of one hundred and are part of the C ABI:
//! a number, once published, keeps its meaning forever and is never reused.

use std::fmt;

/// A status code (`f7t_status` in C, a fixed-width 32-bit integer): 0 on
/// success, otherwise a code grouped by kind: 1xx the caller's error, 2xx
/// transport, 3xx the server's reply, 4xx an OAuth error the server named,
/// 5xx a local failure, 9xx an internal error. Codes are never renumbered or
/// reused. `f7t_status_str` describes one, `f7t_last_error_message` gives the
/// detail of the last failure on the calling thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Status {
    Ok = 0,

    // Caller errors: the arguments or the order of calls are wrong.
    NullArgument = 100,
    InvalidUtf8 = 101,
    InvalidArgument = 102,
    BufferTooSmall = 103,
    MissingEnvironment = 104,
    InsecureUrl = 105,
    WrongHandleKind = 106,
    LibraryThread = 107,
    NotFound = 108,
    NotAJwt = 109,

    // Transport: the request did not produce an HTTP response we could read.
    Connect = 200,
    Timeout = 201,
    Tls = 202,
    Transport = 203,
    Redirect = 204,
    ResponseTooLarge = 205,

    // Server: an HTTP response came back but is not a usable token reply.
    HttpStatus = 300,
    BadResponse = 301,
    MissingAccessToken = 302,
    UnsupportedTokenType = 303,
    Discovery = 304,
    NoDeviceEndpoint = 305,

    // OAuth errors named by the server in its `error` field.
    InvalidRequest = 400,
    InvalidClient = 401,
    InvalidGrant = 402,
    UnauthorizedClient = 403,
    UnsupportedGrantType = 404,
    InvalidScope = 405,
    AccessDenied = 406,
    ExpiredToken = 407,
    InvalidTarget = 408,
    ServerError = 409,
    TemporarilyUnavailable = 410,
    OtherOauthError = 411,

    // Local failures outside the network.
    ProviderFailed = 500,
    TokenExpired = 501,
    TokenRejected = 502,
    Runtime = 503,
    Cancelled = 504,
    CommandFailed = 505,
    TokenStore = 506,

    // Bugs: these should never be seen.
    Panic = 900,
    Internal = 901,
}

impl Status {
    /// Every status, in numeric order (for tests and documentation).
    pub const ALL: &'static [Status] = &[
        Status::Ok,
        Status::NullArgument,
        Status::InvalidUtf8,
        Status::InvalidArgument,
        Status::BufferTooSmall,
        Status::MissingEnvironment,
        Status::InsecureUrl,
        Status::WrongHandleKind,
        Status::LibraryThread,
        Status::NotFound,
        Status::NotAJwt,
        Status::Connect,
        Status::Timeout,
        Status::Tls,
        Status::Transport,
        Status::Redirect,
        Status::ResponseTooLarge,
        Status::HttpStatus,
        Status::BadResponse,
        Status::MissingAccessToken,
        Status::UnsupportedTokenType,
        Status::Discovery,
        Status::NoDeviceEndpoint,
        Status::InvalidRequest,
        Status::InvalidClient,
        Status::InvalidGrant,
        Status::UnauthorizedClient,
        Status::UnsupportedGrantType,
        Status::InvalidScope,
        Status::AccessDenied,
        Status::ExpiredToken,
        Status::InvalidTarget,
        Status::ServerError,
        Status::TemporarilyUnavailable,
        Status::OtherOauthError,
        Status::ProviderFailed,
        Status::TokenExpired,
        Status::TokenRejected,
        Status::Runtime,
        Status::Cancelled,
        Status::CommandFailed,
        Status::TokenStore,
        Status::Panic,
        Status::Internal,
    ];

    pub fn code(self) -> i32 {
        self as i32
    }

    pub fn from_code(code: i32) -> Option<Status> {
        Status::ALL.iter().copied().find(|s| s.code() == code)
    }

    /// A static, NUL-terminated description, as `f7t_status_str` returns it.
    pub fn c_description(self) -> &'static str {
        match self {
            Status::Ok => "success\0",
            Status::NullArgument => "a required argument was NULL\0",
            Status::InvalidUtf8 => "a string argument is not valid UTF-8\0",
            Status::InvalidArgument => "an argument has an invalid value\0",
            Status::BufferTooSmall => "the buffer is too small\0",
            Status::MissingEnvironment => "a required environment variable is not set\0",
            Status::InsecureUrl => "plain HTTP to a non-loopback host was not allowed\0",
            Status::WrongHandleKind => "this handle does not support that operation\0",
            Status::LibraryThread => "called from the library's own thread\0",
            Status::NotFound => "the requested item is not present\0",
            Status::NotAJwt => "the token is not a JWT (it may be opaque)\0",
            Status::Connect => "could not connect to the server\0",
            Status::Timeout => "the request timed out\0",
            Status::Tls => "TLS handshake or certificate check failed\0",
            Status::Transport => "the HTTP exchange failed\0",
            Status::Redirect => "the server answered with a redirect, which is not followed\0",
            Status::ResponseTooLarge => "the server's response exceeded the size limit\0",
            Status::HttpStatus => "the server answered with an unexpected HTTP status\0",
            Status::BadResponse => "the server's response is not a valid token response\0",
            Status::MissingAccessToken => "the server's response has no access token\0",
            Status::UnsupportedTokenType => "the server issued a token type other than Bearer\0",
            Status::Discovery => "OpenID Connect discovery failed\0",
            Status::NoDeviceEndpoint => "the provider offers no device authorization endpoint\0",
            Status::InvalidRequest => "the server says: invalid_request\0",
            Status::InvalidClient => {
                "the server says: invalid_client (wrong client id or secret)\0"
            }
            Status::InvalidGrant => "the server says: invalid_grant\0",
            Status::UnauthorizedClient => "the server says: unauthorized_client\0",
            Status::UnsupportedGrantType => "the server says: unsupported_grant_type\0",
            Status::InvalidScope => "the server says: invalid_scope\0",
            Status::AccessDenied => "the server says: access_denied\0",
            Status::ExpiredToken => "the server says: expired_token\0",
            Status::InvalidTarget => "the server says: invalid_target (resource or audience)\0",
            Status::ServerError => "the server says: server_error\0",
            Status::TemporarilyUnavailable => "the server says: temporarily_unavailable\0",
            Status::OtherOauthError => "the server returned an OAuth error\0",
            Status::ProviderFailed => "the token provider callback failed\0",
            Status::TokenExpired => "the token has expired and cannot be renewed\0",
            Status::TokenRejected => "the token was invalidated and cannot be renewed\0",
            Status::Runtime => "the library could not start its network thread\0",
            Status::Cancelled => "the operation was cancelled\0",
            Status::CommandFailed => "the token command failed\0",
            Status::TokenStore => "the token store cannot be used\0",
            Status::Panic => "internal error: a panic was caught\0",
            Status::Internal => "internal error\0",
        }
    }

    pub fn description(self) -> &'static str {
        let text = self.c_description();
        &text[..text.len() - 1]
    }

    /// The status for an OAuth `error` code from a server reply.
    pub fn from_oauth_error(error: &str) -> Status {
        match error {
            "invalid_request" => Status::InvalidRequest,
            "invalid_client" => Status::InvalidClient,
            "invalid_grant" => Status::InvalidGrant,
            "unauthorized_client" => Status::UnauthorizedClient,
            "unsupported_grant_type" => Status::UnsupportedGrantType,
            "invalid_scope" => Status::InvalidScope,
            "access_denied" => Status::AccessDenied,
            "expired_token" => Status::ExpiredToken,
            "invalid_target" => Status::InvalidTarget,
            "server_error" => Status::ServerError,
            "temporarily_unavailable" => Status::TemporarilyUnavailable,
            _ => Status::OtherOauthError,
        }
    }
}

/// A failure: its status and a message written for the person who hit it.
///
/// Messages never contain secrets; code that builds them passes only
/// endpoints, HTTP statuses and the server's own error fields.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
        }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> Error {
        Error::new(Status::Internal, message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Error({:?} {}: {})",
            self.status,
            self.status.code(),
            self.message
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_descriptions_terminated() {
        let mut seen = std::collections::HashSet::new();
        for status in Status::ALL {
            assert!(
                seen.insert(status.code()),
                "duplicate code {}",
                status.code()
            );
            assert!(status.c_description().ends_with('\0'));
            assert!(!status.description().contains('\0'));
            assert_eq!(Status::from_code(status.code()), Some(*status));
        }
        assert_eq!(Status::from_code(12345), None);
    }

    #[test]
    fn oauth_errors_map_to_their_statuses() {
        assert_eq!(
            Status::from_oauth_error("invalid_client"),
            Status::InvalidClient
        );
        assert_eq!(
            Status::from_oauth_error("invalid_grant"),
            Status::InvalidGrant
        );
        assert_eq!(Status::from_oauth_error("weird"), Status::OtherOauthError);
    }
}
