//! Web Push registration: the browser's `PushSubscription.toJSON()` and the
//! applicationServerKey it needs first.

use std::net::IpAddr;

use actix_web::{web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::Connection;
use serde::{Deserialize, Serialize};

use super::auth::AuthenticatedClient;
use super::json::JsonBody;
use crate::app::AppState;
use crate::db::push_subscriptions::{self, PushSubscription};
use crate::db::{self};
use crate::error::ApiError;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubscriptionJson {
    pub endpoint: String,
    pub expiration_time: Option<f64>,
    pub keys: SubscriptionKeys,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionKeys {
    pub p256dh: String,
    pub auth: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    pub endpoint: String,
    #[serde(rename = "expirationTime")]
    pub expiration_time: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<&PushSubscription> for SubscriptionView {
    fn from(s: &PushSubscription) -> Self {
        SubscriptionView {
            id: s.id.clone(),
            endpoint: s.endpoint.clone(),
            expiration_time: s.expiration_time.map(|t| t.and_utc()),
            created_at: s.created_at.and_utc(),
            updated_at: s.updated_at.and_utc(),
        }
    }
}

/// GET /v1/push/vapid-public-key (no auth).
#[utoipa::path(operation_id = "push_vapid_public_key", get, path = "/v1/push/vapid-public-key", tag = "service", responses((status = 200, description = "{public_key}: the applicationServerKey, base64url", body = Object)))]
pub async fn vapid_public_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "public_key": state.vapid.public_key_base64url(),
    }))
}

/// POST /v1/me/push-subscriptions: 201 for a new endpoint, 200 when the same endpoint
/// is registered again (its keys are refreshed, never duplicated).
#[utoipa::path(operation_id = "push_subscribe", post, path = "/v1/me/push-subscriptions", request_body(content = SubscriptionJson, description = "PushSubscription.toJSON()"), responses((status = 201, description = "Registered", body = SubscriptionView), (status = 200, description = "Same endpoint registered again: updated", body = SubscriptionView), (status = 400, description = "Malformed request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A value is not valid; the problem names the field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("client_token" = [])), tag = "client")]
pub async fn subscribe(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
    body: JsonBody<SubscriptionJson>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let endpoint = validate_endpoint(
        &input.endpoint,
        &state.settings.push.allowed_insecure_endpoints,
    )?;
    let p256dh = decode_key("keys.p256dh", &input.keys.p256dh)?;
    if p256dh.len() != 65 || p256::PublicKey::from_sec1_bytes(&p256dh).is_err() {
        return Err(ApiError::invalid(
            "keys.p256dh",
            "must be a 65-byte uncompressed P-256 public key (base64url)",
        ));
    }
    let auth = decode_key("keys.auth", &input.keys.auth)?;
    if auth.len() != 16 {
        return Err(ApiError::invalid(
            "keys.auth",
            "must be 16 bytes (base64url)",
        ));
    }
    let expiration_time = match input.expiration_time {
        None => None,
        Some(ms) => Some(
            chrono::DateTime::from_timestamp_millis(ms as i64)
                .filter(|_| ms.is_finite() && ms >= 0.0)
                .ok_or_else(|| {
                    ApiError::invalid("expirationTime", "not a valid timestamp in milliseconds")
                })?
                .naive_utc(),
        ),
    };
    let now = state.clock.now().naive_utc();
    let new = PushSubscription {
        id: uuid::Uuid::now_v7().to_string(),
        client_id: me.client.id.clone(),
        endpoint: endpoint.to_string(),
        p256dh: URL_SAFE_NO_PAD.encode(&p256dh),
        auth: URL_SAFE_NO_PAD.encode(&auth),
        expiration_time,
        created_at: now,
        updated_at: now,
        disabled_at: None,
        disabled_reason: None,
    };
    let (stored, created) = db::run(&state.pool, move |conn| {
        conn.transaction::<_, ApiError, _>(|conn| {
            let client_id = new.client_id.clone();
            let stored = push_subscriptions::upsert(conn, new)?;
            crate::jobs::planner::replan_now(
                conn,
                &client_id,
                chrono::DateTime::from_naive_utc_and_offset(now, chrono::Utc),
            )?;
            Ok(stored)
        })
    })
    .await?;
    let view = SubscriptionView::from(&stored);
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// GET /v1/me/push-subscriptions
#[utoipa::path(operation_id = "push_list", get, path = "/v1/me/push-subscriptions", responses((status = 200, description = "{items: [...]}", body = Object), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("client_token" = [])), tag = "client")]
pub async fn list(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
) -> Result<HttpResponse, ApiError> {
    let rows = db::run(&state.pool, move |conn| {
        Ok(push_subscriptions::list_for_client(conn, &me.client.id)?)
    })
    .await?;
    let views: Vec<SubscriptionView> = rows.iter().map(SubscriptionView::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": views })))
}

/// DELETE /v1/me/push-subscriptions/{id}
#[utoipa::path(operation_id = "push_unsubscribe", delete, path = "/v1/me/push-subscriptions/{id}", params(("id" = String, Path, description = "Subscription id")), responses((status = 204, description = "Removed"), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No such resource (or another clinic's)", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("client_token" = [])), tag = "client")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let deleted = db::run(&state.pool, move |conn| {
        Ok(push_subscriptions::delete_for_client(
            conn,
            &me.client.id,
            &id,
        )?)
    })
    .await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("no such push subscription".into()))
    }
}

fn decode_key(field: &str, value: &str) -> Result<Vec<u8>, ApiError> {
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| ApiError::invalid(field, "not base64url"))
}

/// A push endpoint must be a public https URL: we will POST to it, so a loopback,
/// private or link-local address would let a client aim our server at our own
/// network. `allowed` prefixes (tests, local push services) are exempt.
pub fn validate_endpoint(raw: &str, allowed: &[String]) -> Result<url::Url, ApiError> {
    let bad = |why: &str| ApiError::invalid("endpoint", why.to_string());
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
