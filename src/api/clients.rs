//! Clinic endpoints: onboard clients, see and change them, see their days.

use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use super::auth::AuthenticatedClinic;
use super::json::JsonBody;
use super::views::{ClientView, TimelineView};
use super::{ApiError, AppState};
use crate::service::clients::{self, ClientChange, NewClientInput, Onboarded};
use crate::service::days::{self, Which, Whose};
use crate::service::idempotency::IdempotencyKey;
use crate::service::invitations;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClient {
    pub email: String,
    pub name: String,
    /// IANA time zone, e.g. "Europe/London" (default: the clinic's default time zone).
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub planned_sessions: Option<u32>,
    /// At most 20 (`service::validate::MAX_SESSIONS_PER_CLIENT`).
    #[schema(max_items = 20)]
    pub sessions: Option<Vec<NaiveDate>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClient {
    pub email: Option<String>,
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub planned_sessions: Option<u32>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1-200, default 50
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First date (default: the day before the first session)
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last date (default: 35 days after the last session; at most 400 days)
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
}

const IDEMPOTENCY_KEY: &str = "idempotency-key";

fn idempotency_key(req: &HttpRequest, body: &[u8]) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let raw = value
        .to_str()
        .map_err(|_| ApiError::invalid("Idempotency-Key", "must be ASCII"))?;
    Ok(Some(IdempotencyKey::new(raw, body)?))
}

/// POST /v1/clients: creates the client (and their sessions) and queues the
/// invitation email, in one transaction; the answer comes before the email goes out.
#[utoipa::path(
    operation_id = "clients_create",
    request_body = CreateClient,
    params((
        "Idempotency-Key" = Option<String>,
        Header,
        description = "Retries with the same key return the first answer"
    )),
    responses(
        (
            status = 201,
            description = "Created; the invitation email is queued (see invitation.status)",
            body = ClientView
        ),
        (status = 409, description = "A client with this email exists", body = super::openapi::ProblemDoc,
            content_type = "application/problem+json"),
    ),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[post("/v1/clients")]
pub async fn create(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    req: HttpRequest,
    body: JsonBody<CreateClient>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req, &body.raw)?;
    let input = body.value;
    let input = NewClientInput {
        email: input.email,
        name: input.name,
        timezone: input.timezone,
        locale: input.locale,
        planned_sessions: input.planned_sessions,
        sessions: input.sessions.unwrap_or_default(),
        unreadable: Vec::new(),
    };
    let render = ClientView::render_for_clinic;
    Ok(
        match clients::onboard(&state.services, &clinic.0, input, key, render).await? {
            Onboarded::Created { id, body } => HttpResponse::Created()
                .insert_header((header::LOCATION, format!("/v1/clients/{id}")))
                .content_type("application/json")
                .body(body),
            Onboarded::Replayed(replay) => {
                let status = actix_web::http::StatusCode::from_u16(replay.status)
                    .unwrap_or(actix_web::http::StatusCode::OK);
                HttpResponse::build(status)
                    .insert_header(("idempotent-replayed", "true"))
                    .content_type("application/json")
                    .body(replay.body)
            }
        },
    )
}

/// GET /v1/clients?limit&cursor
#[utoipa::path(
    operation_id = "clients_list",
    params(ListQuery),
    responses((status = 200, description = "One page of clients", body = super::openapi::ClientPageDoc)),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[get("/v1/clients")]
pub async fn list(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = clients::page(&state.services, &clinic.0, query.limit, query.cursor).await?;
    let items: Vec<ClientView> = page.items.iter().map(ClientView::for_clinic).collect();
    // Serialised straight from the views (`json!` built a `Value` tree of the page first).
    Ok(HttpResponse::Ok().json(ClientPageView {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// The body of `GET /v1/clients` (documented as `ClientPageDoc`).
#[derive(serde::Serialize)]
struct ClientPageView {
    items: Vec<ClientView>,
    next_cursor: Option<String>,
}

/// GET /v1/clients/{id}
#[utoipa::path(
    operation_id = "clients_get",
    params(("id" = String, Path, description = "Client id")),
    responses((status = 200, description = "The client", body = ClientView)),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[get("/v1/clients/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bundle = clients::get(&state.services, &clinic.0, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ClientView::for_clinic(&bundle)))
}

/// PATCH /v1/clients/{id}
#[utoipa::path(
    operation_id = "clients_update",
    params(("id" = String, Path, description = "Client id")),
    request_body = UpdateClient,
    responses(
        (status = 200, description = "Updated", body = ClientView),
        (status = 409, description = "Another client has this email", body = super::openapi::ProblemDoc,
            content_type = "application/problem+json"),
    ),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[patch("/v1/clients/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
    body: JsonBody<UpdateClient>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let change = ClientChange {
        email: input.email,
        name: input.name,
        timezone: input.timezone,
        locale: input.locale,
        planned_sessions: input.planned_sessions,
    };
    let bundle = clients::update(&state.services, &clinic.0, path.into_inner(), change).await?;
    Ok(HttpResponse::Ok().json(ClientView::for_clinic(&bundle)))
}

/// DELETE /v1/clients/{id}: erases the client's personal data, tokens, push
/// subscriptions and pending reminders (the row and everything hanging off it).
#[utoipa::path(
    operation_id = "clients_delete",
    params(("id" = String, Path, description = "Client id")),
    responses((status = 204, description = "Erased: personal data, tokens, subscriptions and pending reminders")),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[delete("/v1/clients/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    clients::erase(&state.services, &clinic.0, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// POST /v1/clients/{id}/invitation: a new link, queued for email; the old one stops
/// working.
#[utoipa::path(
    operation_id = "clients_resend_invitation",
    params(("id" = String, Path, description = "Client id")),
    responses((
        status = 200,
        description = "A new link is on its way; the old one no longer works",
        body = ClientView
    )),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[post("/v1/clients/{id}/invitation")]
pub async fn resend_invitation(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bundle = invitations::resend(&state.services, &clinic.0, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ClientView::for_clinic(&bundle)))
}

fn of_clinic(clinic: AuthenticatedClinic, id: String) -> Whose {
    Whose::OfClinic(clinic.0, id)
}

/// GET /v1/clients/{id}/today
#[utoipa::path(
    operation_id = "clients_today",
    params(("id" = String, Path, description = "Client id")),
    responses((status = 200, description = "The client's local today", body = super::openapi::DayViewDoc)),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[get("/v1/clients/{id}/today")]
pub async fn today(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = days::day(
        &state.services,
        of_clinic(clinic, path.into_inner()),
        Which::Today,
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// GET /v1/clients/{id}/days/{date}
#[utoipa::path(
    operation_id = "clients_day",
    params(
        ("id" = String, Path, description = "Client id"),
        ("date" = NaiveDate, Path, description = "Local date, YYYY-MM-DD"),
    ),
    responses(
        (status = 200, description = "That date", body = super::openapi::DayViewDoc),
        (status = 422, description = "Not a date", body = super::openapi::ProblemDoc,
            content_type = "application/problem+json"),
    ),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[get("/v1/clients/{id}/days/{date}")]
pub async fn day(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, date) = path.into_inner();
    let view = days::day(&state.services, of_clinic(clinic, id), Which::Date(date)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// GET /v1/clients/{id}/timeline?from&to
#[utoipa::path(
    operation_id = "clients_timeline",
    params(("id" = String, Path, description = "Client id"), RangeQuery),
    responses((status = 200, description = "One entry per date", body = TimelineView)),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[get("/v1/clients/{id}/timeline")]
pub async fn timeline(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    let whose = of_clinic(clinic, path.into_inner());
    let timeline = days::timeline(
        &state.services,
        whose,
        query.from.as_deref(),
        query.to.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(TimelineView::from(timeline)))
}
