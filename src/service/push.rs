//! Web Push registration: the browser's `PushSubscription.toJSON()`, kept per client.

use std::net::IpAddr;

use crate::db;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::replan::{self, Affected};
use super::{Error, Services};
use crate::db::push_subscriptions::{self, PushSubscription};

/// `PushSubscription.toJSON()` as the browser sends it.
#[derive(Debug, Clone)]
pub struct SubscriptionInput {
    pub endpoint: String,
    /// Milliseconds since the epoch, when the browser says the subscription ends.
    pub expiration_time: Option<f64>,
    pub p256dh: String,
    pub auth: String,
}

/// Registers (or refreshes) `client_id`'s own subscription of an endpoint; true when
/// it is new. Another client's registration of the same endpoint is left alone.
pub async fn register(
    s: &Services,
    client_id: String,
    input: SubscriptionInput,
) -> Result<(PushSubscription, bool), Error> {
    let endpoint = validate_endpoint(&input.endpoint, &s.settings.push.allowed_insecure_endpoints)?;
    let p256dh = decode_key("keys.p256dh", &input.p256dh)?;
    if p256dh.len() != 65 || p256::PublicKey::from_sec1_bytes(&p256dh).is_err() {
        return Err(Error::invalid(
            "keys.p256dh",
            "must be a 65-byte uncompressed P-256 public key (base64url)",
        ));
    }
    let auth = decode_key("keys.auth", &input.auth)?;
    if auth.len() != 16 {
        return Err(Error::invalid("keys.auth", "must be 16 bytes (base64url)"));
    }
    let expiration_time = match input.expiration_time {
        None => None,
        Some(ms) => Some(
            chrono::DateTime::from_timestamp_millis(ms as i64)
                .filter(|_| ms.is_finite() && ms >= 0.0)
                .ok_or_else(|| {
                    Error::invalid("expirationTime", "not a valid timestamp in milliseconds")
                })?
                .naive_utc(),
        ),
    };
    let now = s.now();
    let at = now.naive_utc();
    let new = PushSubscription {
        id: uuid::Uuid::now_v7().to_string(),
        client_id,
        endpoint: endpoint.to_string(),
        p256dh: URL_SAFE_NO_PAD.encode(&p256dh),
        auth: URL_SAFE_NO_PAD.encode(&auth),
        expiration_time,
        created_at: at,
        updated_at: at,
        disabled_at: None,
        disabled_reason: None,
    };
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let client_id = new.client_id.clone();
            let stored = push_subscriptions::upsert(conn, new)?;
            // A new device gets today's reminders (if they are still to come).
            replan::mark_due(conn, Affected::Client(&client_id), now)?;
            Ok(stored)
        })
    })
    .await
}

pub async fn list(s: &Services, client_id: String) -> Result<Vec<PushSubscription>, Error> {
    s.db(move |conn| Ok(push_subscriptions::list_for_client(conn, &client_id)?))
        .await
}

/// Removes one of the client's subscriptions (this device stops getting pushes).
pub async fn remove(s: &Services, client_id: String, id: String) -> Result<(), Error> {
    let deleted = s
        .db(move |conn| {
            Ok(push_subscriptions::delete_for_client(
                conn, &client_id, &id,
            )?)
        })
        .await?;
    if deleted {
        Ok(())
    } else {
        Err(Error::NotFound("no such push subscription".into()))
    }
}

fn decode_key(field: &str, value: &str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| Error::invalid(field, "not base64url"))
}

/// A push endpoint must be a public https URL: we will POST to it, so a loopback,
/// private or link-local address would let a client aim our server at our own
/// network. `allowed` prefixes (tests, local push services) are exempt.
pub fn validate_endpoint(raw: &str, allowed: &[String]) -> Result<url::Url, Error> {
    let bad = |why: &str| Error::invalid("endpoint", why.to_string());
    if raw.len() > 2048 {
        return Err(bad("must be at most 2048 characters"));
    }
    let url = url::Url::parse(raw).map_err(|e| bad(&format!("not a URL: {e}")))?;
    if allowed
        .iter()
        .any(|prefix| !prefix.is_empty() && raw.starts_with(prefix.as_str()))
    {
        return Ok(url);
    }
    if url.scheme() != "https" {
        return Err(bad("must be an https URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    match url.host() {
        None => Err(bad("must have a host")),
        Some(url::Host::Domain(domain)) => {
            let domain = domain.to_ascii_lowercase();
            let local = domain == "localhost"
                || domain.ends_with(".localhost")
                || domain.ends_with(".local")
                || domain.ends_with(".internal")
                || !domain.contains('.');
            if local {
                Err(bad("must be a public host"))
            } else {
                Ok(url)
            }
        }
        Some(url::Host::Ipv4(ip)) => public_ip(IpAddr::V4(ip))
            .then_some(url.clone())
            .ok_or_else(|| bad("must not be a loopback, private or link-local address")),
        Some(url::Host::Ipv6(ip)) => public_ip(IpAddr::V6(ip))
            .then_some(url.clone())
            .ok_or_else(|| bad("must not be a loopback, private or link-local address")),
    }
}

fn public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // 100.64/10 CGNAT
                || v4.octets()[0] == 0)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_ip(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80) // link-local
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_public_https() {
        let none: Vec<String> = vec![];
        assert!(validate_endpoint("https://fcm.googleapis.com/fcm/send/abc", &none).is_ok());
        for bad in [
            "http://fcm.googleapis.com/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://192.168.0.1/x",
            "https://169.254.169.254/latest",
            "https://[::1]/x",
            "https://[fe80::1]/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://localhost/x",
            "https://intranet/x",
            "not a url",
        ] {
            assert!(validate_endpoint(bad, &none).is_err(), "{bad}");
        }
        let allowed = vec!["http://127.0.0.1:".to_string()];
        assert!(validate_endpoint("http://127.0.0.1:9999/push/1", &allowed).is_ok());
    }
}
