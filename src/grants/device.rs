//! The device authorization grant (RFC 8628) protocol: ask for a user code,
//! show it to the person, and poll the token endpoint until they approve,
//! deny, or the code expires.
//!
//! Polling follows the RFC where servers differ: the default interval is
//! 5 s; `slow_down` adds 5 s for this and every later poll and the interval
//! never goes down; each wait starts when the previous reply arrived, so no
//! poll reaches the server early; transport failures back off; errors are
//! read from the `error` field whether they come with HTTP 400 or 200.

use super::Cancel;
use crate::clock;
use crate::error::{Error, Result, Status};
use crate::http::{self, HttpSettings};
use crate::log::{log, Level};
use crate::oauth::{self, ClientIdentity, Form, TokenSet};
use crate::secret::Secret;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
const MAX_TRANSPORT_BACKOFF: Duration = Duration::from_secs(60);

/// What the person must be told to approve the login.
#[derive(Clone, Debug)]
pub struct DevicePrompt {
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
    pub expires_in: Duration,
}

/// Shows the prompt; returns false to cancel the login.
pub type PromptFn = dyn Fn(&DevicePrompt) -> bool + Send + Sync;

pub struct DeviceAuthorization {
    device_code: Secret,
    pub prompt: DevicePrompt,
    pub interval: Duration,
    /// When the device code stops being valid, on this machine's clock.
    pub deadline: Instant,
}

fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn seconds(fields: &Map<String, Value>, name: &str) -> Option<Duration> {
    let value = match fields.get(name)? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (value.is_finite() && value >= 0.0).then(|| Duration::from_secs_f64(value))
}

/// Asks the device authorization endpoint for a user code.
pub async fn authorize(
    client: &reqwest::Client,
    settings: &HttpSettings,
    endpoint: &Url,
    identity: &ClientIdentity,
    scope: Option<&str>,
) -> Result<DeviceAuthorization> {
    let mut form = Form::new();
    form.add_optional("scope", scope);
    let started = Instant::now();
    let answer = oauth::post_form(client, settings, endpoint, form, identity, &[]).await?;
    let fields = answer.fields;
    let shown = http::display_url(endpoint);
    let missing = |name: &str| {
        Error::new(
            Status::BadResponse,
            format!("{shown} answered the device authorization request without {name}"),
        )
    };
    let device_code = text(&fields, "device_code").ok_or_else(|| missing("a device_code"))?;
    let user_code = text(&fields, "user_code").ok_or_else(|| missing("a user_code"))?;
    // Some servers (Google's among them) say verification_url.
    let verification_uri = text(&fields, "verification_uri")
        .or_else(|| text(&fields, "verification_url"))
        .ok_or_else(|| missing("a verification_uri"))?;
    let verification_uri_complete = text(&fields, "verification_uri_complete")
        .or_else(|| text(&fields, "verification_url_complete"));
    let expires_in = seconds(&fields, "expires_in")
        .filter(|d| !d.is_zero())
        .ok_or_else(|| missing("a usable expires_in"))?;
    let interval = seconds(&fields, "interval")
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_INTERVAL);
    Ok(DeviceAuthorization {
        device_code: Secret::new(device_code),
        prompt: DevicePrompt {
            verification_uri,
            verification_uri_complete,
            user_code,
            expires_in,
        },
        interval,
        deadline: started + expires_in,
    })
}

/// The prompt written to stderr when the host gives no prompt callback.
pub fn default_prompt(prompt: &DevicePrompt) -> bool {
    let minutes = prompt.expires_in.as_secs().div_ceil(60);
    let mut message = format!(
        "\nTo log in, open {} in a browser and enter the code {}\n",
        prompt.verification_uri, prompt.user_code
    );
    if let Some(complete) = &prompt.verification_uri_complete {
        message.push_str(&format!("(or open {complete} directly)\n"));
    }
    message.push_str(&format!(
        "The code expires in {minutes} minute(s). Waiting...\n\n"
    ));
    eprint!("{message}");
    true
}

/// Polls the token endpoint until the login completes, fails, expires or
/// is cancelled.
pub async fn poll(
    client: reqwest::Client,
    settings: HttpSettings,
    token_endpoint: Url,
    identity: ClientIdentity,
    authorization: DeviceAuthorization,
    cancel: Arc<Cancel>,
    epoch: u64,
) -> Result<TokenSet> {
    let shown = http::display_url(&token_endpoint);
    let mut form = Form::new();
    form.add("grant_type", DEVICE_CODE_GRANT)
        .add("device_code", authorization.device_code.expose());
    let bearer = identity.apply(&mut form);
    let secrets = [authorization.device_code.expose()];
    let mut interval = authorization.interval;
    let mut failures = 0u32;

    loop {
        let wait = if failures == 0 {
            interval
        } else {
            (interval * 2u32.saturating_pow(failures))
                .min(MAX_TRANSPORT_BACKOFF)
                .max(interval)
        };
        if Instant::now() + wait >= authorization.deadline {
            return Err(Error::new(
                Status::ExpiredToken,
                format!(
                    "the device code expired before the login was approved (it was valid for \
                     {} s); start the login again",
                    authorization.prompt.expires_in.as_secs()
                ),
            ));
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = cancel.cancelled_since(epoch) => return Err(cancelled()),
        }

        let sent_at_ns = clock::monotonic_ns();
        let sent_at_unix = clock::unix_now();
        let timeout = settings
            .total_timeout
            .min(authorization.deadline - Instant::now());
        let request = oauth::post_once(
            &client,
            &token_endpoint,
            &shown,
            &form,
            bearer.as_ref(),
            timeout,
        );
        let sent = tokio::select! {
            sent = request => sent,
            _ = cancel.cancelled_since(epoch) => return Err(cancelled()),
        };
        // Any failure to read a reply that a later poll may not repeat
        // (transport, timeout, 429, 5xx) backs off and polls again.
        let polled = match sent {
            Ok(reply) => oauth::parse_fields(&reply, &shown, &secrets)
                .map(|fields| (fields, reply.status))
                .map_err(|error| (error, Some(reply.status))),
            Err(error) => Err((error, None)),
        };
        let polled = polled.and_then(|(fields, status)| {
            if matches!(
                fields.get("error").and_then(Value::as_str),
                Some("authorization_pending" | "slow_down")
            ) {
                return Ok((fields, status));
            }
            oauth::check_fields(&fields, status, &shown, &secrets)
                .map(|()| (fields, status))
                .map_err(|error| (error, Some(status)))
        });
        let fields = match polled {
            Ok((fields, _)) => fields,
            Err((error, status))
                if error.status() == Status::Timeout || oauth::transient(&error, status) =>
            {
                failures += 1;
                log!(
                    Level::Warn,
                    "device login poll failed ({}); backing off",
                    error.message()
                );
                continue;
            }
            Err((error, _)) => {
                return Err(match error.status() {
                    Status::AccessDenied => Error::new(
                        Status::AccessDenied,
                        format!("the login was denied: {}", error.message()),
                    ),
                    Status::ExpiredToken => Error::new(
                        Status::ExpiredToken,
                        format!(
                            "the device code expired: {}; start the login again",
                            error.message()
                        ),
                    ),
                    _ => error,
                })
            }
        };
        match fields.get("error").and_then(Value::as_str) {
            Some("authorization_pending") => {
                failures = 0;
                continue;
            }
            Some("slow_down") => {
                failures = 0;
                let named = seconds(&fields, "interval").unwrap_or_default();
                interval = (interval + SLOW_DOWN_STEP).max(named);
                log!(
                    Level::Info,
                    "the server asked to slow down; polling every {} s",
                    interval.as_secs()
                );
                continue;
            }
            _ => {}
        }
        return oauth::token_set(&fields, &shown, sent_at_ns, sent_at_unix);
    }
}

pub fn cancelled() -> Error {
    Error::new(Status::Cancelled, "the login was cancelled")
}
