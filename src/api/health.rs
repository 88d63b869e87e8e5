//! Liveness and readiness probes for load balancers and orchestrators.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::app::AppState;
use crate::db;
use crate::error::ApiError;

/// The process is up and serving HTTP; says nothing about dependencies.
#[utoipa::path(operation_id = "health_healthz", get, path = "/healthz", tag = "service", responses((status = 200, description = "The process is alive")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready to serve traffic: the database answers. 503 with a problem body otherwise,
/// so a load balancer takes this replica out until the database is back.
#[utoipa::path(operation_id = "health_readyz", get, path = "/readyz", tag = "service", responses((status = 200, description = "The database answers"), (status = 503, description = "The database is unreachable", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let limit = Duration::from_secs(state.settings.database.connect_timeout_secs + 1);
    match tokio::time::timeout(limit, db::run(&state.pool, db::ping)).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(json!({
            "status": "ready",
            "database": state.backend,
        }))),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(ApiError::Unavailable(
            "database did not answer in time".to_string(),
        )),
    }
}
