//! Web Push registration: the browser's `PushSubscription.toJSON()` and the
//! applicationServerKey it needs first.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;

use super::auth::AuthenticatedClient;
use super::json::{JsonBody, Object};
use super::views::SubscriptionView;
use super::{ApiError, AppState};
use crate::service::push::{self, SubscriptionInput};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubscriptionJson {
    pub endpoint: String,
    pub expiration_time: Option<f64>,
    #[schema(value_type = SubscriptionKeys)]
    pub keys: Object<SubscriptionKeys>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionKeys {
    pub p256dh: String,
    pub auth: String,
}

/// GET /v1/push/vapid-public-key (no auth).
#[utoipa::path(
    operation_id = "push_vapid_public_key",
    responses((status = 200, description = "{public_key}: the applicationServerKey, base64url", body = Object)),
    tag = "service"
)]
#[get("/v1/push/vapid-public-key")]
pub async fn vapid_public_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "public_key": state.services.vapid_public_key }))
}

/// POST /v1/me/push-subscriptions: 201 for a new endpoint, 200 when the caller
/// registers its endpoint again (keys refreshed, never duplicated). An endpoint another
/// client registered is a new registration for the caller: never moved, never shown.
#[utoipa::path(
    operation_id = "push_subscribe",
    request_body(content = SubscriptionJson, description = "PushSubscription.toJSON()"),
    responses(
        (status = 201, description = "Registered", body = SubscriptionView),
        (status = 200, description = "The caller's endpoint registered again: updated", body = SubscriptionView),
    ),
    security(("client_token" = [])),
    tag = "client"
)]
#[post("/v1/me/push-subscriptions")]
pub async fn subscribe(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
    body: JsonBody<SubscriptionJson>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let input = SubscriptionInput {
        endpoint: input.endpoint,
        expiration_time: input.expiration_time,
        p256dh: input.keys.0.p256dh,
        auth: input.keys.0.auth,
    };
    let (stored, created) = push::register(&state.services, me.0.id().to_string(), input).await?;
    let view = SubscriptionView::from(&stored);
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// GET /v1/me/push-subscriptions
#[utoipa::path(
    operation_id = "push_list",
    responses((status = 200, description = "{items: [...]}", body = Object)),
    security(("client_token" = [])),
    tag = "client"
)]
#[get("/v1/me/push-subscriptions")]
pub async fn list(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
) -> Result<HttpResponse, ApiError> {
    let rows = push::list(&state.services, me.0.id().to_string()).await?;
    let items: Vec<SubscriptionView> = rows.iter().map(SubscriptionView::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// DELETE /v1/me/push-subscriptions/{id}
#[utoipa::path(
    operation_id = "push_unsubscribe",
    params(("id" = String, Path, description = "Subscription id")),
    responses((status = 204, description = "Removed")),
    security(("client_token" = [])),
    tag = "client"
)]
#[delete("/v1/me/push-subscriptions/{id}")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    push::remove(&state.services, me.0.id().to_string(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
