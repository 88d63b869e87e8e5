//! Liveness and readiness probes for load balancers and orchestrators.

use actix_web::{get, web, HttpResponse};
use serde_json::json;

use super::{ApiError, AppState};
use crate::service::health;

/// The process is up and serving HTTP; says nothing about dependencies.
#[utoipa::path(
    operation_id = "health_healthz",
    responses((status = 200, description = "The process is alive")),
    tag = "service"
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready to serve traffic: the database answers. 503 with a problem body otherwise,
/// so a load balancer takes this replica out until the database is back.
#[utoipa::path(
    operation_id = "health_readyz",
    responses((status = 200, description = "The database answers")),
    tag = "service"
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    health::ready(&state.services).await?;
    // Ready either way: push is optional; this is where an operator sees it is off.
    let push = if state.services.settings.push.vapid_subject.is_some() {
        "configured"
    } else {
        "not configured: set push.vapid_subject to send Web Push reminders"
    };
    Ok(HttpResponse::Ok().json(json!({
        "status": "ready",
        "database": state.services.backend,
        "push": push,
    })))
}
