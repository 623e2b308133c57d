//! A person's login: a refresh token (RFC 6749 §6) kept and rotated, and,
//! for device-code handles, the device login (RFC 8628) that obtains one.
//!
//! With a token store, the store is the source of truth: each fetch takes
//! the store's lock, reuses an access token another process stored if it is
//! still fresh, and otherwise refreshes with the newest refresh token and
//! writes the result back, so processes sharing a store never spend the
//! same refresh token twice.

use super::device::{self, DeviceAuthorization};
use super::{FetchContext, Grant};
use crate::discovery::Endpoints;
use crate::error::{Error, Result, Status};
use crate::log::{log, Level};
use crate::oauth::{self, ClientAuthMethod, ClientIdentity, Form, TokenSet};
use crate::runtime;
use crate::secret::Secret;
use crate::store::{StoredTokens, TokenStore};
use std::sync::Mutex;

pub struct Session {
    endpoints: Endpoints,
    client_id: String,
    client_secret: Option<Secret>,
    refresh_token: Mutex<Option<Secret>>,
    /// Device-code handles log in when they have no refresh token;
    /// refresh-token handles cannot.
    device_login: bool,
}

impl Session {
    pub fn device(
        endpoints: Endpoints,
        client_id: &str,
        client_secret: Option<Secret>,
    ) -> Result<Session> {
        Session::new(endpoints, client_id, client_secret, None, true)
    }

    pub fn refresh(
        endpoints: Endpoints,
        client_id: &str,
        client_secret: Option<Secret>,
        refresh_token: Secret,
    ) -> Result<Session> {
        if refresh_token.is_empty() {
            return Err(Error::invalid_argument("the refresh token is empty"));
        }
        Session::new(
            endpoints,
            client_id,
            client_secret,
            Some(refresh_token),
            false,
        )
    }

    fn new(
        endpoints: Endpoints,
        client_id: &str,
        client_secret: Option<Secret>,
        refresh_token: Option<Secret>,
        device_login: bool,
    ) -> Result<Session> {
        if client_id.is_empty() {
            return Err(Error::invalid_argument("the client id is empty"));
        }
        Ok(Session {
            endpoints,
            client_id: client_id.to_owned(),
            client_secret: client_secret.filter(|s| !s.is_empty()),
            refresh_token: Mutex::new(refresh_token),
            device_login,
        })
    }

    fn identity(&self, context: &FetchContext<'_>) -> ClientIdentity {
        let method = match (&self.client_secret, context.request.client_auth_method) {
            (None, _) => ClientAuthMethod::None,
            (Some(_), Some(method)) => method,
            (Some(_), None) => ClientAuthMethod::Post,
        };
        ClientIdentity {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            method,
        }
    }

    fn current_refresh_token(&self) -> Option<Secret> {
        self.refresh_token
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_refresh_token(&self, token: Option<Secret>) {
        *self.refresh_token.lock().unwrap_or_else(|e| e.into_inner()) = token;
    }

    /// Keeps the refresh token of a reply: a new one replaces the old
    /// (rotation); none keeps the old.
    fn keep(&self, tokens: &TokenSet) {
        if let Some(rotated) = &tokens.refresh_token {
            self.set_refresh_token(Some(rotated.clone()));
        }
    }

    fn refresh_with(&self, context: &FetchContext<'_>, refresh_token: Secret) -> Result<TokenSet> {
        let endpoints = self.endpoints.resolve(context)?;
        let mut form = Form::new();
        form.add("grant_type", "refresh_token")
            .add("refresh_token", refresh_token.expose());
        let client = context.client.get(context.http)?;
        runtime::block_on(oauth::request_token(
            client,
            context.http.clone(),
            endpoints.token,
            form,
            self.identity(context),
            vec![refresh_token],
        ))
    }

    fn device_login(&self, context: &FetchContext<'_>) -> Result<TokenSet> {
        let endpoints = self.endpoints.resolve(context)?;
        let Some(device_endpoint) = endpoints.device_authorization else {
            return Err(Error::new(
                Status::NoDeviceEndpoint,
                format!(
                    "{} offers no device authorization endpoint, so a device login is not \
                     possible; ask the provider's administrators to enable the device grant",
                    self.endpoints.describe()
                ),
            ));
        };
        let epoch = context.cancel.epoch();
        let client = context.client.get(context.http)?;
        let identity = self.identity(context);
        let scope = context.request.scope.clone();
        let (settings, auth_client, auth_identity) =
            (context.http.clone(), client.clone(), identity.clone());
        let authorization: DeviceAuthorization = runtime::block_on(async move {
            device::authorize(
                &auth_client,
                &settings,
                &device_endpoint,
                &auth_identity,
                scope.as_deref(),
            )
            .await
        })?;

        // The prompt runs on the caller's thread, where a program's own
        // user interface lives.
        let shown = match &context.prompt {
            Some(prompt) => prompt(&authorization.prompt),
            None => device::default_prompt(&authorization.prompt),
        };
        if !shown || context.cancel.is_cancelled_since(epoch) {
            return Err(device::cancelled());
        }
        log!(
            Level::Info,
            "waiting for the device login at {}",
            authorization.prompt.verification_uri
        );
        runtime::block_on(device::poll(
            client,
            context.http.clone(),
            endpoints.token,
            identity,
            authorization,
            context.cancel.clone(),
            epoch,
        ))
    }

    fn refused(&self, error: &Error) -> Error {
        let next = if self.device_login {
            "the next request for a token starts a new device login"
        } else {
            "create a handle with a new refresh token"
        };
        Error::new(
            Status::InvalidGrant,
            format!(
                "the refresh token was refused, so you need to log in again ({next}): {}",
                error.message()
            ),
        )
    }

    /// Fetches with the store locked and kept up to date.
    fn fetch_with_store(&self, context: &FetchContext<'_>, store: &TokenStore) -> Result<TokenSet> {
        // Keyed by the token endpoint, so that handles made from an issuer
        // and from explicit endpoints share a store.
        let provider = self.endpoints.resolve(context)?.token.to_string();
        let _lock = store.lock(context.http.total_timeout)?;
        if let Some(stored) = store.load(&provider, &self.client_id)? {
            if let Some(tokens) = self.reuse_stored(context, &stored) {
                return Ok(tokens);
            }
            if let Some(refresh_token) = stored.refresh_token {
                self.set_refresh_token(Some(refresh_token));
            }
        }
        let result = self.fetch_without_store(context);
        let save = match &result {
            Ok(tokens) => StoredTokens {
                refresh_token: self.current_refresh_token(),
                access_token: Some(tokens.access_token.clone()),
                expires_at: tokens
                    .expires_in
                    .map_or(0, |d| tokens.sent_at_unix + d.as_secs() as i64),
            },
            // A refused refresh token is dead for every process.
            Err(error) if error.status() == Status::InvalidGrant => StoredTokens::default(),
            Err(_) => return result,
        };
        store.save(&provider, &self.client_id, &save)?;
        result
    }

    /// An access token another process stored, if it is still fresh enough
    /// to be handed out for a while; its refresh token is adopted too.
    fn reuse_stored(&self, context: &FetchContext<'_>, stored: &StoredTokens) -> Option<TokenSet> {
        let tokens =
            crate::store::fresh_access_token(stored, context.margin, context.rejected.as_ref())?;
        if let Some(refresh_token) = &stored.refresh_token {
            self.set_refresh_token(Some(refresh_token.clone()));
        }
        Some(tokens)
    }

    fn fetch_without_store(&self, context: &FetchContext<'_>) -> Result<TokenSet> {
        if let Some(refresh_token) = self.current_refresh_token() {
            return match self.refresh_with(context, refresh_token) {
                Ok(tokens) => {
                    self.keep(&tokens);
                    Ok(tokens)
                }
                Err(error) if error.status() == Status::InvalidGrant => {
                    self.set_refresh_token(None);
                    Err(self.refused(&error))
                }
                Err(error) => Err(error),
            };
        }
        if !self.device_login {
            return Err(Error::new(
                Status::InvalidGrant,
                "this handle has no refresh token left (it was refused earlier): log in again",
            ));
        }
        let tokens = self.device_login(context)?;
        self.keep(&tokens);
        Ok(tokens)
    }
}

impl Grant for Session {
    fn describe(&self) -> String {
        let kind = if self.device_login {
            "device login"
        } else {
            "refresh token"
        };
        format!(
            "{kind} for {} at {}",
            self.client_id,
            self.endpoints.describe()
        )
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn uses_store(&self) -> bool {
        true
    }

    fn shows_prompt(&self) -> bool {
        self.device_login
    }

    fn fetch(&self, context: &FetchContext<'_>) -> Result<TokenSet> {
        match context.store {
            Some(path) => self.fetch_with_store(context, &TokenStore::new(path.to_owned())),
            None => self.fetch_without_store(context),
        }
    }
}
