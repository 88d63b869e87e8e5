//! HTTP routes. Handlers stay thin: extract, call the domain or a repository, respond.

pub mod auth;
pub mod clients;
pub mod deliveries;
pub mod health;
pub mod invitations;
pub mod json;
pub mod me;
pub mod openapi;
pub mod protocol;
pub mod push;
pub mod validate;
pub mod views;

use actix_web::{web, HttpResponse};
use utoipa::OpenApi;
use utoipa_scalar::{Scalar, Servable};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::readyz)))
        // Clinic endpoints (Authorization: Bearer <clinic API key>).
        .service(web::resource("/v1/clinic").route(web::get().to(clinic_whoami)))
        .service(
            web::resource("/v1/clinic/protocol")
                .route(web::get().to(protocol::get))
                .route(web::put().to(protocol::put)),
        )
        .service(
            web::resource("/v1/clients")
                .route(web::get().to(clients::list))
                .route(web::post().to(clients::create)),
        )
        .service(
            web::resource("/v1/clients/{id}")
                .route(web::get().to(clients::get))
                .route(web::patch().to(clients::update))
                .route(web::delete().to(clients::delete)),
        )
        .service(
            web::resource("/v1/clients/{id}/invitation")
                .route(web::post().to(clients::resend_invitation)),
        )
        .service(
            web::resource("/v1/clients/{id}/sessions").route(web::post().to(clients::add_session)),
        )
        .service(
            web::resource("/v1/clients/{id}/sessions/{session_id}")
                .route(web::patch().to(clients::update_session))
                .route(web::delete().to(clients::delete_session)),
        )
        .service(web::resource("/v1/clients/{id}/today").route(web::get().to(clients::today)))
        .service(web::resource("/v1/clients/{id}/days/{date}").route(web::get().to(clients::day)))
        .service(web::resource("/v1/clients/{id}/timeline").route(web::get().to(clients::timeline)))
        // Client endpoints.
        .service(
            web::resource("/v1/invitations/{token}/accept")
                .route(web::post().to(invitations::accept)),
        )
        .service(web::resource("/v1/me").route(web::get().to(me::me)))
        .service(web::resource("/v1/me/deliveries").route(web::get().to(deliveries::mine)))
        .service(
            web::resource("/v1/clients/{id}/deliveries")
                .route(web::get().to(deliveries::of_client)),
        )
        .service(
            web::resource("/unsubscribe/{token}")
                .route(web::get().to(deliveries::unsubscribe_page))
                .route(web::post().to(deliveries::unsubscribe)),
        )
        .service(web::resource("/v1/me/preferences").route(web::patch().to(me::update_preferences)))
        .service(web::resource("/v1/me/today").route(web::get().to(me::today)))
        .service(web::resource("/v1/me/days/{date}").route(web::get().to(me::day)))
        .service(web::resource("/v1/me/timeline").route(web::get().to(me::timeline)))
        .service(
            web::resource("/v1/me/push-subscriptions")
                .route(web::get().to(push::list))
                .route(web::post().to(push::subscribe)),
        )
        .service(
            web::resource("/v1/me/push-subscriptions/{id}")
                .route(web::delete().to(push::unsubscribe)),
        )
        .service(
            web::resource("/v1/push/vapid-public-key").route(web::get().to(push::vapid_public_key)),
        )
        .service(web::resource("/openapi.json").route(web::get().to(openapi_json)))
        .service(Scalar::with_url("/docs", openapi::ApiDoc::openapi()));
}

/// The clinic a key belongs to: lets a clinic's IT check its key works.
async fn clinic_whoami(clinic: auth::AuthenticatedClinic) -> web::Json<serde_json::Value> {
    web::Json(serde_json::json!({
        "id": clinic.id,
        "name": clinic.name,
        "email": clinic.email,
    }))
}

/// GET /openapi.json: the OpenAPI 3.1 description of this API.
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(openapi::ApiDoc::openapi())
}
