//! Reminder history for clients and clinics, and the one-click email unsubscribe.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::auth::{AuthenticatedClient, AuthenticatedClinic};
use crate::app::AppState;
use crate::db::{self, clients, deliveries};
use crate::error::ApiError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: String,
    pub kind: String,
    /// push | email
    pub channel: String,
    pub local_date: NaiveDate,
    /// pending | sending | sent | retry | failed | dead | expired | cancelled
    pub status: String,
    pub attempts: i32,
    pub send_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    pub limit: Option<u32>,
}

async fn history(
    state: &AppState,
    client_id: String,
    limit: Option<u32>,
) -> Result<HttpResponse, ApiError> {
    let limit = limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    let rows = db::run(&state.pool, move |conn| {
        Ok(deliveries::history(conn, &client_id, i64::from(limit))?)
    })
    .await?;
    let items = rows
        .into_iter()
        .map(|d| DeliveryView {
            id: d.id,
            kind: d.kind,
            channel: d.channel,
            local_date: d.local_date,
            status: d.status,
            attempts: d.attempts,
            send_at: d.send_at.and_utc(),
            sent_at: d.sent_at.map(|t| t.and_utc()),
            last_error: d.last_error,
        })
        .collect();
    Ok(HttpResponse::Ok().json(DeliveryPage { items }))
}

#[utoipa::path(operation_id = "deliveries_mine", get, path = "/v1/me/deliveries", params(("limit" = Option<u32>, Query, description = "1-1000, default 100")),
    responses((status = 200, description = "The client's reminders, newest first", body = DeliveryPage), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")),
    security(("client_token" = [])), tag = "client")]
pub async fn mine(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    history(&state, me.client.id, query.limit).await
}

#[utoipa::path(operation_id = "deliveries_of_client", get, path = "/v1/clients/{id}/deliveries", params(("id" = String, Path, description = "Client id"), ("limit" = Option<u32>, Query, description = "1-1000, default 100")),
    responses((status = 200, description = "The client's reminders, newest first", body = DeliveryPage), (status = 404, description = "No such client", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")),
    security(("clinic_key" = [])), tag = "clinic")]
pub async fn of_client(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let (clinic_id, client_id) = (clinic.id.clone(), path.into_inner());
    let id = client_id.clone();
    db::run(&state.pool, move |conn| {
        clients::find_for_clinic(conn, &clinic_id, &id)?
            .ok_or_else(|| ApiError::NotFound(format!("no client {id}")))
    })
    .await?;
    history(&state, client_id, query.limit).await
}

/// GET /unsubscribe/{token}: a confirmation page whose button POSTs (mail scanners
/// follow GET links; only the POST unsubscribes, as RFC 8058 intends).
pub async fn unsubscribe_page(path: web::Path<String>) -> HttpResponse {
    let token: String = path
        .into_inner()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Stop reminder emails</title></head>\
         <body><h1>Stop aftercare reminder emails?</h1><p>Push notifications on your phone continue.</p>\
         <form method=\"post\" action=\"/unsubscribe/{token}\"><button type=\"submit\">Stop reminder emails</button></form></body></html>"
    ))
}

/// POST /unsubscribe/{token}: one-click unsubscribe (RFC 8058). Turns off email
/// reminders only; idempotent; needs no login (the token is the capability).
#[utoipa::path(operation_id = "unsubscribe_email", post, path = "/unsubscribe/{token}", params(("token" = String, Path, description = "From the reminder email")),
    responses((status = 200, description = "Email reminders are off (also when they already were)"), (status = 404, description = "Unknown link", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")),
    tag = "client")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let now = state.clock.now();
    db::run(&state.pool, move |conn| {
        let Some(mut client) = clients::find_by_unsubscribe_token(conn, &token)? else {
            return Err(ApiError::NotFound(
                "this unsubscribe link is not valid".into(),
            ));
        };
        if client.email_enabled {
            client.email_enabled = false;
            client.updated_at = now.naive_utc();
            clients::save(conn, &client)?;
        }
        deliveries::cancel_unsent_email(
            conn,
            &client.id,
            "the client unsubscribed from email reminders",
            now.naive_utc(),
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Unsubscribed</title></head>\
         <body><h1>You will get no more reminder emails.</h1><p>Push notifications continue; you can turn email back on in the app.</p></body></html>",
    ))
}
