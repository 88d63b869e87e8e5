//! GET/PUT /v1/clinic/protocol: the clinic's aftercare protocol overrides.

use actix_web::{get, put, web, HttpResponse};

use super::auth::AuthenticatedClinic;
use super::json::JsonBody;
use super::{ApiError, AppState};
use crate::domain::protocol::ProtocolOverrides;
use crate::service::clinics::{self, ClinicProtocol};

fn answer(protocol: ClinicProtocol) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "overrides": protocol.overrides,
        "effective": protocol.effective.source(),
    }))
}

/// GET /v1/clinic/protocol: the overrides and the protocol in effect.
#[utoipa::path(
    operation_id = "protocol_get",
    responses((status = 200, description = "{overrides, effective}", body = Object)),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[get("/v1/clinic/protocol")]
pub async fn get(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
) -> Result<HttpResponse, ApiError> {
    Ok(answer(clinics::protocol(&state.services, &clinic.0).await?))
}

/// PUT /v1/clinic/protocol: replaces the overrides (`{}` restores the default). The
/// result is validated as a whole by the domain's protocol loader before it is kept.
#[utoipa::path(
    operation_id = "protocol_put",
    request_body(
        content = Object,
        description = "Overrides in the shape of config/protocol.toml, e.g. \
            {\"rules\": {\"gentle_washing_ok\": {\"from\": 10}}}; {} restores the default"
    ),
    responses((status = 200, description = "{overrides, effective}", body = Object)),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[put("/v1/clinic/protocol")]
pub async fn put(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    body: JsonBody<ProtocolOverrides>,
) -> Result<HttpResponse, ApiError> {
    Ok(answer(
        clinics::put_protocol(&state.services, &clinic.0, body.value).await?,
    ))
}
