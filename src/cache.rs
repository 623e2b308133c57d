//! The cached token of one handle and the rules for renewing it.
//!
//! Reading a fresh token is lock-free: one `ArcSwap` load and one clock
//! read. When the token needs renewing, exactly one caller fetches; the
//! others either keep using the current token while it still has enough life
//! left, or wait for that fetch and share its result, success or failure.

use crate::clock;
use crate::error::{Error, Result};
use arc_swap::ArcSwapOption;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The margin when the user sets none: FirecREST refuses tokens with less
/// than 30 s left, so a token is renewed once it has 60 s left.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(60);

/// The lifetime assumed when a server gives neither `expires_in` nor a JWT
/// `exp`, and no earlier token of the handle told us better.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// A token ready to hand out, with its header and its deadlines.
pub struct CachedToken {
    /// The token followed by a NUL, so C callers can borrow it in place.
    token_c: crate::secret::Secret,
    header_name: String,
    /// The header value (`Bearer <token>` or the API key) followed by a NUL.
    header_value_c: crate::secret::Secret,
    /// Monotonic deadlines in ns; `u64::MAX` means "never".
    fresh_until_ns: u64,
    usable_until_ns: u64,
    expires_at_ns: u64,
    /// Unix seconds, or 0 when unknown.
    expires_at_unix: i64,
    lifetime: Option<Duration>,
}

impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("token", &"<redacted>")
            .field("header_name", &self.header_name)
            .field("expires_at_unix", &self.expires_at_unix)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// When a token was obtained and how long it lives.
pub struct Validity {
    pub obtained_at_ns: u64,
    pub obtained_at_unix: i64,
    /// `None` for a token that does not expire.
    pub lifetime: Option<Duration>,
}

/// The margin that applies to a token of this lifetime: the configured one,
/// but never more than half the lifetime, so a fresh short-lived token is
/// not treated as stale the moment it arrives.
pub fn effective_margin(configured: Duration, lifetime: Duration) -> Duration {
    configured.min(lifetime / 2)
}

impl CachedToken {
    pub fn new(
        token: &str,
        header_name: &str,
        header_value: &str,
        validity: Validity,
        margin: Duration,
    ) -> CachedToken {
        let (fresh, usable, expires, unix) = match validity.lifetime {
            None => (u64::MAX, u64::MAX, u64::MAX, 0),
            Some(lifetime) => {
                let margin = effective_margin(margin, lifetime);
                let expires = validity
                    .obtained_at_ns
                    .saturating_add(lifetime.as_nanos() as u64);
                let fresh = expires.saturating_sub(margin.as_nanos() as u64);
                // While another thread renews, a token is still handed out
                // until three quarters of the margin remain.
                let usable = expires.saturating_sub((margin.as_nanos() * 3 / 4) as u64);
                let unix = validity.obtained_at_unix + lifetime.as_secs() as i64;
                (fresh, usable, expires, unix)
            }
        };
        CachedToken {
            token_c: crate::secret::Secret::new(format!("{token}\0")),
            header_name: header_name.to_owned(),
            header_value_c: crate::secret::Secret::new(format!("{header_value}\0")),
            fresh_until_ns: fresh,
            usable_until_ns: usable,
            expires_at_ns: expires,
            expires_at_unix: unix,
            lifetime: validity.lifetime,
        }
    }

    /// Reports `expires_at_unix` as the expiry, for a token whose expiry
    /// the caller stated (it may lie in the past).
    pub fn reporting_expiry(mut self, expires_at_unix: i64) -> CachedToken {
        self.expires_at_unix = expires_at_unix;
        self
    }

    pub fn token(&self) -> &str {
        let text = self.token_c.expose();
        &text[..text.len() - 1]
    }

    /// The token with its terminating NUL.
    pub fn token_with_nul(&self) -> &str {
        self.token_c.expose()
    }

    pub fn header_name(&self) -> &str {
        &self.header_name
    }

    pub fn header_value(&self) -> &str {
        let text = self.header_value_c.expose();
        &text[..text.len() - 1]
    }

    pub fn header_value_with_nul(&self) -> &str {
        self.header_value_c.expose()
    }

    pub fn expires_at_unix(&self) -> i64 {
        self.expires_at_unix
    }

    #[inline]
    pub fn is_fresh(&self, now_ns: u64) -> bool {
        now_ns < self.fresh_until_ns
    }

    pub fn is_usable(&self, now_ns: u64) -> bool {
        now_ns < self.usable_until_ns
    }

    pub fn is_expired(&self, now_ns: u64) -> bool {
        now_ns >= self.expires_at_ns
    }

    pub fn matches(&self, token: &[u8]) -> bool {
        crate::secret::constant_time_eq(self.token().as_bytes(), token)
    }
}

#[derive(Default)]
struct RefreshState {
    in_flight: bool,
    /// The process the refreshing thread belongs to: after `fork()` the
    /// child has no such thread, and must not wait for it.
    owner_pid: u32,
    generation: u64,
    last_error: Option<Error>,
}

#[derive(Default)]
pub struct TokenCache {
    current: ArcSwapOption<CachedToken>,
    state: Mutex<RefreshState>,
    refreshed: Condvar,
}

/// Ends a refresh even if the fetch panicked, so waiters never hang.
struct InFlight<'a> {
    cache: &'a TokenCache,
    error: Option<Error>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut state = self.cache.state.lock().unwrap_or_else(|e| e.into_inner());
        state.in_flight = false;
        state.generation += 1;
        state.last_error = self.error.take().or_else(|| {
            std::thread::panicking()
                .then(|| Error::internal("the token fetch panicked on another thread"))
        });
        self.cache.refreshed.notify_all();
    }
}

impl TokenCache {
    /// Calls `use_token` with a valid token, fetching one with `fetch` when
    /// the cached one is missing or inside its margin.
    #[inline]
    pub fn with_token<R>(
        &self,
        fetch: impl FnOnce() -> Result<CachedToken>,
        use_token: impl FnOnce(&CachedToken) -> R,
    ) -> Result<R> {
        {
            let current = self.current.load();
            if let Some(token) = current.as_deref() {
                if token.is_fresh(clock::monotonic_ns()) {
                    return Ok(use_token(token));
                }
            }
        }
        self.with_token_slow(fetch, use_token)
    }

    #[cold]
    fn with_token_slow<R>(
        &self,
        fetch: impl FnOnce() -> Result<CachedToken>,
        use_token: impl FnOnce(&CachedToken) -> R,
    ) -> Result<R> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let pid = std::process::id();
        if state.in_flight && state.owner_pid != pid {
            state.in_flight = false;
        }
        loop {
            let current = self.current.load_full();
            let now = clock::monotonic_ns();
            if let Some(token) = current.as_deref() {
                if token.is_fresh(now) || (state.in_flight && token.is_usable(now)) {
                    drop(state);
                    return Ok(use_token(token));
                }
            }
            if !state.in_flight {
                break;
            }
            let generation = state.generation;
            while state.in_flight && state.generation == generation {
                state = self
                    .refreshed
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
            }
            if let Some(error) = &state.last_error {
                return Err(error.clone());
            }
            // The refresh succeeded: hand out what it stored, even if a very
            // slow fetch left it inside the margin, rather than fetch again.
            if let Some(token) = self.current.load_full() {
                if !token.is_expired(clock::monotonic_ns()) {
                    drop(state);
                    return Ok(use_token(&token));
                }
            }
        }

        state.in_flight = true;
        state.owner_pid = pid;
        drop(state);
        let mut in_flight = InFlight {
            cache: self,
            error: None,
        };
        match fetch() {
            Ok(token) => {
                let token = Arc::new(token);
                self.current.store(Some(Arc::clone(&token)));
                drop(in_flight);
                Ok(use_token(&token))
            }
            Err(error) => {
                in_flight.error = Some(error.clone());
                drop(in_flight);
                Err(error)
            }
        }
    }

    /// Drops the cached token if it is `rejected` (or any token when
    /// `rejected` is `None`), and returns it. Threads reporting the same
    /// rejected token cause a single renewal: only the first drops it.
    pub fn invalidate(&self, rejected: Option<&[u8]>) -> Option<Arc<CachedToken>> {
        let current = self.current.load_full();
        let token = current.as_ref()?;
        if rejected.is_some_and(|r| !token.matches(r)) {
            return None;
        }
        let previous = self.current.compare_and_swap(&current, None);
        match (&*previous, &current) {
            (Some(a), Some(b)) if Arc::ptr_eq(a, b) => current,
            _ => None,
        }
    }

    pub fn clear(&self) {
        self.current.store(None);
    }

    pub fn peek(&self) -> Option<Arc<CachedToken>> {
        self.current.load_full()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn token(value: &str, lifetime_s: u64, margin_s: u64) -> CachedToken {
        let validity = Validity {
            obtained_at_ns: clock::monotonic_ns(),
            obtained_at_unix: clock::unix_now(),
            lifetime: Some(Duration::from_secs(lifetime_s)),
        };
        let header = format!("Bearer {value}");
        CachedToken::new(
            value,
            "Authorization",
            &header,
            validity,
            Duration::from_secs(margin_s),
        )
    }

    #[test]
    fn margin_shrinks_for_short_tokens() {
        assert_eq!(
            effective_margin(DEFAULT_MARGIN, Duration::from_secs(300)),
            DEFAULT_MARGIN
        );
        assert_eq!(
            effective_margin(DEFAULT_MARGIN, Duration::from_secs(10)),
            Duration::from_secs(5)
        );
        assert!(token("t", 10, 60).is_fresh(clock::monotonic_ns()));
        assert!(!token("t", 10, 60).is_expired(clock::monotonic_ns()));
    }

    #[test]
    fn one_fetch_serves_many_calls() {
        let cache = TokenCache::default();
        let fetches = AtomicUsize::new(0);
        for _ in 0..100 {
            let got = cache
                .with_token(
                    || {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        Ok(token("abc", 300, 60))
                    },
                    |t| t.token().to_owned(),
                )
                .unwrap();
            assert_eq!(got, "abc");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn concurrent_callers_share_one_fetch_and_its_error() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (cache, fetches) = (Arc::clone(&cache), Arc::clone(&fetches));
                std::thread::spawn(move || {
                    cache.with_token(
                        || {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(200));
                            Err(Error::new(Status::InvalidClient, "nope"))
                        },
                        |_| (),
                    )
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(results
            .iter()
            .all(|r| r.as_ref().unwrap_err().status() == Status::InvalidClient));
        // Threads that arrive after the failed fetch start a new one, but the
        // 200 ms fetch makes nearly all of them wait for the first.
        assert!(
            fetches.load(Ordering::SeqCst) < 4,
            "{} fetches",
            fetches.load(Ordering::SeqCst)
        );
    }

    /// A token obtained `age` ago with the given lifetime and margin.
    fn aged_token(value: &str, lifetime_s: u64, margin_s: u64, age: Duration) -> CachedToken {
        let validity = Validity {
            obtained_at_ns: clock::monotonic_ns() - age.as_nanos() as u64,
            obtained_at_unix: clock::unix_now() - age.as_secs() as i64,
            lifetime: Some(Duration::from_secs(lifetime_s)),
        };
        let margin = Duration::from_secs(margin_s);
        CachedToken::new(value, "Authorization", "Bearer x", validity, margin)
    }

    #[test]
    fn a_refresh_does_not_block_holders_of_a_usable_token() {
        // 100 s token, 20 s margin: stale after 80 s, usable to 85 s.
        let cache = Arc::new(TokenCache::default());
        let stale = aged_token("old", 100, 20, Duration::from_secs(82));
        assert!(!stale.is_fresh(clock::monotonic_ns()));
        assert!(stale.is_usable(clock::monotonic_ns()));
        cache.current.store(Some(Arc::new(stale)));

        let refresher = {
            let cache = Arc::clone(&cache);
            std::thread::spawn(move || {
                cache.with_token(
                    || {
                        std::thread::sleep(Duration::from_millis(500));
                        Ok(token("new", 100, 20))
                    },
                    |t| t.token().to_owned(),
                )
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        let started = std::time::Instant::now();
        let seen = cache
            .with_token(|| panic!("a second fetch"), |t| t.token().to_owned())
            .unwrap();
        assert_eq!(seen, "old", "the current token while the refresh runs");
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(refresher.join().unwrap().unwrap(), "new");

        // Past the usable point, callers wait for the refresh instead.
        let cache = Arc::new(TokenCache::default());
        cache.current.store(Some(Arc::new(aged_token(
            "old",
            100,
            20,
            Duration::from_secs(90),
        ))));
        let refresher = {
            let cache = Arc::clone(&cache);
            std::thread::spawn(move || {
                cache.with_token(
                    || {
                        std::thread::sleep(Duration::from_millis(300));
                        Ok(token("new", 100, 20))
                    },
                    |_| (),
                )
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        let seen = cache
            .with_token(|| panic!("a second fetch"), |t| t.token().to_owned())
            .unwrap();
        assert_eq!(seen, "new");
        refresher.join().unwrap().unwrap();
    }

    #[test]
    fn invalidate_only_drops_the_rejected_token() {
        let cache = TokenCache::default();
        cache
            .with_token(|| Ok(token("first", 300, 60)), |_| ())
            .unwrap();
        assert!(cache.invalidate(Some(b"other")).is_none());
        assert!(cache.peek().is_some());
        assert_eq!(cache.invalidate(Some(b"first")).unwrap().token(), "first");
        assert!(cache.invalidate(Some(b"first")).is_none());
        assert!(cache.peek().is_none());
    }

    #[test]
    fn a_panicking_fetch_releases_waiters() {
        let cache = TokenCache::default();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cache.with_token(|| -> Result<CachedToken> { panic!("boom") }, |_| ())
        }));
        assert!(result.is_err());
        let ok = cache.with_token(|| Ok(token("after", 300, 60)), |t| t.token().to_owned());
        assert_eq!(ok.unwrap(), "after");
    }
}
