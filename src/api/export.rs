//! GET /v1/me/export: everything held about the client, as a JSON file to keep (GDPR
//! access and portability). The document is the service's (`service::export`); this
//! only sends it as a download that no cache keeps.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};

use super::auth::AuthenticatedClient;
use super::{ApiError, AppState};
use crate::service::export;
use serde_json::Value;

/// Everything the service holds about the client. No token, token hash or push key is
/// ever part of it.
#[derive(utoipa::ToSchema)]
#[schema(as = ClientDataExport)]
#[allow(dead_code)]
pub struct ClientDataDoc {
    /// `smp-aftercare client data`
    format: String,
    /// 1
    version: u32,
    exported_at: DateTime<Utc>,
    /// `{name, email}` of the clinic that holds the data.
    #[schema(value_type = Object)]
    clinic: Value,
    /// `{id, name, email, timezone, locale, planned_sessions, created_at, updated_at}`
    #[schema(value_type = Object)]
    profile: Value,
    /// `{timezone, reminder_time, channels: {push, email}, spf_reminders, locale, muted}`
    #[schema(value_type = Object)]
    preferences: Value,
    /// `{number, date, final, marked_final, notes}` in date order
    #[schema(value_type = Vec<Object>)]
    sessions: Vec<Value>,
    /// `{status, error, expires_at}`
    #[schema(value_type = Object)]
    invitation: Value,
    /// `{id, endpoint, status, expiration_time, disabled_at, disabled_reason, created_at,
    /// updated_at}`: endpoints only, never the subscription's keys
    #[schema(value_type = Vec<Object>)]
    push_subscriptions: Vec<Value>,
    /// `{active, created_at}`
    #[schema(value_type = Object)]
    calendar_feed: Value,
    /// `{local_date, kind, channel, subscription_id, status, correction, title, body,
    /// send_at, sent_at, attempts, last_error}`, newest first
    #[schema(value_type = Vec<Object>)]
    deliveries: Vec<Value>,
}

/// The file's name: `smp-aftercare-2026-03-02.json` (the client's date).
pub fn file_name(local_date: NaiveDate) -> String {
    format!("smp-aftercare-{local_date}.json")
}

/// GET /v1/me/export
#[utoipa::path(
    operation_id = "me_export",
    responses((status = 200, description = "Everything held about the client, as a JSON file \
        (Content-Disposition: attachment); recorded in the clinic's audit log",
        body = ClientDataDoc,
        headers(
            ("Content-Disposition" = String, description = "attachment; filename=\"smp-aftercare-YYYY-MM-DD.json\""),
            ("Cache-Control" = String, description = "no-store"),
        ))),
    security(("client_token" = [])),
    tag = "client"
)]
#[get("/v1/me/export")]
pub async fn mine(
    state: web::Data<AppState>,
    client: AuthenticatedClient,
) -> Result<HttpResponse, ApiError> {
    let data = export::client_data(&state.services, client.0).await?;
    let disposition = format!("attachment; filename=\"{}\"", file_name(data.local_date));
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(&data))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented sections are exactly the document's.
    #[test]
    fn the_schema_lists_every_section() {
        let doc = serde_json::to_value(super::super::openapi::document()).unwrap();
        let schema = &doc["components"]["schemas"]["ClientDataExport"]["properties"];
        let mut documented: Vec<&String> = schema.as_object().unwrap().keys().collect();
        documented.sort();
        let mut sections = vec![
            "format",
            "version",
            "exported_at",
            "clinic",
            "profile",
            "preferences",
            "sessions",
            "invitation",
            "push_subscriptions",
            "calendar_feed",
            "deliveries",
        ];
        sections.sort();
        assert_eq!(documented, sections);
        let op = &doc["paths"]["/v1/me/export"]["get"];
        assert!(op["responses"]["401"].is_object());
        assert_eq!(
            file_name(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()),
            "smp-aftercare-2026-03-02.json"
        );
    }
}
