//! HTTP routes. Handlers stay thin: extract, call the domain or a repository, respond.

pub mod auth;
pub mod health;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::readyz)))
        .service(web::resource("/v1/clinic").route(web::get().to(clinic_whoami)));
}

/// The clinic a key belongs to: lets a clinic's IT check its key works.
async fn clinic_whoami(clinic: auth::AuthenticatedClinic) -> web::Json<serde_json::Value> {
    web::Json(serde_json::json!({
        "id": clinic.id,
        "name": clinic.name,
        "email": clinic.email,
    }))
}
