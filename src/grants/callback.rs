//! Tokens from the host's own code: the C form of pyFirecREST's "any object
//! with get_access_token()". The provider runs on the thread that needs the
//! token, one call at a time per handle, and its result is cached like any
//! other token.

use super::{FetchContext, Grant};
use crate::clock;
use crate::error::Result;
use crate::oauth::TokenSet;
use crate::secret::Secret;
use std::time::Duration;

/// A token and its lifetime (`None`: read the JWT `exp`, or use the default).
pub type Provided = (Secret, Option<Duration>);

pub type ProviderFn = dyn Fn() -> Result<Provided> + Send + Sync;

pub struct Callback {
    provider: Box<ProviderFn>,
}

impl Callback {
    pub fn new(provider: Box<ProviderFn>) -> Callback {
        Callback { provider }
    }
}

impl Grant for Callback {
    fn describe(&self) -> String {
        "the host's token provider callback".to_owned()
    }

    fn uses_network(&self) -> bool {
        false
    }

    fn failure_status(&self) -> crate::error::Status {
        crate::error::Status::ProviderFailed
    }

    fn fetch(&self, _context: &FetchContext<'_>) -> Result<TokenSet> {
        let sent_at_ns = clock::monotonic_ns();
        let sent_at_unix = clock::unix_now();
        let (access_token, expires_in) = (self.provider)()?;
        Ok(TokenSet {
            access_token,
            expires_in,
            refresh_token: None,
            scope: None,
            sent_at_ns,
            sent_at_unix,
        })
    }
}
