//! The OAuth 2.0 wire format (RFC 6749, RFC 8628): token request bodies,
//! client authentication, tolerant reading of replies, and the retry loop
//! around one token request.
//!
//! Real servers bend the RFCs, so replies are read leniently where that is
//! safe (JSON or form bodies, `expires_in` as a string, `bearer` in any case,
//! an `error` field in a 200 reply) and strictly where it is not (no token,
//! an HTML page, a token type other than Bearer).

use crate::clock;
use crate::error::{Error, Result, Status};
use crate::http::{self, HttpSettings, Reply};
use crate::log::{log, Level};
use crate::secret::Secret;
use base64::Engine;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};
use url::form_urlencoded;
use url::Url;

/// How the client proves its identity at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuthMethod {
    /// `client_id` and `client_secret` in the form body (CSCS documents this).
    Post,
    /// HTTP Basic with id and secret form-urlencoded first (RFC 6749 §2.3.1).
    Basic,
    /// A public client: only `client_id` in the body.
    None,
}

#[derive(Clone, Debug)]
pub struct ClientIdentity {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub method: ClientAuthMethod,
}

/// A form body under construction. Values may be secrets, so the encoded
/// body is itself kept as a secret.
#[derive(Default)]
pub struct Form {
    encoded: Secret,
}

impl Form {
    pub fn new() -> Form {
        Form::default()
    }

    pub fn add(&mut self, name: &str, value: &str) -> &mut Form {
        let mut body = String::from(self.encoded.expose());
        {
            let mut serializer = form_urlencoded::Serializer::for_suffix(&mut body, 0);
            serializer.append_pair(name, value);
        }
        self.encoded = Secret::new(body);
        self
    }

    pub fn add_optional(&mut self, name: &str, value: Option<&str>) -> &mut Form {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            self.add(name, value);
        }
        self
    }

    pub fn encoded(&self) -> &str {
        self.encoded.expose()
    }
}

fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The `Authorization: Basic` value of RFC 6749 §2.3.1.
pub fn basic_authorization(client_id: &str, client_secret: &str) -> Secret {
    let pair = Secret::new(format!(
        "{}:{}",
        form_encode(client_id),
        form_encode(client_secret)
    ));
    let encoded = base64::engine::general_purpose::STANDARD.encode(pair.expose());
    Secret::new(format!("Basic {encoded}"))
}

impl ClientIdentity {
    /// Adds the client's credentials to a request, as its method says.
    pub fn apply(&self, form: &mut Form) -> Option<Secret> {
        match (self.method, &self.client_secret) {
            (ClientAuthMethod::Basic, Some(secret)) => {
                Some(basic_authorization(&self.client_id, secret.expose()))
            }
            (ClientAuthMethod::Post, Some(secret)) => {
                form.add("client_id", &self.client_id);
                form.add("client_secret", secret.expose());
                None
            }
            _ => {
                form.add("client_id", &self.client_id);
                None
            }
        }
    }
}

/// A successful token reply.
#[derive(Debug)]
pub struct TokenSet {
    pub access_token: Secret,
    /// `expires_in`, when the server sent a usable one.
    pub expires_in: Option<Duration>,
    pub refresh_token: Option<Secret>,
    pub scope: Option<String>,
    /// Monotonic time at which the request that produced it was sent.
    pub sent_at_ns: u64,
    /// Unix time at which that request was sent.
    pub sent_at_unix: i64,
}

/// Text from a server, made safe for a message: printable, bounded, and
/// with any secret we sent replaced.
pub fn excerpt(text: &str, limit: usize, secrets: &[&str]) -> String {
    let mut shown: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(limit)
        .collect();
    if text.chars().count() > limit {
        shown.push_str("...");
    }
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        shown = shown.replace(secret, "<redacted>");
    }
    shown.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_form_body(text: &str) -> bool {
    let trimmed = text.trim();
    !trimmed.is_empty()
        && trimmed.contains('=')
        && !trimmed.contains(char::is_whitespace)
        && !trimmed.starts_with('<')
}

/// Reads a reply into its fields, or into the error it carries.
///
/// `secrets` are values this request sent, scrubbed from any text quoted
/// back in a message.
pub fn read_reply(reply: &Reply, endpoint: &str, secrets: &[&str]) -> Result<Map<String, Value>> {
    let fields = parse_fields(reply, endpoint, secrets)?;
    check_fields(&fields, reply.status, endpoint, secrets)?;
    Ok(fields)
}

/// The fields of a JSON or form-encoded reply, whatever its HTTP status.
pub fn parse_fields(reply: &Reply, endpoint: &str, secrets: &[&str]) -> Result<Map<String, Value>> {
    if (300..400).contains(&reply.status) {
        let location = reply
            .location
            .as_deref()
            .and_then(|l| Url::parse(l).ok())
            .map(|u| http::display_url(&u))
            .unwrap_or_else(|| "an unnamed location".to_owned());
        return Err(Error::new(
            Status::Redirect,
            format!(
                "{endpoint} answered HTTP {} redirecting to {location}; token requests do not \
                 follow redirects: configure the final URL",
                reply.status
            ),
        ));
    }

    let text = String::from_utf8_lossy(&reply.body);
    let content_type = reply
        .content_type
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    let fields = if content_type.contains("json") || text.trim_start().starts_with('{') {
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        }
    } else if content_type.contains("x-www-form-urlencoded") || is_form_body(&text) {
        let map: Map<String, Value> = form_urlencoded::parse(text.trim().as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        Some(map)
    } else {
        None
    };

    let Some(fields) = fields else {
        let kind = if text.trim().is_empty() {
            "an empty body".to_owned()
        } else if content_type.is_empty() {
            "a body that is not JSON".to_owned()
        } else {
            format!("a body of type {content_type} that is not JSON")
        };
        return Err(Error::new(
            Status::BadResponse,
            format!(
                "{endpoint} answered HTTP {} with {kind}; this is not a token reply (a proxy or \
                 the wrong URL?). The body starts: \"{}\"",
                reply.status,
                excerpt(&text, 200, secrets)
            ),
        ));
    };

    Ok(fields)
}

/// Turns a reply's `error` field, or a status other than 2xx, into an error.
pub fn check_fields(
    fields: &Map<String, Value>,
    http_status: u16,
    endpoint: &str,
    secrets: &[&str],
) -> Result<()> {
    if let Some(error) = fields.get("error").and_then(Value::as_str) {
        let description = fields
            .get("error_description")
            .and_then(Value::as_str)
            .map(|d| format!(": {}", excerpt(d, 300, secrets)))
            .unwrap_or_default();
        let status = Status::from_oauth_error(error);
        return Err(Error::new(
            status,
            format!(
                "{endpoint} answered HTTP {} with error \"{}\"{description}{}",
                http_status,
                excerpt(error, 80, secrets),
                advice(status)
            ),
        ));
    }

    if !(200..300).contains(&http_status) {
        let shown = excerpt(&Value::Object(fields.clone()).to_string(), 200, secrets);
        return Err(Error::new(
            Status::HttpStatus,
            format!("{endpoint} answered HTTP {http_status} without an OAuth error: {shown}"),
        ));
    }
    Ok(())
}

fn advice(status: Status) -> &'static str {
    match status {
        Status::InvalidClient => {
            " (check the client id, the client secret and the client \
                                  authentication method: post or basic)"
        }
        Status::UnauthorizedClient => " (the client is not allowed this grant type)",
        Status::InvalidScope => " (check the scope)",
        Status::InvalidTarget => " (check the audience or resource)",
        Status::InvalidGrant => " (the grant or refresh token is no longer valid: log in again)",
        _ => "",
    }
}

/// The longest lifetime believed; a larger `expires_in` or `exp` (from a
/// broken server) is cut to this, so expiry arithmetic cannot overflow.
pub const MAX_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);

/// `expires_in` as a number, a numeric string, or a fraction; `None` when
/// absent, unparsable, zero or negative.
pub fn read_expires_in(fields: &Map<String, Value>) -> Option<Duration> {
    let seconds = match fields.get("expires_in")? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (seconds.is_finite() && seconds >= 1.0)
        .then(|| Duration::from_secs_f64(seconds.min(MAX_LIFETIME.as_secs_f64()).floor()))
}

fn non_empty_string(fields: &Map<String, Value>, name: &str) -> Option<String> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Turns the fields of a successful reply into a token set.
pub fn token_set(
    fields: &Map<String, Value>,
    endpoint: &str,
    sent_at_ns: u64,
    sent_at_unix: i64,
) -> Result<TokenSet> {
    let Some(access_token) = non_empty_string(fields, "access_token") else {
        return Err(Error::new(
            Status::MissingAccessToken,
            format!("{endpoint} answered without an access_token (or with an empty one)"),
        ));
    };
    if let Some(token_type) = fields.get("token_type").and_then(Value::as_str) {
        if !token_type.eq_ignore_ascii_case("bearer") {
            return Err(Error::new(
                Status::UnsupportedTokenType,
                format!(
                    "{endpoint} issued a token of type \"{}\"; only Bearer tokens are supported",
                    excerpt(token_type, 40, &[])
                ),
            ));
        }
    }
    Ok(TokenSet {
        access_token: Secret::new(access_token),
        expires_in: read_expires_in(fields),
        refresh_token: non_empty_string(fields, "refresh_token").map(Secret::new),
        scope: non_empty_string(fields, "scope"),
        sent_at_ns,
        sent_at_unix,
    })
}

pub fn transient(error: &Error, http_status: Option<u16>) -> bool {
    match error.status() {
        Status::Connect | Status::Transport => true,
        Status::ServerError | Status::TemporarilyUnavailable => true,
        // Errors the server named as permanent are never retried, whatever
        // the HTTP status they came with.
        status if (400..=408).contains(&status.code()) => false,
        _ => matches!(http_status, Some(s) if s == 429 || s >= 500),
    }
}

/// Exponential backoff from 0.5 s, capped at 8 s, with ±50 % jitter so that
/// many processes that failed together do not retry together.
pub fn backoff(attempt: u32) -> Duration {
    let base_ms = (500u64 << attempt.min(4)).min(8_000);
    let jitter = jitter_fraction();
    Duration::from_millis((base_ms as f64 * (0.5 + jitter)) as u64)
}

fn jitter_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(clock::monotonic_ns());
    hasher.write_u32(std::process::id());
    (hasher.finish() % 10_000) as f64 / 10_000.0
}

/// POSTs a form once, with the client's credentials, and reads the reply.
pub async fn post_once(
    client: &reqwest::Client,
    endpoint: &Url,
    shown: &str,
    form: &Form,
    authorization: Option<&Secret>,
    timeout: Duration,
) -> Result<Reply> {
    let mut request = client
        .post(endpoint.clone())
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form.encoded().to_owned());
    if let Some(authorization) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, authorization.expose());
    }
    http::send(request, shown, timeout).await
}

/// A successful reply's fields, with the time its request was sent.
pub struct Answer {
    pub fields: Map<String, Value>,
    pub sent_at_ns: u64,
    pub sent_at_unix: i64,
}

/// POSTs `form` to `endpoint` with the client's credentials, retrying
/// transient failures within the total timeout.
pub async fn post_form(
    client: &reqwest::Client,
    settings: &HttpSettings,
    endpoint: &Url,
    mut form: Form,
    identity: &ClientIdentity,
    secrets: &[Secret],
) -> Result<Answer> {
    let shown = http::display_url(endpoint);
    let authorization = identity.apply(&mut form);
    let mut scrub: Vec<&str> = secrets.iter().map(Secret::expose).collect();
    if let Some(secret) = &identity.client_secret {
        scrub.push(secret.expose());
    }

    let deadline = Instant::now() + settings.total_timeout;
    let mut attempt = 0u32;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let sent_at_ns = clock::monotonic_ns();
        let sent_at_unix = clock::unix_now();
        let sent = post_once(
            client,
            endpoint,
            &shown,
            &form,
            authorization.as_ref(),
            remaining,
        )
        .await;
        let (error, http_status, retry_after) = match sent {
            Ok(reply) => match read_reply(&reply, &shown, &scrub) {
                Ok(fields) => {
                    return Ok(Answer {
                        fields,
                        sent_at_ns,
                        sent_at_unix,
                    })
                }
                Err(error) => (error, Some(reply.status), reply.retry_after),
            },
            Err(error) => (error, None, None),
        };

        if attempt >= settings.max_retries || !transient(&error, http_status) {
            return Err(error);
        }
        let wait = retry_after.unwrap_or_else(|| backoff(attempt));
        if Instant::now() + wait >= deadline {
            return Err(Error::new(
                error.status(),
                format!(
                    "{} (not retried: waiting {} ms would pass the total timeout)",
                    error.message(),
                    wait.as_millis()
                ),
            ));
        }
        attempt += 1;
        log!(
            Level::Warn,
            "request to {shown} failed ({}); retry {attempt} of {} in {} ms",
            error.status().description(),
            settings.max_retries,
            wait.as_millis()
        );
        tokio::time::sleep(wait).await;
    }
}

/// One token request: `post_form`, then the reply read as a token set.
pub async fn request_token(
    client: reqwest::Client,
    settings: HttpSettings,
    endpoint: Url,
    form: Form,
    identity: ClientIdentity,
    secrets: Vec<Secret>,
) -> Result<TokenSet> {
    let answer = post_form(&client, &settings, &endpoint, form, &identity, &secrets).await?;
    let shown = http::display_url(&endpoint);
    token_set(
        &answer.fields,
        &shown,
        answer.sent_at_ns,
        answer.sent_at_unix,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, content_type: &str, body: &str) -> Reply {
        Reply {
            status,
            content_type: Some(content_type.to_owned()),
            retry_after: None,
            location: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn basic_credentials_are_form_encoded_before_base64() {
        let header = basic_authorization("my client", "a+b/c=d:e%f&g h");
        let b64 = header.expose().strip_prefix("Basic ").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "my+client:a%2Bb%2Fc%3Dd%3Ae%25f%26g+h"
        );
    }

    #[test]
    fn form_body_encodes_pairs() {
        let mut form = Form::new();
        form.add("grant_type", "client_credentials")
            .add("scope", "a b");
        form.add_optional("audience", None)
            .add_optional("resource", Some(""));
        assert_eq!(form.encoded(), "grant_type=client_credentials&scope=a+b");
    }

    #[test]
    fn expires_in_is_read_from_numbers_and_strings() {
        let parse = |v: Value| {
            let mut m = Map::new();
            m.insert("expires_in".into(), v);
            read_expires_in(&m)
        };
        assert_eq!(parse(Value::from(300)), Some(Duration::from_secs(300)));
        assert_eq!(parse(Value::from(" 300 ")), Some(Duration::from_secs(300)));
        assert_eq!(parse(Value::from(299.5)), Some(Duration::from_secs(299)));
        assert_eq!(parse(Value::from(0)), None);
        assert_eq!(parse(Value::from(-5)), None);
        assert_eq!(parse(Value::from("soon")), None);
    }

    #[test]
    fn error_in_a_200_reply_is_an_error() {
        let r = reply(
            200,
            "application/json",
            r#"{"error":"invalid_client","error_description":"bad"}"#,
        );
        let err = read_reply(&r, "https://x/token", &[]).unwrap_err();
        assert_eq!(err.status(), Status::InvalidClient);
        assert!(err.message().contains("HTTP 200"));
        assert!(err.message().contains("bad"));
    }

    #[test]
    fn html_is_not_a_token_and_secrets_are_scrubbed() {
        let r = reply(
            502,
            "text/html",
            "<html>Bad gateway; you sent s3cr3t-value</html>",
        );
        let err = read_reply(&r, "https://x/token", &["s3cr3t-value"]).unwrap_err();
        assert_eq!(err.status(), Status::BadResponse);
        assert!(err.message().contains("HTTP 502"));
        assert!(err.message().contains("<html>Bad gateway"));
        assert!(!err.message().contains("s3cr3t-value"));
    }

    #[test]
    fn form_bodies_and_lowercase_bearer_are_accepted() {
        let r = reply(
            200,
            "text/plain",
            "access_token=abc&token_type=bearer&expires_in=60",
        );
        let fields = read_reply(&r, "https://x/token", &[]).unwrap();
        let set = token_set(&fields, "https://x/token", 0, 0).unwrap();
        assert_eq!(set.access_token.expose(), "abc");
        assert_eq!(set.expires_in, Some(Duration::from_secs(60)));
    }

    #[test]
    fn empty_token_and_other_types_are_refused() {
        let r = reply(
            200,
            "application/json",
            r#"{"access_token":"","token_type":"Bearer"}"#,
        );
        let fields = read_reply(&r, "e", &[]).unwrap();
        assert_eq!(
            token_set(&fields, "e", 0, 0).unwrap_err().status(),
            Status::MissingAccessToken
        );
        let r = reply(
            200,
            "application/json",
            r#"{"access_token":"x","token_type":"DPoP"}"#,
        );
        let fields = read_reply(&r, "e", &[]).unwrap();
        assert_eq!(
            token_set(&fields, "e", 0, 0).unwrap_err().status(),
            Status::UnsupportedTokenType
        );
    }

    #[test]
    fn redirects_are_reported_not_followed() {
        let mut r = reply(302, "text/html", "");
        r.location = Some("https://elsewhere.example/login?session=1".into());
        let err = read_reply(&r, "https://x/token", &[]).unwrap_err();
        assert_eq!(err.status(), Status::Redirect);
        assert!(err.message().contains("https://elsewhere.example/login"));
        assert!(!err.message().contains("session=1"));
    }
}
