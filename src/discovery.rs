//! OpenID Connect discovery: the token and device authorization endpoints
//! of a provider, read from `<issuer>/.well-known/openid-configuration`.
//! Handles created from an issuer resolve it on their first fetch and keep
//! the result; a failed discovery is tried again on the next fetch.

use crate::error::{Error, Result, Status};
use crate::grants::FetchContext;
use crate::http::{self, HttpSettings};
use crate::oauth;
use crate::runtime;
use serde_json::Value;
use std::sync::Mutex;
use url::Url;

/// The endpoints a grant talks to.
#[derive(Clone, Debug)]
pub struct ResolvedEndpoints {
    pub token: Url,
    pub device_authorization: Option<Url>,
}

pub enum Endpoints {
    Explicit(ResolvedEndpoints),
    Issuer {
        issuer: Url,
        resolved: Mutex<Option<ResolvedEndpoints>>,
    },
}

impl Endpoints {
    pub fn explicit(token: &str, device_authorization: Option<&str>) -> Result<Endpoints> {
        let token = http::parse_endpoint("token endpoint", token, true)?;
        let device_authorization = device_authorization
            .map(|d| http::parse_endpoint("device authorization endpoint", d, true))
            .transpose()?;
        Ok(Endpoints::Explicit(ResolvedEndpoints {
            token,
            device_authorization,
        }))
    }

    pub fn issuer(issuer: &str) -> Result<Endpoints> {
        Ok(Endpoints::Issuer {
            issuer: http::parse_endpoint("issuer", issuer, true)?,
            resolved: Mutex::new(None),
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Endpoints::Explicit(e) => http::display_url(&e.token),
            Endpoints::Issuer { issuer, .. } => format!("issuer {}", http::display_url(issuer)),
        }
    }

    /// A key naming the provider, for the token store and shared caches.
    pub fn key(&self) -> String {
        match self {
            Endpoints::Explicit(e) => e.token.to_string(),
            Endpoints::Issuer { issuer, .. } => issuer.to_string(),
        }
    }

    /// The endpoints, discovering them first if needed, with the transport
    /// policy of the handle applied.
    pub fn resolve(&self, context: &FetchContext<'_>) -> Result<ResolvedEndpoints> {
        let resolved = match self {
            Endpoints::Explicit(e) => e.clone(),
            Endpoints::Issuer { issuer, resolved } => {
                let mut slot = resolved.lock().unwrap_or_else(|e| e.into_inner());
                match slot.as_ref() {
                    Some(known) => known.clone(),
                    None => {
                        let client = context.client.get(context.http)?;
                        let found = runtime::block_on(discover(
                            client,
                            context.http.clone(),
                            issuer.clone(),
                        ))?;
                        *slot = Some(found.clone());
                        found
                    }
                }
            }
        };
        let allow = context.http.allow_insecure_http;
        http::parse_endpoint("token endpoint", resolved.token.as_str(), allow)?;
        if let Some(device) = &resolved.device_authorization {
            http::parse_endpoint("device authorization endpoint", device.as_str(), allow)?;
        }
        Ok(resolved)
    }
}

fn well_known(issuer: &Url) -> Url {
    let mut url = issuer.clone();
    let path = format!(
        "{}/.well-known/openid-configuration",
        issuer.path().trim_end_matches('/')
    );
    url.set_path(&path);
    url
}

/// GETs the discovery document, retrying transient failures as token
/// requests do, within the total timeout.
async fn fetch_document(
    client: &reqwest::Client,
    settings: &HttpSettings,
    url: Url,
    shown: &str,
) -> Result<serde_json::Map<String, Value>> {
    let deadline = std::time::Instant::now() + settings.total_timeout;
    let mut attempt = 0u32;
    loop {
        let remaining = deadline.saturating_duration_since(std::time::Instant::now());
        let (error, status) = match http::send(client.get(url.clone()), shown, remaining).await {
            Ok(reply) => match oauth::read_reply(&reply, shown, &[]) {
                Ok(fields) => return Ok(fields),
                Err(error) => (error, Some(reply.status)),
            },
            Err(error) => (error, None),
        };
        let wait = oauth::backoff(attempt);
        let retry = attempt < settings.max_retries
            && oauth::transient(&error, status)
            && std::time::Instant::now() + wait < deadline;
        if !retry {
            return Err(error);
        }
        attempt += 1;
        tokio::time::sleep(wait).await;
    }
}

/// Reads the discovery document and checks that it names this issuer.
pub async fn discover(
    client: reqwest::Client,
    settings: HttpSettings,
    issuer: Url,
) -> Result<ResolvedEndpoints> {
    http::parse_endpoint("issuer", issuer.as_str(), settings.allow_insecure_http)?;
    let url = well_known(&issuer);
    let shown = http::display_url(&url);
    let fields = fetch_document(&client, &settings, url, &shown)
        .await
        .map_err(|e| {
            Error::new(
                Status::Discovery,
                format!("discovery failed: {}", e.message()),
            )
        })?;

    let expected = issuer.as_str().trim_end_matches('/');
    let named = fields.get("issuer").and_then(Value::as_str).unwrap_or("");
    // The issuer must match exactly (OpenID Connect Discovery 1.0, 4.3),
    // except for the trailing slash a URL parser adds to an empty path.
    if named.trim_end_matches('/') != expected || named.is_empty() {
        return Err(Error::new(
            Status::Discovery,
            format!(
                "the discovery document at {shown} names the issuer \"{}\", not \"{expected}\"; \
                 check the issuer URL",
                oauth::excerpt(named, 200, &[])
            ),
        ));
    }
    let endpoint = |name: &str| -> Result<Option<Url>> {
        match fields.get(name).and_then(Value::as_str) {
            None => Ok(None),
            Some(text) => Url::parse(text).map(Some).map_err(|e| {
                Error::new(
                    Status::Discovery,
                    format!("the discovery document at {shown} has an invalid {name}: {e}"),
                )
            }),
        }
    };
    let token = endpoint("token_endpoint")?.ok_or_else(|| {
        Error::new(
            Status::Discovery,
            format!("the discovery document at {shown} names no token_endpoint"),
        )
    })?;
    Ok(ResolvedEndpoints {
        token,
        device_authorization: endpoint("device_authorization_endpoint")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_is_appended_to_the_issuer_path() {
        let keycloak = Url::parse("https://auth.example/auth/realms/hpc").unwrap();
        assert_eq!(
            well_known(&keycloak).as_str(),
            "https://auth.example/auth/realms/hpc/.well-known/openid-configuration"
        );
        let root = Url::parse("https://auth.example/").unwrap();
        assert_eq!(
            well_known(&root).as_str(),
            "https://auth.example/.well-known/openid-configuration"
        );
    }
}
