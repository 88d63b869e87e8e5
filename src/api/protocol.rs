//! GET/PUT /v1/clinic/protocol: the clinic's aftercare protocol overrides.

use actix_web::{web, HttpResponse};

use super::auth::AuthenticatedClinic;
use super::json::JsonBody;
use super::views::protocol_from_overrides;
use crate::app::AppState;
use crate::db::{self, clinics};
use crate::domain::protocol::{Protocol, ProtocolOverrides};
use crate::error::ApiError;

fn answer(overrides: Option<&str>) -> Result<HttpResponse, ApiError> {
    let effective = protocol_from_overrides(overrides)?;
    let overrides: serde_json::Value = match overrides {
        Some(json) => serde_json::from_str(json).map_err(ApiError::internal)?,
        None => serde_json::json!({}),
    };
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "overrides": overrides,
        "effective": effective.source(),
    })))
}

/// GET /v1/clinic/protocol: the overrides and the protocol in effect.
#[utoipa::path(operation_id = "protocol_get", get, path = "/v1/clinic/protocol", responses((status = 200, description = "{overrides, effective}", body = Object), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn get(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
) -> Result<HttpResponse, ApiError> {
    let clinic_id = clinic.id.clone();
    let stored = db::run(&state.pool, move |conn| {
        Ok(clinics::find(conn, &clinic_id)?.and_then(|c| c.protocol_overrides))
    })
    .await?;
    answer(stored.as_deref())
}

/// PUT /v1/clinic/protocol: replaces the overrides (`{}` restores the default). The
/// result is validated as a whole by the domain's protocol loader before it is kept.
#[utoipa::path(operation_id = "protocol_put", put, path = "/v1/clinic/protocol", request_body(content = Object, description = "Overrides in the shape of config/protocol.toml, e.g. {\"rules\": {\"gentle_washing_ok\": {\"from\": 10}}}; {} restores the default"), responses((status = 200, description = "{overrides, effective}", body = Object), (status = 400, description = "Malformed request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A value is not valid; the problem names the field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn put(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    body: JsonBody<ProtocolOverrides>,
) -> Result<HttpResponse, ApiError> {
    let overrides = body.value;
    Protocol::default_protocol()
        .with_overrides(&overrides)
        .map_err(|e| ApiError::invalid("protocol", e.to_string()))?;
    let stored = if overrides.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&overrides).map_err(ApiError::internal)?)
    };
    let clinic_id = clinic.id.clone();
    let to_store = stored.clone();
    let now = state.clock.now();
    db::run(&state.pool, move |conn| {
        clinics::set_protocol_overrides(conn, &clinic_id, to_store.as_deref())?;
        // Every client's reminders follow the new protocol from the next tick.
        crate::jobs::planner::replan_clinic_now(conn, &clinic_id, now)?;
        Ok(())
    })
    .await?;
    answer(stored.as_deref())
}
