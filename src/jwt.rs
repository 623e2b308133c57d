//! Reading a JWT's payload without verifying it. The library never trusts
//! these claims for security; it only uses `exp` to schedule a refresh when
//! a server leaves out `expires_in`, and shows claims to people debugging.

use base64::Engine;
use serde_json::{Map, Value};

/// The payload of a compact JWS, or `None` if `token` does not look like one.
pub fn payload(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (_header, body, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let bytes = engine.decode(body.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// The `exp` claim as Unix seconds.
pub fn expiry(token: &str) -> Option<i64> {
    match payload(token)?.get("exp")? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        _ => None,
    }
}

/// One claim as text: strings as they are, anything else as JSON.
pub fn claim(token: &str, name: &str) -> Option<String> {
    match payload(token)?.get(name)? {
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(payload: &str) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            engine.encode(r#"{"alg":"none"}"#),
            engine.encode(payload)
        )
    }

    #[test]
    fn reads_exp_and_claims() {
        let token = make(r#"{"exp":1700000000,"sub":"svc","aud":["a","b"]}"#);
        assert_eq!(expiry(&token), Some(1_700_000_000));
        assert_eq!(claim(&token, "sub").as_deref(), Some("svc"));
        assert_eq!(claim(&token, "aud").as_deref(), Some(r#"["a","b"]"#));
        assert_eq!(claim(&token, "nope"), None);
    }

    #[test]
    fn opaque_tokens_have_no_payload() {
        assert!(payload("opaque-token-value").is_none());
        assert!(payload("a.b").is_none());
        assert!(payload("a.!!!.c").is_none());
        assert!(expiry("a.b.c.d").is_none());
    }
}
