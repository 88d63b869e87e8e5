//! HTTP only: extract, call a service, respond. `ApiError` turns a service error into
//! a status and a problem body. Each route is declared once, on its handler
//! (`#[get("/v1/...")]` beside `#[utoipa::path]`); `utoipa-actix-web` collects the
//! OpenAPI document from the same registration that serves the routes.

pub mod auth;
pub mod calendar;
pub mod clients;
pub mod deliveries;
pub mod docs;
pub mod error;
pub mod export;
pub mod health;
pub mod ics;
pub mod invitations;
pub mod json;
pub mod me;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod protocol;
pub mod push;
pub mod sessions;
pub mod views;

use actix_web::{get, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

/// The state is the HTTP faces' own, shared with the pages (`crate::http`).
pub use crate::http::AppState;
pub use error::{ApiError, FieldError, PROBLEM_JSON};

/// Every route of the API, in one list.
pub fn routes(cfg: &mut ServiceConfig<'_>) {
    cfg.service(health::healthz)
        .service(health::readyz)
        // Client endpoints first: actix tries routes in order, a regex for each dynamic
        // one, and a client's phone calls these every day (clinics call theirs far less).
        .service(invitations::accept)
        .service(me::me)
        .service(me::update_preferences)
        .service(me::today)
        .service(me::day)
        .service(me::timeline)
        .service(export::mine)
        .service(deliveries::mine)
        .service(push::list)
        .service(push::subscribe)
        .service(push::unsubscribe)
        .service(push::vapid_public_key)
        .service(calendar::status)
        .service(calendar::issue)
        .service(calendar::revoke)
        .service(calendar::feed)
        // Clinic endpoints (Authorization: Bearer <clinic API key>).
        .service(clinic_whoami)
        .service(protocol::get)
        .service(protocol::put)
        .service(clients::list)
        .service(clients::create)
        .service(clients::get)
        .service(clients::update)
        .service(clients::delete)
        .service(clients::resend_invitation)
        .service(sessions::add)
        .service(sessions::update)
        .service(sessions::delete)
        .service(clients::today)
        .service(clients::day)
        .service(clients::timeline)
        .service(deliveries::of_client);
}

/// The clinic a key belongs to: lets a clinic's IT check its key works.
#[utoipa::path(
    operation_id = "clinic_whoami",
    responses((status = 200, description = "{id, name, email} of the key's clinic", body = Object)),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[get("/v1/clinic")]
async fn clinic_whoami(clinic: auth::AuthenticatedClinic) -> web::Json<serde_json::Value> {
    let clinic = clinic.0;
    web::Json(serde_json::json!({
        "id": clinic.id,
        "name": clinic.name,
        "email": clinic.email,
    }))
}

/// GET /openapi.json: the OpenAPI 3.1 description of this API.
pub async fn openapi_json(doc: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(doc.as_ref())
}
