//! Clinic endpoints: onboard clients, record sessions, see their days.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use diesel::Connection;
use serde::Deserialize;

use super::auth::AuthenticatedClinic;
use super::invitations;
use super::json::JsonBody;
use super::validate;
use super::views::{ClientBundle, TimelineView};
use crate::app::AppState;
use crate::db::clients::{self, Client, SessionRow, StoredResponse};
use crate::db::{self, DbConnection};
use crate::domain::timeline::{Plan, Session};
use crate::error::ApiError;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClient {
    pub email: String,
    pub name: String,
    pub timezone: String,
    pub locale: Option<String>,
    pub planned_sessions: Option<u32>,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// POST /v1/clients: creates the client (and their sessions) in one transaction, then
/// sends the invitation. A failed send leaves the client in place with status
/// `failed` for the clinic to see and resend.
#[utoipa::path(operation_id = "clients_create", post, path = "/v1/clients", request_body = CreateClient, params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first answer")), responses((status = 201, description = "Created; the invitation email was attempted (see invitation.status)", body = crate::api::views::ClientView), (status = 400, description = "Malformed request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 413, description = "Body too large", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A value is not valid; the problem names the field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn create(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    req: HttpRequest,
    body: JsonBody<CreateClient>,
) -> Result<HttpResponse, ApiError> {
    let idempotency_key = idempotency_key(&req)?;
    let fingerprint = crate::tokens::hash(&String::from_utf8_lossy(&body.raw));
    let now = state.clock.now();
    let input = body.value;

    let email = validate::email("email", &input.email)?;
    let name = validate::name("name", &input.name)?;
    let tz = validate::timezone("timezone", &input.timezone)?;
    let locale = validate::locale("locale", input.locale.as_deref().unwrap_or("en"))?;
    let planned = validate::planned_sessions(
        "planned_sessions",
        input
            .planned_sessions
            .unwrap_or_else(|| crate::domain::Protocol::default_protocol().planned_sessions()),
    )?;
    let today = now.with_timezone(&tz).date_naive();
    let dates = input.sessions.unwrap_or_default();
    for (i, date) in dates.iter().enumerate() {
        validate::session_date(&format!("sessions[{i}]"), *date, today)?;
    }
    Plan::new(planned, dates.iter().copied().map(Session::on).collect())
        .map_err(|e| ApiError::invalid("sessions", e.to_string()))?;

    let clinic_id = clinic.id.clone();
    let key = idempotency_key.clone();
    let created = db::run(&state.pool, move |conn| {
        conn.transaction::<_, ApiError, _>(|conn| {
            if let Some(key) = &key {
                if let Some(stored) = clients::find_stored_response(conn, &clinic_id, key)? {
                    return Ok(Created::Replay(stored));
                }
            }
            if clients::find_by_email(conn, &clinic_id, &email)?.is_some() {
                return Err(ApiError::Conflict(format!(
                    "this clinic already has a client with email {email}"
                )));
            }
            let at = now.naive_utc();
            let client = Client {
                id: uuid::Uuid::now_v7().to_string(),
                clinic_id: clinic_id.clone(),
                email,
                name,
                timezone: tz.name().to_string(),
                locale,
                planned_sessions: planned as i32,
                reminder_time: "08:00".to_string(),
                push_enabled: true,
                email_enabled: true,
                spf_reminders: "daily".to_string(),
                muted: "[]".to_string(),
                invitation_status: "pending".to_string(),
                invitation_error: None,
                invitation_token_id: None,
                invitation_token_hash: None,
                invitation_expires_at: None,
                access_token_id: None,
                access_token_hash: None,
                created_at: at,
                updated_at: at,
                // Plan at once: a session today gets today's reminder.
                next_plan_at: Some(at),
                unsubscribe_token: Some(crate::tokens::random_secret()),
            };
            clients::insert(conn, &client)?;
            for date in dates {
                clients::insert_session(conn, &new_session(&client.id, date, false, None, at))?;
            }
            Ok(Created::New(client.id))
        })
    })
    .await;

    let client_id = match created {
        Ok(Created::Replay(stored)) => return replay(stored, &fingerprint),
        Ok(Created::New(id)) => id,
        // Two retries racing with one key: the loser answers with the winner's result.
        Err(ApiError::Conflict(_)) if idempotency_key.is_some() => {
            let key = idempotency_key.clone().unwrap_or_default();
            let clinic_id = clinic.id.clone();
            let stored = db::run(&state.pool, move |conn| {
                Ok(clients::find_stored_response(conn, &clinic_id, &key)?)
            })
            .await?;
            return match stored {
                Some(stored) => replay(stored, &fingerprint),
                None => Err(created
                    .err()
                    .unwrap_or_else(|| ApiError::internal("conflict"))),
            };
        }
        Err(e) => return Err(e),
    };

    invitations::send(&state, &clinic, &client_id).await?;

    let clinic_id = clinic.id.clone();
    let view = db::run(&state.pool, move |conn| {
        let client = load_for_clinic(conn, &clinic_id, &client_id)?;
        let view = serde_json::to_string(&client.view()).map_err(ApiError::internal)?;
        if let Some(key) = idempotency_key {
            let stored = StoredResponse {
                clinic_id,
                idempotency_key: key,
                request_fingerprint: fingerprint,
                response_status: 201,
                response_body: view.clone(),
                created_at: now.naive_utc(),
            };
            // A concurrent twin may have stored first; its answer is equivalent.
            let _ = clients::store_response(conn, &stored);
        }
        Ok((client.client.id, view))
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/clients/{}", view.0)))
        .content_type("application/json")
        .body(view.1))
}

enum Created {
    New(String),
    Replay(StoredResponse),
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| ApiError::invalid("Idempotency-Key", "must be ASCII"))?
        .trim()
        .trim_matches('"')
        .to_string();
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "must be 1-255 characters",
        ));
    }
    Ok(Some(key))
}

fn replay(stored: StoredResponse, fingerprint: &str) -> Result<HttpResponse, ApiError> {
    if stored.request_fingerprint != fingerprint {
        return Err(ApiError::Validation {
            detail: "this Idempotency-Key was used with a different request body".into(),
            errors: vec![crate::error::FieldError {
                field: "Idempotency-Key".into(),
                message: "reused with a different body".into(),
            }],
        });
    }
    let status = actix_web::http::StatusCode::from_u16(stored.response_status as u16)
        .unwrap_or(actix_web::http::StatusCode::OK);
    Ok(HttpResponse::build(status)
        .insert_header(("idempotent-replayed", "true"))
        .content_type("application/json")
        .body(stored.response_body))
}

pub fn new_session(
    client_id: &str,
    date: NaiveDate,
    marked_final: bool,
    notes: Option<String>,
    at: chrono::NaiveDateTime,
) -> SessionRow {
    SessionRow {
        id: uuid::Uuid::now_v7().to_string(),
        client_id: client_id.to_string(),
        date,
        marked_final,
        notes,
        created_at: at,
    }
}

pub fn load_for_clinic(
    conn: &mut DbConnection,
    clinic_id: &str,
    client_id: &str,
) -> Result<ClientBundle, ApiError> {
    let client = clients::find_for_clinic(conn, clinic_id, client_id)?
        .ok_or_else(|| ApiError::NotFound(format!("no client {client_id}")))?;
    ClientBundle::load(conn, client)
}

async fn bundle(
    state: &AppState,
    clinic: &AuthenticatedClinic,
    client_id: String,
) -> Result<ClientBundle, ApiError> {
    let clinic_id = clinic.id.clone();
    db::run(&state.pool, move |conn| {
        load_for_clinic(conn, &clinic_id, &client_id)
    })
    .await
}

/// GET /v1/clients?limit&cursor
#[utoipa::path(operation_id = "clients_list", get, path = "/v1/clients", params(("limit" = Option<u32>, Query, description = "1-200, default 50"), ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")), responses((status = 200, description = "One page of clients", body = crate::api::openapi::ClientPageDoc), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A value is not valid; the problem names the field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn list(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 200"));
    }
    let after = match &query.cursor {
        Some(cursor) => Some(decode_cursor(cursor)?),
        None => None,
    };
    let clinic_id = clinic.id.clone();
    let (items, next) = db::run(&state.pool, move |conn| {
        let mut rows = clients::page(conn, &clinic_id, after.as_deref(), i64::from(limit) + 1)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last().map(|c| encode_cursor(&c.id))
        } else {
            None
        };
        let views = rows
            .into_iter()
            .map(|c| ClientBundle::load(conn, c).map(|b| b.view()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((views, next))
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_cursor": next })))
}

fn encode_cursor(id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ApiError::invalid("cursor", "not a cursor returned by this API"))
}

/// GET /v1/clients/{id}
#[utoipa::path(operation_id = "clients_get", get, path = "/v1/clients/{id}", params(("id" = String, Path, description = "Client id")), responses((status = 200, description = "The client", body = crate::api::views::ClientView), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No such resource (or another clinic's)", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn get(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bundle = bundle(&state, &clinic, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(bundle.view()))
}

/// PATCH /v1/clients/{id}
#[utoipa::path(operation_id = "clients_update", patch, path = "/v1/clients/{id}", params(("id" = String, Path, description = "Client id")), request_body = UpdateClient, responses((status = 200, description = "Updated", body = crate::api::views::ClientView), (status = 400, description = "Malformed request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No such resource (or another clinic's)", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A value is not valid; the problem names the field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn update(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
    body: JsonBody<UpdateClient>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let email = input
        .email
        .as_deref()
        .map(|e| validate::email("email", e))
        .transpose()?;
    let name = input
        .name
        .as_deref()
        .map(|n| validate::name("name", n))
        .transpose()?;
    let tz = input
        .timezone
        .as_deref()
        .map(|t| validate::timezone("timezone", t))
        .transpose()?;
    let locale = input
        .locale
        .as_deref()
        .map(|l| validate::locale("locale", l))
        .transpose()?;
    let planned = input
        .planned_sessions
        .map(|p| validate::planned_sessions("planned_sessions", p))
        .transpose()?;
    let now = state.clock.now().naive_utc();
    let clinic_id = clinic.id.clone();
    let client_id = path.into_inner();
    let view = db::run(&state.pool, move |conn| {
        conn.transaction::<_, ApiError, _>(|conn| {
            let mut bundle = load_for_clinic(conn, &clinic_id, &client_id)?;
            let client = &mut bundle.client;
            if let Some(email) = email {
                if email != client.email {
                    if clients::find_by_email(conn, &clinic_id, &email)?.is_some() {
                        return Err(ApiError::Conflict(format!(
                            "this clinic already has a client with email {email}"
                        )));
                    }
                    client.email = email;
                }
            }
            if let Some(name) = name {
                client.name = name;
            }
            if let Some(tz) = tz {
                client.timezone = tz.name().to_string();
            }
            if let Some(locale) = locale {
                client.locale = locale;
            }
            if let Some(planned) = planned {
                client.planned_sessions = planned as i32;
            }
            client.updated_at = now;
            // Zone, language or plan size may change what and when we remind.
            client.next_plan_at = Some(now);
            clients::save(conn, client)?;
            Ok(bundle.view())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// DELETE /v1/clients/{id}: erases the client's personal data, tokens, push
/// subscriptions and pending reminders (the row and everything hanging off it).
#[utoipa::path(operation_id = "clients_delete", delete, path = "/v1/clients/{id}", params(("id" = String, Path, description = "Client id")), responses((status = 204, description = "Erased: personal data, tokens, subscriptions and pending reminders"), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No such resource (or another clinic's)", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn delete(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let clinic_id = clinic.id.clone();
    let client_id = path.into_inner();
    let deleted = db::run(&state.pool, move |conn| {
        Ok(clients::delete_for_clinic(conn, &clinic_id, &client_id)?)
    })
    .await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("no such client".into()))
    }
}

/// POST /v1/clients/{id}/invitation: a new link; the old one stops working.
#[utoipa::path(operation_id = "clients_resend_invitation", post, path = "/v1/clients/{id}/invitation", params(("id" = String, Path, description = "Client id")), responses((status = 200, description = "A new link was sent; the old one no longer works", body = crate::api::views::ClientView), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No such resource (or another clinic's)", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn resend_invitation(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path.into_inner();
    bundle(&state, &clinic, client_id.clone()).await?;
    invitations::send(&state, &clinic, &client_id).await?;
    let bundle = bundle(&state, &clinic, client_id).await?;
    Ok(HttpResponse::Ok().json(bundle.view()))
}

/// POST /v1/clients/{id}/sessions
#[utoipa::path(operation_id = "clients_add_session", post, path = "/v1/clients/{id}/sessions", params(("id" = String, Path, description = "Client id")), request_body = CreateSession, responses((status = 201, description = "Recorded", body = crate::api::openapi::SessionCreatedDoc), (status = 400, description = "Malformed request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No such resource (or another clinic's)", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A value is not valid; the problem names the field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn add_session(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
    body: JsonBody<CreateSession>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let notes = input.notes.map(|n| validate_notes(&n)).transpose()?;
    let now = state.clock.now();
    let clinic_id = clinic.id.clone();
    let client_id = path.into_inner();
    let view = db::run(&state.pool, move |conn| {
        conn.transaction::<_, ApiError, _>(|conn| {
            let bundle = load_for_clinic(conn, &clinic_id, &client_id)?;
            validate::session_date("date", input.date, bundle.today(now))?;
            if bundle.sessions.iter().any(|s| s.date == input.date) {
                return Err(ApiError::Conflict(format!(
                    "there is already a session on {}; one session per date",
                    input.date
                )));
            }
            let number = bundle
                .sessions
                .iter()
                .filter(|s| s.date < input.date)
                .count() as u32
                + 1;
            if let Some(expected) = input.number {
                if expected != number {
                    return Err(ApiError::invalid(
                        "number",
                        format!(
                            "a session on {} would be number {number}, not {expected}",
                            input.date
                        ),
                    ));
                }
            }
            let row = new_session(
                &client_id,
                input.date,
                input.is_final.unwrap_or(false),
                notes,
                now.naive_utc(),
            );
            clients::insert_session(conn, &row)?;
            crate::jobs::planner::replan_now(conn, &client_id, now)?;
            let bundle = load_for_clinic(conn, &clinic_id, &client_id)?;
            Ok((row.id, bundle.view()))
        })
    })
    .await?;
    let session = view.1.sessions.iter().find(|s| s.id == view.0);
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/clients/{}/sessions/{}", view.1.id, view.0),
        ))
        .json(serde_json::json!({ "session": session, "client": view.1 })))
}

fn validate_notes(notes: &str) -> Result<String, ApiError> {
    if notes.chars().count() > 2000 {
        return Err(ApiError::invalid(
            "notes",
            "must be at most 2000 characters",
        ));
    }
    Ok(notes.to_string())
}

/// PATCH /v1/clients/{id}/sessions/{session_id}
#[utoipa::path(operation_id = "clients_update_session", patch, path = "/v1/clients/{id}/sessions/{session_id}", params(("id" = String, Path, description = "Client id"), ("session_id" = String, Path, description = "Session id")), request_body = UpdateSession, responses((status = 200, description = "Updated", body = crate::api::views::ClientView), (status = 400, description = "Malformed request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No such resource (or another clinic's)", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A value is not valid; the problem names the field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn update_session(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<(String, String)>,
    body: JsonBody<UpdateSession>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let notes = match input.notes {
        Some(Some(n)) => Some(Some(validate_notes(&n)?)),
        other => other,
    };
    let now = state.clock.now();
    let clinic_id = clinic.id.clone();
    let (client_id, session_id) = path.into_inner();
    let view = db::run(&state.pool, move |conn| {
        conn.transaction::<_, ApiError, _>(|conn| {
            let bundle = load_for_clinic(conn, &clinic_id, &client_id)?;
            let mut row = bundle
                .sessions
                .iter()
                .find(|s| s.id == session_id)
                .cloned()
                .ok_or_else(|| ApiError::NotFound(format!("no session {session_id}")))?;
            if let Some(date) = input.date {
                validate::session_date("date", date, bundle.today(now))?;
                if bundle
                    .sessions
                    .iter()
                    .any(|s| s.date == date && s.id != row.id)
                {
                    return Err(ApiError::Conflict(format!(
                        "there is already a session on {date}; one session per date"
                    )));
                }
                row.date = date;
            }
            if let Some(is_final) = input.is_final {
                row.marked_final = is_final;
            }
            if let Some(notes) = notes {
                row.notes = notes;
            }
            clients::save_session(conn, &row)?;
            crate::jobs::planner::replan_now(conn, &client_id, now)?;
            Ok(load_for_clinic(conn, &clinic_id, &client_id)?.view())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// DELETE /v1/clients/{id}/sessions/{session_id}
#[utoipa::path(operation_id = "clients_delete_session", delete, path = "/v1/clients/{id}/sessions/{session_id}", params(("id" = String, Path, description = "Client id"), ("session_id" = String, Path, description = "Session id")), responses((status = 204, description = "Deleted"), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No such resource (or another clinic's)", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn delete_session(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let clinic_id = clinic.id.clone();
    let (client_id, session_id) = path.into_inner();
    let now = state.clock.now();
    db::run(&state.pool, move |conn| {
        load_for_clinic(conn, &clinic_id, &client_id)?;
        if clients::delete_session(conn, &client_id, &session_id)? {
            crate::jobs::planner::replan_now(conn, &client_id, now)?;
            Ok(())
        } else {
            Err(ApiError::NotFound(format!("no session {session_id}")))
        }
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// GET /v1/clients/{id}/today
#[utoipa::path(operation_id = "clients_today", get, path = "/v1/clients/{id}/today", params(("id" = String, Path, description = "Client id")), responses((status = 200, description = "The client's local today", body = crate::api::openapi::DayViewDoc), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No such resource (or another clinic's)", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn today(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bundle = bundle(&state, &clinic, path.into_inner()).await?;
    let today = bundle.today(state.clock.now());
    Ok(HttpResponse::Ok().json(bundle.day(today)?))
}

/// GET /v1/clients/{id}/days/{date}
#[utoipa::path(operation_id = "clients_day", get, path = "/v1/clients/{id}/days/{date}", params(("id" = String, Path, description = "Client id"), ("date" = String, Path, description = "Local date, YYYY-MM-DD")), responses((status = 200, description = "That date", body = crate::api::openapi::DayViewDoc), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No such resource (or another clinic's)", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A value is not valid; the problem names the field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn day(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, date) = path.into_inner();
    let date = parse_date("date", &date)?;
    let bundle = bundle(&state, &clinic, client_id).await?;
    Ok(HttpResponse::Ok().json(bundle.day(date)?))
}

/// GET /v1/clients/{id}/timeline?from&to
#[utoipa::path(operation_id = "clients_timeline", get, path = "/v1/clients/{id}/timeline", params(("id" = String, Path, description = "Client id"), ("from" = Option<String>, Query, description = "First date (default: the day before the first session)"), ("to" = Option<String>, Query, description = "Last date (default: 35 days after the last session; at most 400 days)")), responses((status = 200, description = "One entry per date", body = crate::api::views::TimelineView), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "No such resource (or another clinic's)", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A value is not valid; the problem names the field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("clinic_key" = [])), tag = "clinic")]
pub async fn timeline(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    let bundle = bundle(&state, &clinic, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(timeline_of(&bundle, &query, state.clock.now())?))
}

/// The default range: from the day before the first session (or today) to 35 days
/// after the last session (or today), capped at the longest range answered.
pub fn timeline_of(
    bundle: &ClientBundle,
    query: &RangeQuery,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<TimelineView, ApiError> {
    let from = query
        .from
        .as_deref()
        .map(|v| parse_date("from", v))
        .transpose()?;
    let to = query
        .to
        .as_deref()
        .map(|v| parse_date("to", v))
        .transpose()?;
    let today = bundle.today(now);
    let first = bundle.sessions.first().map_or(today, |s| s.date);
    let last = bundle.sessions.last().map_or(today, |s| s.date);
    let from = from.unwrap_or_else(|| first.pred_opt().unwrap_or(first));
    let longest = chrono::Days::new((super::views::MAX_TIMELINE_DAYS - 1) as u64);
    let to = to.unwrap_or_else(|| (last + chrono::Days::new(35)).max(from).min(from + longest));
    Ok(TimelineView {
        from,
        to,
        days: bundle.range(from, to)?,
    })
}

pub fn parse_date(field: &str, value: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        ApiError::invalid(
            field,
            format!("{value:?} is not a calendar date as YYYY-MM-DD"),
        )
    })
}
