//! HTTP for token requests: the client and its TLS roots, the URL policy
//! (HTTPS, or plain HTTP to loopback), timeouts, a size limit on bodies, and
//! no redirects. Retries are decided one layer up, where the reply is read.

use crate::error::{Error, Result, Status};
use crate::log::{log, Level};
use once_cell::sync::Lazy;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use url::Url;

/// Token responses are a few kilobytes; anything far larger is not one.
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    /// Deadline for one whole fetch, retries and waits between them included.
    pub total_timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub allow_insecure_http: bool,
    pub user_agent_suffix: Option<String>,
    /// Retries after the first attempt, on transport errors, 429 and 5xx.
    pub max_retries: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            ca_file: None,
            allow_insecure_http: false,
            user_agent_suffix: None,
            max_retries: 2,
        }
    }
}

impl HttpSettings {
    pub fn user_agent(&self) -> String {
        let base = concat!("firecrest-auth/", env!("CARGO_PKG_VERSION"));
        match &self.user_agent_suffix {
            Some(suffix) if !suffix.is_empty() => format!("{base} {suffix}"),
            _ => base.to_owned(),
        }
    }
}

/// An endpoint as it may appear in messages: no user info, no query.
pub fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Parses an endpoint URL and applies the transport policy to it.
pub fn parse_endpoint(what: &str, text: &str, allow_insecure_http: bool) -> Result<Url> {
    if text.len() > 8192 {
        return Err(Error::invalid_argument(format!(
            "the {what} is {} bytes long; URLs longer than 8192 bytes are refused",
            text.len()
        )));
    }
    let url = Url::parse(text.trim())
        .map_err(|e| Error::invalid_argument(format!("the {what} is not a valid URL ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) || allow_insecure_http => {}
        "http" => {
            return Err(Error::new(
                Status::InsecureUrl,
                format!(
                    "the {what} {} uses plain HTTP to a host that is not loopback; \
                     use https, or allow plain HTTP explicitly if this network is trusted",
                    display_url(&url)
                ),
            ))
        }
        other => {
            return Err(Error::invalid_argument(format!(
                "the {what} must be an https URL, not {other}:"
            )))
        }
    }
    if url.host().is_none() {
        return Err(Error::invalid_argument(format!("the {what} has no host")));
    }
    Ok(url)
}

/// What came back from one HTTP exchange.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<Duration>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// The system's root certificates (honouring SSL_CERT_FILE and
/// SSL_CERT_DIR), read once per process: reading them walks the
/// certificate folder and decodes every file, which took most of the time
/// of a new handle's first fetch.
fn system_roots() -> &'static [reqwest::Certificate] {
    static ROOTS: Lazy<Vec<reqwest::Certificate>> = Lazy::new(|| {
        let found = rustls_native_certs::load_native_certs();
        if found.certs.is_empty() {
            log!(
                Level::Warn,
                "no system root certificates found ({} errors); HTTPS needs a CA file",
                found.errors.len()
            );
        }
        found
            .certs
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der.as_ref()).ok())
            .collect()
    });
    &ROOTS
}

fn build_client(settings: &HttpSettings) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(settings.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(settings.user_agent());
    if let Some(path) = &settings.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            Error::invalid_argument(format!("cannot read the CA file {}: {e}", path.display()))
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            Error::invalid_argument(format!("the CA file {} is not PEM: {e}", path.display()))
        })?;
        if certificates.is_empty() {
            return Err(Error::invalid_argument(format!(
                "the CA file {} holds no certificate",
                path.display()
            )));
        }
        // Like curl's --cacert: the file replaces the system store.
        builder = builder.tls_built_in_root_certs(false);
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    } else {
        builder = builder.tls_built_in_root_certs(false);
        for certificate in system_roots().iter() {
            builder = builder.add_root_certificate(certificate.clone());
        }
    }
    builder
        .build()
        .map_err(|e| Error::new(Status::Tls, format!("cannot set up the HTTP client: {e}")))
}

/// A handle's HTTP client, rebuilt when its settings change or after fork
/// (connections in the pool belong to the parent's runtime).
#[derive(Default)]
pub struct ClientSlot {
    slot: Mutex<Option<(u32, HttpSettings, reqwest::Client)>>,
}

impl ClientSlot {
    pub fn get(&self, settings: &HttpSettings) -> Result<reqwest::Client> {
        let pid = std::process::id();
        {
            let slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((owner, built_for, client)) = slot.as_ref() {
                if *owner == pid && built_for == settings {
                    return Ok(client.clone());
                }
            }
        }
        // Built outside the lock: it reads certificate files, and a fork()
        // from another thread meanwhile must not leave the lock held.
        let client = build_client(settings)?;
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(stale) = slot.replace((pid, settings.clone(), client.clone())) {
            if stale.0 != pid {
                // Its pool's connections were driven by the parent's thread.
                std::mem::forget(stale);
            }
        }
        Ok(client)
    }
}

fn classify(error: &reqwest::Error, endpoint: &str) -> Error {
    let mut causes = String::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push_str(": ");
        causes.push_str(&cause.to_string());
        source = cause.source();
    }
    let lower = causes.to_ascii_lowercase();
    let (status, what) = if error.is_timeout() {
        (Status::Timeout, "timed out")
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        (
            Status::Tls,
            "failed the TLS handshake (check the CA file or SSL_CERT_FILE)",
        )
    } else if error.is_connect() {
        (
            Status::Connect,
            "could not connect (check the URL, the network and any proxy)",
        )
    } else {
        (Status::Transport, "failed")
    };
    Error::new(status, format!("the request to {endpoint} {what}{causes}"))
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Sends one request and reads the whole reply, within `timeout`.
pub async fn send(
    request: reqwest::RequestBuilder,
    endpoint: &str,
    timeout: Duration,
) -> Result<Reply> {
    let exchange = async {
        let mut response = request
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| classify(&e, endpoint))?;
        let status = response.status().as_u16();
        let content_type = header(&response, reqwest::header::CONTENT_TYPE);
        let retry_after =
            header(&response, reqwest::header::RETRY_AFTER).and_then(|v| parse_retry_after(&v));
        let location = header(&response, reqwest::header::LOCATION);
        if response.content_length().unwrap_or(0) > MAX_BODY_BYTES as u64 {
            return Err(too_large(endpoint));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e, endpoint))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(too_large(endpoint));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            content_type,
            retry_after,
            location,
            body,
        })
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err(Error::new(
            Status::Timeout,
            format!(
                "the request to {endpoint} got no complete reply within {} ms \
                 (the total timeout)",
                timeout.as_millis()
            ),
        )),
    }
}

fn too_large(endpoint: &str) -> Error {
    Error::new(
        Status::ResponseTooLarge,
        format!("the reply from {endpoint} is larger than {MAX_BODY_BYTES} bytes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        assert!(parse_endpoint("token endpoint", "http://127.0.0.1:8080/token", false).is_ok());
        assert!(parse_endpoint("token endpoint", "http://[::1]/token", false).is_ok());
        assert!(parse_endpoint("token endpoint", "http://localhost/token", false).is_ok());
        let err = parse_endpoint("token endpoint", "http://auth.example/token", false).unwrap_err();
        assert_eq!(err.status(), Status::InsecureUrl);
        assert!(parse_endpoint("token endpoint", "http://auth.example/token", true).is_ok());
        assert!(parse_endpoint("token endpoint", "https://auth.example/token", false).is_ok());
        let err = parse_endpoint("token endpoint", "ftp://auth.example/", false).unwrap_err();
        assert_eq!(err.status(), Status::InvalidArgument);
        let err = parse_endpoint("token endpoint", "not a url", false).unwrap_err();
        assert_eq!(err.status(), Status::InvalidArgument);
    }

    #[test]
    fn urls_in_messages_lose_credentials_and_query() {
        let url = Url::parse("https://user:pw@auth.example/token?key=abc").unwrap();
        assert_eq!(display_url(&url), "https://auth.example/token");
    }
}
