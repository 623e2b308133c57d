//! The auth handle: a source of tokens (a fixed token or key, or a grant),
//! the handle's settings, and its token cache. This is the Rust API the C
//! boundary wraps one function to one method.

use crate::cache::{CachedToken, TokenCache, Validity, DEFAULT_LIFETIME, DEFAULT_MARGIN};
use crate::clock;
use crate::discovery::Endpoints;
use crate::error::{Error, Result, Status};
use crate::grants::callback::{Callback, ProviderFn};
use crate::grants::client_credentials::ClientCredentials;
use crate::grants::command::TokenCommand;
use crate::grants::device::PromptFn;
use crate::grants::session::Session;
use crate::grants::{Cancel, FetchContext, Grant, RequestSettings};
use crate::http::{ClientSlot, HttpSettings};
use crate::jwt;
use crate::log::{log, Level};
use crate::oauth::{ClientAuthMethod, TokenSet};
use crate::secret::Secret;
use crate::store::{StoredTokens, TokenStore};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The header FirecREST's service-account proxy reads an API key from.
pub const DEFAULT_API_KEY_HEADER: &str = "X-API-Key";

enum Source {
    /// A static token or an API key: nothing to fetch, nothing to renew.
    Fixed {
        token: Arc<CachedToken>,
        bearer: bool,
        rejected: AtomicBool,
    },
    Grant(Box<dyn Grant>),
}

#[derive(Clone, Default)]
struct Settings {
    http: HttpSettings,
    request: RequestSettings,
    store: Option<PathBuf>,
    prompt: Option<Arc<PromptFn>>,
    shared_cache_dir: Option<PathBuf>,
}

pub struct Auth {
    source: Source,
    settings: RwLock<Settings>,
    margin_ns: AtomicU64,
    /// Lifetime of the last token whose lifetime the server told us, in
    /// seconds (0: none yet); stands in when a later reply leaves it out.
    last_lifetime_s: AtomicU64,
    cache: TokenCache,
    client: ClientSlot,
    cancel: Arc<Cancel>,
    /// The last token reported as rejected (see `invalidate`).
    rejected: std::sync::Mutex<Option<Secret>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("source", &self.describe())
            .finish_non_exhaustive()
    }
}

/// Tokens travel in HTTP headers: refuse anything that could break one.
fn check_header_value(what: &str, value: &str, status: Status) -> Result<()> {
    if value.is_empty() {
        return Err(Error::new(status, format!("the {what} is empty")));
    }
    if let Some(bad) = value.bytes().position(|b| !(0x21..=0x7e).contains(&b)) {
        return Err(Error::new(
            status,
            format!(
                "the {what} contains a space, a control character or a non-ASCII byte at \
                 offset {bad}; it cannot be sent in an HTTP header"
            ),
        ));
    }
    Ok(())
}

fn check_header_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "\"{name}\" is not a valid HTTP header name"
        )))
    }
}

impl Auth {
    fn with_source(source: Source) -> Auth {
        Auth {
            source,
            settings: RwLock::new(Settings {
                shared_cache_dir: std::env::var_os("F7T_CACHE_DIR")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from),
                ..Settings::default()
            }),
            margin_ns: AtomicU64::new(DEFAULT_MARGIN.as_nanos() as u64),
            last_lifetime_s: AtomicU64::new(0),
            cache: TokenCache::default(),
            client: ClientSlot::default(),
            cancel: Arc::new(Cancel::default()),
            rejected: std::sync::Mutex::new(None),
        }
    }

    fn fixed(token: CachedToken, bearer: bool) -> Auth {
        Auth::with_source(Source::Fixed {
            token: Arc::new(token),
            bearer,
            rejected: AtomicBool::new(false),
        })
    }

    /// A token the caller already has. `expires_at_unix` (Unix seconds)
    /// overrides the JWT `exp`; with neither, the token never expires here.
    pub fn static_token(token: &str, expires_at_unix: Option<i64>) -> Result<Auth> {
        check_header_value("static token", token, Status::InvalidArgument)?;
        let expires_at = expires_at_unix.or_else(|| jwt::expiry(token));
        let now_unix = clock::unix_now();
        let validity = Validity {
            obtained_at_ns: clock::monotonic_ns(),
            obtained_at_unix: now_unix,
            lifetime: expires_at
                .map(|at| Duration::from_secs(at.saturating_sub(now_unix).max(0) as u64)),
        };
        let header = format!("Bearer {token}");
        let mut cached =
            CachedToken::new(token, "Authorization", &header, validity, Duration::ZERO);
        if let Some(at) = expires_at {
            cached = cached.reporting_expiry(at);
        }
        Ok(Auth::fixed(cached, true))
    }

    /// An API key sent in its own header (`X-API-Key` when `header_name` is None).
    pub fn api_key(header_name: Option<&str>, key: &str) -> Result<Auth> {
        let name = header_name.unwrap_or(DEFAULT_API_KEY_HEADER);
        check_header_name(name)?;
        check_header_value("API key", key, Status::InvalidArgument)?;
        let validity = Validity {
            obtained_at_ns: clock::monotonic_ns(),
            obtained_at_unix: clock::unix_now(),
            lifetime: None,
        };
        Ok(Auth::fixed(
            CachedToken::new(key, name, key, validity, Duration::ZERO),
            false,
        ))
    }

    pub fn client_credentials(
        token_endpoint: &str,
        client_id: &str,
        client_secret: Secret,
    ) -> Result<Auth> {
        let endpoints = Endpoints::explicit(token_endpoint, None)?;
        let grant = ClientCredentials::new(endpoints, client_id, client_secret)?;
        Ok(Auth::from_grant(Box::new(grant)))
    }

    /// Client credentials at the token endpoint discovered from `issuer`.
    pub fn client_credentials_from_issuer(
        issuer: &str,
        client_id: &str,
        client_secret: Secret,
    ) -> Result<Auth> {
        let grant = ClientCredentials::new(Endpoints::issuer(issuer)?, client_id, client_secret)?;
        Ok(Auth::from_grant(Box::new(grant)))
    }

    /// A device login (RFC 8628) for a person at a terminal; after it, the
    /// refresh token renews the access token. `client_secret` is for
    /// confidential clients only.
    pub fn device_code(
        device_authorization_endpoint: &str,
        token_endpoint: &str,
        client_id: &str,
        client_secret: Option<Secret>,
    ) -> Result<Auth> {
        let endpoints = Endpoints::explicit(token_endpoint, Some(device_authorization_endpoint))?;
        let session = Session::device(endpoints, client_id, client_secret)?;
        Ok(Auth::from_grant(Box::new(session)))
    }

    /// A device login with endpoints discovered from `issuer`.
    pub fn device_code_from_issuer(
        issuer: &str,
        client_id: &str,
        client_secret: Option<Secret>,
    ) -> Result<Auth> {
        let session = Session::device(Endpoints::issuer(issuer)?, client_id, client_secret)?;
        Ok(Auth::from_grant(Box::new(session)))
    }

    /// Access tokens from a refresh token the caller already has, rotated
    /// when the server sends a new one.
    pub fn refresh_token(
        token_endpoint: &str,
        client_id: &str,
        client_secret: Option<Secret>,
        refresh_token: Secret,
    ) -> Result<Auth> {
        let endpoints = Endpoints::explicit(token_endpoint, None)?;
        let session = Session::refresh(endpoints, client_id, client_secret, refresh_token)?;
        Ok(Auth::from_grant(Box::new(session)))
    }

    /// A refresh-token handle with the token endpoint discovered from `issuer`.
    pub fn refresh_token_from_issuer(
        issuer: &str,
        client_id: &str,
        client_secret: Option<Secret>,
        refresh_token: Secret,
    ) -> Result<Auth> {
        let endpoints = Endpoints::issuer(issuer)?;
        let session = Session::refresh(endpoints, client_id, client_secret, refresh_token)?;
        Ok(Auth::from_grant(Box::new(session)))
    }

    /// Tokens printed by `/bin/sh -c command`, cached for `lifetime` (or by
    /// the JWT `exp`, or the default lifetime).
    pub fn token_command(command: &str, lifetime: Option<Duration>) -> Result<Auth> {
        Ok(Auth::from_grant(Box::new(TokenCommand::new(
            command, lifetime,
        )?)))
    }

    /// Tokens from the host's own provider function.
    pub fn callback(provider: Box<ProviderFn>) -> Auth {
        Auth::from_grant(Box::new(Callback::new(provider)))
    }

    pub fn from_grant(grant: Box<dyn Grant>) -> Auth {
        Auth::with_source(Source::Grant(grant))
    }

    /// A handle from the variables pyFirecREST's command line reads:
    /// `FIRECREST_CLIENT_ID`, `FIRECREST_CLIENT_SECRET` and `AUTH_TOKEN_URL`
    /// for client credentials, else `FIRECREST_API_KEY`.
    pub fn from_env() -> Result<Auth> {
        Auth::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Auth> {
        const CLIENT_CREDENTIALS: [&str; 3] = [
            "FIRECREST_CLIENT_ID",
            "FIRECREST_CLIENT_SECRET",
            "AUTH_TOKEN_URL",
        ];
        let values: Vec<Option<String>> = CLIENT_CREDENTIALS.iter().map(|n| lookup(n)).collect();
        if let [Some(id), Some(secret), Some(url)] = values.as_slice() {
            return Auth::client_credentials(url, id, Secret::new(secret.as_str()));
        }
        if values.iter().any(Option::is_some) {
            log!(
                Level::Warn,
                "the client credentials variables are only partly set; trying \
                 FIRECREST_TOKEN_COMMAND and FIRECREST_API_KEY instead"
            );
        }
        if let Some(command) = lookup("FIRECREST_TOKEN_COMMAND") {
            return Auth::token_command(&command, None);
        }
        if let Some(key) = lookup("FIRECREST_API_KEY") {
            let key = Secret::new(key);
            return Auth::api_key(None, key.expose());
        }
        let missing: Vec<&str> = CLIENT_CREDENTIALS
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .collect();
        Err(Error::new(
            Status::MissingEnvironment,
            format!(
                "no credentials in the environment: {} not set (set FIRECREST_CLIENT_ID, \
                 FIRECREST_CLIENT_SECRET and AUTH_TOKEN_URL for client credentials, \
                 FIRECREST_TOKEN_COMMAND, or FIRECREST_API_KEY)",
                missing.join(", ")
            ),
        ))
    }

    pub fn describe(&self) -> String {
        match &self.source {
            Source::Fixed { bearer: true, .. } => "a static token".to_owned(),
            Source::Fixed { token, .. } => format!("an API key in {}", token.header_name()),
            Source::Grant(grant) => grant.describe(),
        }
    }

    /// Whether this handle yields a bearer token (false for API keys).
    pub fn is_bearer(&self) -> bool {
        !matches!(self.source, Source::Fixed { bearer: false, .. })
    }

    // ----- getting tokens -----

    /// Calls `use_token` with a valid token, fetching or renewing as needed.
    #[inline]
    pub fn with_token<R>(&self, use_token: impl FnOnce(&CachedToken) -> R) -> Result<R> {
        match &self.source {
            Source::Grant(grant) => self
                .cache
                .with_token(|| self.fetch(grant.as_ref()), use_token),
            Source::Fixed {
                bearer: false,
                token,
                ..
            } => Err(Error::new(
                Status::WrongHandleKind,
                format!(
                    "this handle holds an API key sent as {}, not a bearer token; ask it for \
                     the header instead",
                    token.header_name()
                ),
            )),
            Source::Fixed { .. } => self.with_fixed(use_token),
        }
    }

    /// Calls `use_header` with the header to send (`Authorization: Bearer`
    /// or the API key's header).
    #[inline]
    pub fn with_header<R>(&self, use_header: impl FnOnce(&CachedToken) -> R) -> Result<R> {
        match &self.source {
            Source::Fixed { .. } => self.with_fixed(use_header),
            Source::Grant(_) => self.with_token(use_header),
        }
    }

    fn with_fixed<R>(&self, use_token: impl FnOnce(&CachedToken) -> R) -> Result<R> {
        let Source::Fixed {
            token,
            rejected,
            bearer,
        } = &self.source
        else {
            return Err(Error::internal("not a fixed token"));
        };
        let what = if *bearer { "static token" } else { "API key" };
        if rejected.load(Ordering::Acquire) {
            return Err(Error::new(
                Status::TokenRejected,
                format!(
                    "the {what} was reported as rejected, and a handle with a fixed {what} \
                     cannot get another; create a new handle with a valid one"
                ),
            ));
        }
        if token.is_expired(clock::monotonic_ns()) {
            return Err(Error::new(
                Status::TokenExpired,
                format!(
                    "the {what} expired at Unix time {}",
                    token.expires_at_unix()
                ),
            ));
        }
        Ok(use_token(token))
    }

    fn fetch(&self, grant: &dyn Grant) -> Result<CachedToken> {
        let settings = self
            .settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let context = FetchContext {
            http: &settings.http,
            request: &settings.request,
            client: &self.client,
            margin: self.margin(),
            store: settings.store.as_deref(),
            prompt: settings.prompt.clone(),
            cancel: &self.cancel,
            rejected: self
                .rejected
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        };
        let fetched = match (&settings.shared_cache_dir, grant.shared_key()) {
            (Some(dir), Some(key)) => match self.fetch_shared(grant, &context, dir, &key) {
                // A cache directory that cannot be used safely must not stop
                // the program: it fetches for itself instead.
                Err(error) if error.status() == Status::TokenStore => {
                    log!(Level::Warn, "not sharing tokens: {}", error.message());
                    grant.fetch(&context)
                }
                other => other,
            },
            _ => grant.fetch(&context),
        };
        let entry = fetched.and_then(|tokens| self.cache_entry(grant, tokens));
        if let Err(error) = &entry {
            log!(
                Level::Warn,
                "no token from {}: {}",
                grant.describe(),
                error.message()
            );
        }
        entry
    }

    /// Fetches through the shared cache directory: the first process takes
    /// the lock and fetches, the others wait for the lock and reuse its token.
    fn fetch_shared(
        &self,
        grant: &dyn Grant,
        context: &FetchContext<'_>,
        dir: &std::path::Path,
        key: &str,
    ) -> Result<TokenSet> {
        let request = context.request;
        let full_key = format!(
            "{key}\nscope={}\naudience={}\nresource={}",
            request.scope.as_deref().unwrap_or(""),
            request.audience.as_deref().unwrap_or(""),
            request.resource.as_deref().unwrap_or("")
        );
        let name = crate::store::file_name_for(&full_key);
        crate::store::check_shared_dir(dir)?;
        let store = TokenStore::new(dir.join(format!("{name}.json")));
        let _lock = store.lock(context.http.total_timeout)?;
        if let Some(stored) = store.load(&full_key, &name)? {
            if let Some(tokens) =
                crate::store::fresh_access_token(&stored, context.margin, context.rejected.as_ref())
            {
                log!(
                    Level::Debug,
                    "reused the token another process stored in {}",
                    dir.display()
                );
                return Ok(tokens);
            }
        }
        let mut tokens = grant.fetch(context)?;
        let (lifetime, _) = self.lifetime_of(grant, &tokens)?;
        tokens.expires_in = Some(lifetime);
        let stored = StoredTokens {
            refresh_token: None,
            access_token: Some(tokens.access_token.clone()),
            expires_at: tokens.sent_at_unix + lifetime.as_secs() as i64,
        };
        store.save(&full_key, &name, &stored)?;
        Ok(tokens)
    }

    /// How long a fetched token lives: `expires_in`, else the JWT `exp`,
    /// else the previous token's lifetime, else the default.
    fn lifetime_of(
        &self,
        grant: &dyn Grant,
        tokens: &TokenSet,
    ) -> Result<(Duration, &'static str)> {
        if let Some(lifetime) = tokens.expires_in {
            self.last_lifetime_s
                .store(lifetime.as_secs(), Ordering::Relaxed);
            return Ok((lifetime, "expires_in"));
        }
        if let Some(exp) = jwt::expiry(tokens.access_token.expose()) {
            let seconds = exp - tokens.sent_at_unix;
            if seconds <= 0 {
                return Err(Error::new(
                    grant.failure_status(),
                    format!(
                        "{} gave a token whose JWT exp is {} s in the past (check the clocks)",
                        grant.describe(),
                        -seconds
                    ),
                ));
            }
            let lifetime = Duration::from_secs(seconds as u64).min(crate::oauth::MAX_LIFETIME);
            return Ok((lifetime, "the JWT exp claim"));
        }
        Ok(match self.last_lifetime_s.load(Ordering::Relaxed) {
            0 => (DEFAULT_LIFETIME, "the default lifetime"),
            s => (Duration::from_secs(s), "the lifetime of the previous token"),
        })
    }

    fn cache_entry(&self, grant: &dyn Grant, tokens: TokenSet) -> Result<CachedToken> {
        let token = tokens.access_token.expose();
        check_header_value("access token", token, grant.failure_status())?;
        let (lifetime, how) = self.lifetime_of(grant, &tokens)?;
        log!(
            Level::Debug,
            "got a token from {}: lifetime {} s (from {how})",
            grant.describe(),
            lifetime.as_secs()
        );

        let validity = Validity {
            obtained_at_ns: tokens.sent_at_ns,
            obtained_at_unix: tokens.sent_at_unix,
            lifetime: Some(lifetime),
        };
        let header = Secret::new(format!("Bearer {token}"));
        Ok(CachedToken::new(
            token,
            "Authorization",
            header.expose(),
            validity,
            self.margin(),
        ))
    }

    /// Reports that a server rejected `token` (or the current token when
    /// `None`): the next call fetches a new one. Returns whether the cached
    /// token was dropped; reports of an already replaced token do nothing.
    pub fn invalidate(&self, token: Option<&[u8]>) -> bool {
        match &self.source {
            Source::Grant(_) => match self.cache.invalidate(token) {
                Some(dropped) => {
                    // A token store or shared cache may still hold it; the
                    // next fetch must not hand it out again from there.
                    *self.rejected.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(Secret::new(dropped.token()));
                    true
                }
                None => false,
            },
            Source::Fixed {
                token: fixed,
                rejected,
                ..
            } => {
                if token.is_none_or(|t| fixed.matches(t)) {
                    !rejected.swap(true, Ordering::AcqRel)
                } else {
                    false
                }
            }
        }
    }

    // ----- settings -----

    pub fn margin(&self) -> Duration {
        Duration::from_nanos(self.margin_ns.load(Ordering::Relaxed))
    }

    /// The minimum remaining validity of a handed-out token (see README).
    pub fn set_margin(&self, margin: Duration) {
        self.margin_ns
            .store(margin.as_nanos() as u64, Ordering::Relaxed);
        // Deadlines of the cached token were computed with the old margin.
        self.cache.clear();
    }

    fn update(&self, change: impl FnOnce(&mut Settings), affects_token: bool) {
        let mut settings = self.settings.write().unwrap_or_else(|e| e.into_inner());
        change(&mut settings);
        drop(settings);
        if affects_token {
            self.cache.clear();
        }
    }

    pub fn set_timeouts(&self, connect: Duration, total: Duration) -> Result<()> {
        if connect.is_zero() || total.is_zero() {
            return Err(Error::invalid_argument("timeouts must be positive"));
        }
        self.update(
            |s| {
                s.http.connect_timeout = connect;
                s.http.total_timeout = total;
            },
            false,
        );
        Ok(())
    }

    pub fn set_max_retries(&self, retries: u32) {
        self.update(|s| s.http.max_retries = retries, false);
    }

    pub fn set_ca_file(&self, path: Option<PathBuf>) -> Result<()> {
        if let Some(path) = &path {
            std::fs::metadata(path).map_err(|e| {
                Error::invalid_argument(format!("cannot read the CA file {}: {e}", path.display()))
            })?;
        }
        self.update(|s| s.http.ca_file = path, false);
        Ok(())
    }

    pub fn set_allow_insecure_http(&self, allow: bool) {
        self.update(|s| s.http.allow_insecure_http = allow, false);
    }

    pub fn set_user_agent_suffix(&self, suffix: Option<String>) -> Result<()> {
        if let Some(suffix) = &suffix {
            if suffix.bytes().any(|b| !(0x20..=0x7e).contains(&b)) {
                return Err(Error::invalid_argument(
                    "the User-Agent suffix must be printable ASCII",
                ));
            }
        }
        self.update(|s| s.http.user_agent_suffix = suffix, false);
        Ok(())
    }

    pub fn set_scope(&self, scope: Option<String>) {
        self.update(|s| s.request.scope = scope, true);
    }

    pub fn set_audience(&self, audience: Option<String>) {
        self.update(|s| s.request.audience = audience, true);
    }

    pub fn set_resource(&self, resource: Option<String>) {
        self.update(|s| s.request.resource = resource, true);
    }

    pub fn set_client_auth_method(&self, method: ClientAuthMethod) {
        self.update(|s| s.request.client_auth_method = Some(method), true);
    }

    fn grant_that(&self, what: &str, supports: impl Fn(&dyn Grant) -> bool) -> Result<()> {
        match &self.source {
            Source::Grant(grant) if supports(grant.as_ref()) => Ok(()),
            _ => Err(Error::new(
                Status::WrongHandleKind,
                format!("{} does not use {what}", self.describe()),
            )),
        }
    }

    /// Keeps the login's tokens in a file (mode 0600) that later handles,
    /// in this or other processes, reuse. Device-code and refresh-token
    /// handles only.
    pub fn set_token_store(&self, path: Option<PathBuf>) -> Result<()> {
        self.grant_that("a token store", |g| g.uses_store())?;
        self.update(|s| s.store = path, true);
        Ok(())
    }

    /// Shares tokens between processes through files in `dir` (see
    /// README): handles with the same grant, endpoint, client and request
    /// parameters fetch once per node. `None` stops sharing.
    pub fn set_shared_cache_dir(&self, dir: Option<PathBuf>) -> Result<()> {
        self.update(|s| s.shared_cache_dir = dir, false);
        Ok(())
    }

    /// Replaces the stderr prompt of a device login.
    pub fn set_device_prompt(&self, prompt: Option<Arc<PromptFn>>) -> Result<()> {
        self.grant_that("a device prompt", |g| g.shows_prompt())?;
        self.update(|s| s.prompt = prompt, false);
        Ok(())
    }

    /// Ends a device login in progress (from any thread): the waiting call
    /// returns `Status::Cancelled`. A cancel with no login running does
    /// nothing.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_env_names_what_is_missing() {
        let err = Auth::from_lookup(|n| (n == "AUTH_TOKEN_URL").then(|| "https://x/t".into()))
            .unwrap_err();
        assert_eq!(err.status(), Status::MissingEnvironment);
        assert!(err
            .message()
            .contains("FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET not set"));
        let auth = Auth::from_lookup(|n| (n == "FIRECREST_API_KEY").then(|| "k3y".into())).unwrap();
        assert!(!auth.is_bearer());
    }

    #[test]
    fn static_tokens_are_checked_and_handed_out() {
        assert_eq!(
            Auth::static_token("", None).unwrap_err().status(),
            Status::InvalidArgument
        );
        let err = Auth::static_token("abc\r\nX-Evil: 1", None).unwrap_err();
        assert_eq!(err.status(), Status::InvalidArgument);
        let auth = Auth::static_token("abc", None).unwrap();
        assert_eq!(auth.with_token(|t| t.token().to_owned()).unwrap(), "abc");
        assert_eq!(
            auth.with_header(|t| t.header_value().to_owned()).unwrap(),
            "Bearer abc"
        );
        assert!(!auth.invalidate(Some(b"other")));
        assert!(auth.invalidate(Some(b"abc")));
        assert_eq!(
            auth.with_token(|_| ()).unwrap_err().status(),
            Status::TokenRejected
        );
        let expired = Auth::static_token("abc", Some(clock::unix_now() - 10)).unwrap();
        assert_eq!(
            expired.with_token(|_| ()).unwrap_err().status(),
            Status::TokenExpired
        );
    }

    #[test]
    fn api_keys_give_headers_not_tokens() {
        let auth = Auth::api_key(None, "k3y").unwrap();
        assert_eq!(
            auth.with_token(|_| ()).unwrap_err().status(),
            Status::WrongHandleKind
        );
        let (name, value) = auth
            .with_header(|t| (t.header_name().to_owned(), t.header_value().to_owned()))
            .unwrap();
        assert_eq!((name.as_str(), value.as_str()), ("X-API-Key", "k3y"));
        assert!(Auth::api_key(Some("Bad Header"), "k").is_err());
    }

    #[test]
    fn callback_tokens_are_cached_and_checked() {
        let calls = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&calls);
        let auth = Auth::callback(Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok((Secret::new("cb-token"), Some(Duration::from_secs(120))))
        }));
        for _ in 0..5 {
            assert_eq!(
                auth.with_token(|t| t.token().to_owned()).unwrap(),
                "cb-token"
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let bad = Auth::callback(Box::new(|| Ok((Secret::new("two words"), None))));
        assert_eq!(
            bad.with_token(|_| ()).unwrap_err().status(),
            Status::ProviderFailed
        );
    }
}
