//! Clinic endpoints: record, correct and remove treatment sessions.

use actix_web::http::header;
use actix_web::{delete, patch, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use super::auth::AuthenticatedClinic;
use super::json::JsonBody;
use super::views::ClientView;
use super::{ApiError, AppState};
use crate::service::sessions::{self, NewSessionInput, SessionChange};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    pub date: NaiveDate,
    /// Optional check: the number this session will have in date order.
    pub number: Option<u32>,
    #[serde(rename = "final")]
    pub is_final: Option<bool>,
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSession {
    pub date: Option<NaiveDate>,
    #[serde(rename = "final")]
    pub is_final: Option<bool>,
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

/// POST /v1/clients/{id}/sessions
#[utoipa::path(
    operation_id = "clients_add_session",
    params(("id" = String, Path, description = "Client id")),
    request_body = CreateSession,
    responses(
        (status = 201, description = "Recorded", body = super::openapi::SessionCreatedDoc),
        (status = 409, description = "There is a session on that date", body = super::openapi::ProblemDoc,
            content_type = "application/problem+json"),
    ),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[post("/v1/clients/{id}/sessions")]
pub async fn add(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
    body: JsonBody<CreateSession>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let input = NewSessionInput {
        date: input.date,
        number: input.number,
        is_final: input.is_final,
        notes: input.notes,
    };
    let (session_id, bundle) =
        sessions::add(&state.services, &clinic.0, path.into_inner(), input).await?;
    let client = ClientView::for_clinic(&bundle);
    let session = client.sessions.iter().find(|s| s.id == session_id);
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/clients/{}/sessions/{session_id}", client.id),
        ))
        .json(serde_json::json!({ "session": session, "client": client })))
}

/// PATCH /v1/clients/{id}/sessions/{session_id}
#[utoipa::path(
    operation_id = "clients_update_session",
    params(
        ("id" = String, Path, description = "Client id"),
        ("session_id" = String, Path, description = "Session id"),
    ),
    request_body = UpdateSession,
    responses(
        (status = 200, description = "Updated", body = ClientView),
        (status = 409, description = "There is a session on that date", body = super::openapi::ProblemDoc,
            content_type = "application/problem+json"),
    ),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[patch("/v1/clients/{id}/sessions/{session_id}")]
pub async fn update(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<(String, String)>,
    body: JsonBody<UpdateSession>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let change = SessionChange {
        date: input.date,
        is_final: input.is_final,
        notes: input.notes,
    };
    let (client_id, session_id) = path.into_inner();
    let bundle = sessions::edit(&state.services, &clinic.0, client_id, session_id, change).await?;
    Ok(HttpResponse::Ok().json(ClientView::for_clinic(&bundle)))
}

/// DELETE /v1/clients/{id}/sessions/{session_id}
#[utoipa::path(
    operation_id = "clients_delete_session",
    params(
        ("id" = String, Path, description = "Client id"),
        ("session_id" = String, Path, description = "Session id"),
    ),
    responses((status = 204, description = "Deleted")),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[delete("/v1/clients/{id}/sessions/{session_id}")]
pub async fn delete(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, session_id) = path.into_inner();
    sessions::delete(&state.services, &clinic.0, client_id, session_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
