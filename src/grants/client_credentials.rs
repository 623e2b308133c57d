//! The client credentials grant (RFC 6749 §4.4): a service account's id and
//! secret exchanged at the token endpoint, as pyFirecREST's
//! `ClientCredentialsAuth` does, with the fixes DESIGN.md lists.

use super::{FetchContext, Grant};
use crate::error::{Error, Result};
use crate::http;
use crate::oauth::{self, ClientAuthMethod, ClientIdentity, Form, TokenSet};
use crate::runtime;
use crate::secret::Secret;
use url::Url;

pub struct ClientCredentials {
    token_endpoint: Url,
    client_id: String,
    client_secret: Secret,
}

impl ClientCredentials {
    pub fn new(token_endpoint: &str, client_id: &str, client_secret: Secret) -> Result<Self> {
        if client_id.is_empty() {
            return Err(Error::invalid_argument("the client id is empty"));
        }
        if client_secret.is_empty() {
            return Err(Error::invalid_argument("the client secret is empty"));
        }
        // The transport policy is checked at fetch time, after the caller
        // had the chance to allow plain HTTP; the syntax is checked now.
        let token_endpoint = http::parse_endpoint("token endpoint", token_endpoint, true)?;
        Ok(ClientCredentials {
            token_endpoint,
            client_id: client_id.to_owned(),
            client_secret,
        })
    }
}

impl Grant for ClientCredentials {
    fn describe(&self) -> String {
        format!(
            "client credentials for {} at {}",
            self.client_id,
            http::display_url(&self.token_endpoint)
        )
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn fetch(&self, context: &FetchContext<'_>) -> Result<TokenSet> {
        let endpoint = http::parse_endpoint(
            "token endpoint",
            self.token_endpoint.as_str(),
            context.http.allow_insecure_http,
        )?;
        let request = context.request;
        let mut form = Form::new();
        form.add("grant_type", "client_credentials")
            .add_optional("scope", request.scope.as_deref())
            .add_optional("audience", request.audience.as_deref())
            .add_optional("resource", request.resource.as_deref());
        let identity = ClientIdentity {
            client_id: self.client_id.clone(),
            client_secret: Some(self.client_secret.clone()),
            method: request.client_auth_method.unwrap_or(ClientAuthMethod::Post),
        };
        let client = context.client.get(context.http)?;
        let settings = context.http.clone();
        runtime::block_on(oauth::request_token(
            client,
            settings,
            endpoint,
            form,
            identity,
            vec![],
        ))
    }
}
