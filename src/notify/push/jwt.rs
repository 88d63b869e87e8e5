//! The VAPID JWT (RFC 8292): its audience and its ES256 signature, made here from the
//! injected clock's time (see the module documentation of `push` for why not web-push's).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use url::Url;

use super::VAPID_LIFETIME;

/// The VAPID `aud` for an endpoint: its origin (`scheme://host[:port]`), with the port
/// only when it is not the scheme's default. `None` unless the URL is http(s) with a host.
pub fn audience(endpoint: &Url) -> Option<String> {
    if !matches!(endpoint.scheme(), "https" | "http") || endpoint.host_str().is_none() {
        return None;
    }
    // `Url` already drops a default port, and the origin serialization keeps any other.
    Some(endpoint.origin().ascii_serialization())
}

pub(super) fn vapid_lifetime() -> chrono::Duration {
    chrono::Duration::seconds(VAPID_LIFETIME.as_secs() as i64)
}

/// A signed VAPID JWT (ES256, JWS compact form) with exactly `aud`, `exp` and `sub`.
pub(super) fn sign_jwt(key: &SigningKey, aud: &str, exp: DateTime<Utc>, sub: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = serde_json::json!({ "aud": aud, "exp": exp.timestamp(), "sub": sub });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{claims}");
    let signature: Signature = key.sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

/// A token is signed again once it has less than this left before its `exp`: push
/// services compare `exp` with their own clocks, and a token must not expire in flight.
pub const RENEW_BEFORE: chrono::Duration = chrono::Duration::hours(1);

/// Origins kept at most; past this the cache starts afresh (endpoints are chosen by
/// whoever registers them, so the number of origins is not ours to bound).
const MAX_AUDIENCES: usize = 1024;

/// The `Authorization` value per push-service origin, signed once and reused until
/// shortly before its `exp`, as every Web Push sender does: an ES256 signature per
/// message cost more CPU than the message's encryption.
#[derive(Default)]
pub(super) struct TokenCache {
    tokens: std::sync::Mutex<std::collections::HashMap<String, Signed>>,
}

struct Signed {
    authorization: String,
    exp: DateTime<Utc>,
}

impl TokenCache {
    /// `vapid t=<jwt>, k=<public key>` for `aud` at `now`: the cached one while it has
    /// more than [`RENEW_BEFORE`] left, else a fresh one expiring [`super::VAPID_LIFETIME`]
    /// after `now`.
    pub(super) fn authorization(
        &self,
        aud: &str,
        now: DateTime<Utc>,
        sign: impl FnOnce(DateTime<Utc>) -> String,
    ) -> String {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(signed) = tokens.get(aud).filter(|s| now + RENEW_BEFORE < s.exp) {
            return signed.authorization.clone();
        }
        if tokens.len() >= MAX_AUDIENCES {
            tokens.retain(|_, s| now + RENEW_BEFORE < s.exp);
            if tokens.len() >= MAX_AUDIENCES {
                tokens.clear();
            }
        }
        let exp = now + vapid_lifetime();
        let authorization = sign(exp);
        tokens.insert(
            aud.to_string(),
            Signed {
                authorization: authorization.clone(),
                exp,
            },
        );
        authorization
    }
}
