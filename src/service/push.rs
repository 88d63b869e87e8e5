//! Web Push registration: the browser's `PushSubscription.toJSON()`, kept per client.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::db;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::replan::{self, Affected};
use super::{Error, Services};
use crate::config::OriginPattern;
use crate::db::push_subscriptions::{self, PushSubscription};
use crate::notify::push::is_global;

/// `PushSubscription.toJSON()` as the browser sends it.
#[derive(Debug, Clone)]
pub struct SubscriptionInput {
    pub endpoint: String,
    /// Milliseconds since the epoch, when the browser says the subscription ends.
    pub expiration_time: Option<f64>,
    pub p256dh: String,
    pub auth: String,
}

/// A subscription as the client sees it: the endpoint and its state, without the
/// encryption keys the row keeps for sending.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub endpoint: String,
    pub expiration_time: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while the push service says the subscription is gone (404/410).
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
}

impl From<PushSubscription> for Subscription {
    fn from(row: PushSubscription) -> Self {
        Subscription {
            id: row.id,
            endpoint: row.endpoint,
            expiration_time: row.expiration_time.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            disabled_at: row.disabled_at.map(|t| t.and_utc()),
            disabled_reason: row.disabled_reason,
        }
    }
}

/// Registers (or refreshes) `client_id`'s own subscription of an endpoint; true when
/// it is new. Another client's registration of the same endpoint is left alone.
pub async fn register(
    s: &Services,
    client_id: String,
    input: SubscriptionInput,
) -> Result<(Subscription, bool), Error> {
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
            let (stored, created) = push_subscriptions::upsert(conn, new)?;
            // A new device gets today's reminders (if they are still to come).
            replan::mark_due(conn, Affected::Client(&client_id), now)?;
            Ok((stored.into(), created))
        })
    })
    .await
}

pub async fn list(s: &Services, client_id: String) -> Result<Vec<Subscription>, Error> {
    let rows = s
        .db(move |conn| Ok(push_subscriptions::list_for_client(conn, &client_id)?))
        .await?;
    Ok(rows.into_iter().map(Subscription::from).collect())
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

/// Names that never belong to a public push service: special-use and private-use domains
/// (RFC 6761, RFC 6762 `.local`, RFC 8375 `home.arpa`, ICANN's reserved `.internal`).
const LOCAL_SUFFIXES: &[&str] = &[
    "localhost",
    "local",
    "internal",
    "home.arpa",
    "localdomain",
    "invalid",
];

/// A push endpoint must be a public https URL: we will POST to it, so a loopback,
/// private or link-local address would let a client aim our server at our own
/// network. A fast syntactic check of the URL as written; the push sender judges the
/// addresses a name resolves to when it sends. Endpoints whose origin is one of
/// `allowed` (tests, local push services) may be plain http and point anywhere.
pub fn validate_endpoint(raw: &str, allowed: &[OriginPattern]) -> Result<url::Url, Error> {
    let bad = |why: &str| Error::invalid("endpoint", why.to_string());
    if raw.len() > 2048 {
        return Err(bad("must be at most 2048 characters"));
    }
    let url = url::Url::parse(raw).map_err(|e| bad(&format!("not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    if allowed.iter().any(|origin| origin.matches(&url)) {
        return Ok(url);
    }
    if url.scheme() != "https" {
        return Err(bad("must be an https URL"));
    }
    let ip = match url.host() {
        None => return Err(bad("must have a host")),
        Some(url::Host::Domain(domain)) => {
            // `localhost.` is `localhost`: a trailing dot only marks the name as absolute.
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            let local = !domain.contains('.')
                || LOCAL_SUFFIXES
                    .iter()
                    .any(|suffix| domain == *suffix || domain.ends_with(&format!(".{suffix}")));
            return if local {
                Err(bad("must be a public host"))
            } else {
                Ok(url)
            };
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
    };
    if is_global(ip) {
        Ok(url)
    } else {
        Err(bad(
            "must be a publicly routable address, not a loopback, private or reserved one",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_public_https() {
        let none: Vec<OriginPattern> = vec![];
        for good in [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://updates.push.services.mozilla.com./wpush/v2/x",
            "https://142.250.185.74/x",
            "https://[2a00:1450:4001:82b::200a]/x",
        ] {
            assert!(validate_endpoint(good, &none).is_ok(), "{good}");
        }
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
            "https://user:pw@fcm.googleapis.com/x",
            "https://router.home.arpa/x",
            "not a url",
            // From the issue: accepted before, each inside the operator's network.
            "https://localhost./x",
            "https://foo.local./x",
            "https://metadata.google.internal./x",
            "https://[64:ff9b::a9fe:a9fe]/x",
            "https://[::127.0.0.1]/x",
            "https://[2002:7f00:1::1]/x",
            "https://[fec0::1]/x",
            "https://198.18.0.1/x",
            "https://240.0.0.1/x",
            "https://192.0.0.170/x",
            "https://LOCALHOST../x",
            "https://intranet./x",
            "https://2130706433/x",
        ] {
            assert!(validate_endpoint(bad, &none).is_err(), "{bad}");
        }
    }

    #[test]
    fn allowed_origins_match_exactly() {
        let allowed: Vec<OriginPattern> = vec![
            "http://127.0.0.1:1".parse().unwrap(),
            "http://localhost:*".parse().unwrap(),
        ];
        for good in [
            "http://127.0.0.1:1/push/1",
            "http://localhost:9999/push/1",
            "http://localhost.:9999/push/1",
        ] {
            assert!(validate_endpoint(good, &allowed).is_ok(), "{good}");
        }
        for bad in [
            // A prefix match would have let these through.
            "http://127.0.0.1:1@169.254.169.254/latest",
            "http://127.0.0.1:12/push/1",
            "https://127.0.0.1:1/push/1",
            "http://localhost:9999@10.0.0.1/x",
            "http://user@localhost:9999/push/1",
        ] {
            assert!(validate_endpoint(bad, &allowed).is_err(), "{bad}");
        }
    }
}

/// A rotated VAPID key: its public half, and how many subscriptions must be renewed.
#[derive(Debug)]
pub struct Rotated {
    pub public_key: String,
    pub disabled_subscriptions: usize,
}

/// Replaces the deployment's VAPID key with a new one and disables every subscription
/// made with the old one, in one transaction: each client's app subscribes again with
/// the new key when it next opens. Running processes keep the key they loaded until
/// they restart.
pub async fn rotate_vapid_key(s: &Services) -> Result<Rotated, Error> {
    let keys = crate::notify::vapid::VapidKeys::generate();
    let (pem, at) = (keys.private_key_pem(), s.now().naive_utc());
    let disabled = s
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                db::vapid_keys::replace(conn, &pem, at)?;
                Ok::<_, Error>(push_subscriptions::disable_all(
                    conn,
                    "the VAPID key was rotated; the app subscribes again",
                    at,
                )?)
            })
        })
        .await?;
    Ok(Rotated {
        public_key: keys.public_key_base64url(),
        disabled_subscriptions: disabled,
    })
}
