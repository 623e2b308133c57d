//! The ways of getting a token. Each grant turns a handle's settings into a
//! fresh token set; caching, margins and single-flight renewal are the same
//! for all of them and live in `cache` and `auth`.

pub mod callback;
pub mod client_credentials;

use crate::error::Result;
use crate::http::{ClientSlot, HttpSettings};
use crate::oauth::{ClientAuthMethod, TokenSet};

/// Request parameters a user may set on a handle, sent on every fetch by the
/// grants that talk to a token endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestSettings {
    pub scope: Option<String>,
    pub audience: Option<String>,
    pub resource: Option<String>,
    pub client_auth_method: Option<ClientAuthMethod>,
}

/// What a grant may use while fetching.
pub struct FetchContext<'a> {
    pub http: &'a HttpSettings,
    pub request: &'a RequestSettings,
    pub client: &'a ClientSlot,
}

pub trait Grant: Send + Sync {
    /// Says what this grant is and where it gets tokens, for logs and
    /// messages; never contains a secret.
    fn describe(&self) -> String;

    /// Whether fetching needs the network thread.
    fn uses_network(&self) -> bool;

    /// Obtains a new token. The cache guarantees that only one thread at a
    /// time calls this per handle.
    fn fetch(&self, context: &FetchContext<'_>) -> Result<TokenSet>;
}
