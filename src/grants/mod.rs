//! The ways of getting a token. Each grant turns a handle's settings into a
//! fresh token set; caching, margins and single-flight renewal are the same
//! for all of them and live in `cache` and `auth`.

pub mod callback;
pub mod client_credentials;
pub mod command;
pub mod device;
pub mod session;

use crate::error::Result;
use crate::http::{ClientSlot, HttpSettings};
use crate::oauth::{ClientAuthMethod, TokenSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
    /// The handle's margin, for grants that reuse a stored token.
    pub margin: Duration,
    pub store: Option<&'a Path>,
    pub prompt: Option<Arc<device::PromptFn>>,
    pub cancel: &'a Arc<Cancel>,
    /// The last token the caller reported as rejected: never to be reused
    /// from a token store or shared cache.
    pub rejected: Option<crate::secret::Secret>,
}

pub trait Grant: Send + Sync {
    /// Says what this grant is and where it gets tokens, for logs and
    /// messages; never contains a secret.
    fn describe(&self) -> String;

    /// Whether fetching needs the network thread.
    fn uses_network(&self) -> bool;

    /// The status for a token this grant produced that cannot be used.
    fn failure_status(&self) -> crate::error::Status {
        crate::error::Status::BadResponse
    }

    /// Identifies what this grant fetches, for the shared cache directory,
    /// or `None` if its tokens must not be shared between processes. It may
    /// hold a hash of a secret, never the secret.
    fn shared_key(&self) -> Option<String> {
        None
    }

    /// Whether this grant may show a person a login prompt.
    fn shows_prompt(&self) -> bool {
        false
    }

    /// Whether this grant can keep its tokens in a token store.
    fn uses_store(&self) -> bool {
        false
    }

    /// Obtains a new token. The cache guarantees that only one thread at a
    /// time calls this per handle.
    fn fetch(&self, context: &FetchContext<'_>) -> Result<TokenSet>;
}

/// Cancels long operations (a device login) from another thread. Each
/// operation remembers the epoch it started in, so a cancel that came
/// before it does not end it.
#[derive(Default)]
pub struct Cancel {
    epoch: AtomicU64,
    notify: tokio::sync::Notify,
}

impl Cancel {
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    pub fn cancel(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.notify.notify_waiters();
    }

    pub fn is_cancelled_since(&self, epoch: u64) -> bool {
        self.epoch() != epoch
    }

    /// Completes once `cancel` is called after `epoch`.
    pub async fn cancelled_since(&self, epoch: u64) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled_since(epoch) {
                return;
            }
            notified.await;
        }
    }
}
