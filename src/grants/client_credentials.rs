//! The client credentials grant (RFC 6749 §4.4): a service account's id and
//! secret exchanged at the token endpoint, as pyFirecREST's
//! `ClientCredentialsAuth` does, with the fixes DESIGN.md lists.

use super::{FetchContext, Grant};
use crate::discovery::Endpoints;
use crate::error::{Error, Result};
use crate::oauth::{self, ClientAuthMethod, ClientIdentity, Form, TokenSet};
use crate::runtime;
use crate::secret::Secret;

pub struct ClientCredentials {
    endpoints: Endpoints,
    client_id: String,
    client_secret: Secret,
}

impl ClientCredentials {
    pub fn new(endpoints: Endpoints, client_id: &str, client_secret: Secret) -> Result<Self> {
        if client_id.is_empty() {
            return Err(Error::invalid_argument("the client id is empty"));
        }
        if client_secret.is_empty() {
            return Err(Error::invalid_argument("the client secret is empty"));
        }
        Ok(ClientCredentials {
            endpoints,
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
            self.endpoints.describe()
        )
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn shared_key(&self) -> Option<String> {
        // The secret's hash keeps a process with a wrong secret from being
        // handed a token fetched with the right one.
        let secret = crate::store::file_name_for(self.client_secret.expose());
        Some(format!(
            "client-credentials {} {} {secret}",
            self.endpoints.key(),
            self.client_id
        ))
    }

    fn fetch(&self, context: &FetchContext<'_>) -> Result<TokenSet> {
        let endpoint = self.endpoints.resolve(context)?.token;
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
