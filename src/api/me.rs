//! Client endpoints: the client's own profile, preferences and days.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::AuthenticatedClient;
use super::clients::{parse_date, timeline_of, RangeQuery};
use super::json::JsonBody;
use super::validate;
use super::views::{ClientBundle, ClientView};
use crate::app::AppState;
use crate::db::{self, clients};
use crate::domain::reminders::Channels;
use crate::domain::SpfFrequency;
use crate::error::ApiError;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePreferences {
    pub timezone: Option<String>,
    #[schema(example = "07:30")]
    pub reminder_time: Option<String>,
    pub channels: Option<PartialChannels>,
    #[schema(value_type = Option<String>, example = "weekly")]
    pub spf_reminders: Option<SpfFrequency>,
    pub locale: Option<String>,
    pub muted: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartialChannels {
    pub push: Option<bool>,
    pub email: Option<bool>,
}

async fn bundle(state: &AppState, me: AuthenticatedClient) -> Result<ClientBundle, ApiError> {
    db::run(&state.pool, move |conn| ClientBundle::load(conn, me.client)).await
}

/// What a client sees of itself: no invitation internals.
fn own_view(bundle: &ClientBundle) -> serde_json::Value {
    let view: ClientView = bundle.view();
    let mut json = serde_json::to_value(view).unwrap_or_default();
    if let Some(object) = json.as_object_mut() {
        object.remove("invitation");
    }
    json
}

/// GET /v1/me
#[utoipa::path(operation_id = "me_me", get, path = "/v1/me", responses((status = 200, description = "The client (without invitation details)", body = crate::api::views::ClientView), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("client_token" = [])), tag = "client")]
pub async fn me(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
) -> Result<HttpResponse, ApiError> {
    let bundle = bundle(&state, me).await?;
    Ok(HttpResponse::Ok().json(own_view(&bundle)))
}

/// PATCH /v1/me/preferences
#[utoipa::path(operation_id = "me_update_preferences", patch, path = "/v1/me/preferences", request_body = UpdatePreferences, responses((status = 200, description = "Updated", body = crate::api::views::ClientView), (status = 400, description = "Malformed request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A value is not valid; the problem names the field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("client_token" = [])), tag = "client")]
pub async fn update_preferences(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
    body: JsonBody<UpdatePreferences>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let tz = input
        .timezone
        .as_deref()
        .map(|t| validate::timezone("timezone", t))
        .transpose()?;
    let time = input
        .reminder_time
        .as_deref()
        .map(|t| validate::reminder_time("reminder_time", t))
        .transpose()?;
    let locale = input
        .locale
        .as_deref()
        .map(|l| validate::locale("locale", l))
        .transpose()?;
    let muted = input
        .muted
        .as_deref()
        .map(|m| validate::muted("muted", m))
        .transpose()?;
    let now = state.clock.now().naive_utc();
    let mut client = me.client;
    if let Some(tz) = tz {
        client.timezone = tz.name().to_string();
    }
    if let Some(time) = time {
        client.reminder_time = validate::format_time(time);
    }
    if let Some(channels) = input.channels {
        let current = Channels {
            push: client.push_enabled,
            email: client.email_enabled,
        };
        client.push_enabled = channels.push.unwrap_or(current.push);
        client.email_enabled = channels.email.unwrap_or(current.email);
    }
    if let Some(spf) = input.spf_reminders {
        client.spf_reminders = spf.as_str().to_string();
    }
    if let Some(locale) = locale {
        client.locale = locale;
    }
    if let Some(muted) = muted {
        let ids: Vec<&str> = muted.iter().map(|k| k.as_str()).collect();
        client.muted = serde_json::to_string(&ids).map_err(ApiError::internal)?;
    }
    client.updated_at = now;
    // Channels, time, zone or muted kinds change what and when we remind: re-plan,
    // which also cancels pending reminders that no longer apply.
    client.next_plan_at = Some(now);
    let bundle = db::run(&state.pool, move |conn| {
        clients::save(conn, &client)?;
        ClientBundle::load(conn, client)
    })
    .await?;
    Ok(HttpResponse::Ok().json(own_view(&bundle)))
}

/// GET /v1/me/today: the client's own local date.
#[utoipa::path(operation_id = "me_today", get, path = "/v1/me/today", responses((status = 200, description = "Today in the client's time zone", body = crate::api::openapi::DayViewDoc), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("client_token" = [])), tag = "client")]
pub async fn today(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
) -> Result<HttpResponse, ApiError> {
    let bundle = bundle(&state, me).await?;
    let today = bundle.today(state.clock.now());
    Ok(HttpResponse::Ok().json(bundle.day(today)?))
}

/// GET /v1/me/days/{date}
#[utoipa::path(operation_id = "me_day", get, path = "/v1/me/days/{date}", params(("date" = String, Path, description = "Local date, YYYY-MM-DD")), responses((status = 200, description = "That date", body = crate::api::openapi::DayViewDoc), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A value is not valid; the problem names the field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("client_token" = [])), tag = "client")]
pub async fn day(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let date = parse_date("date", &path.into_inner())?;
    let bundle = bundle(&state, me).await?;
    Ok(HttpResponse::Ok().json(bundle.day(date)?))
}

/// GET /v1/me/timeline?from&to
#[utoipa::path(operation_id = "me_timeline", get, path = "/v1/me/timeline", params(("from" = Option<String>, Query, description = "First date (default: the day before the first session)"), ("to" = Option<String>, Query, description = "Last date (default: 35 days after the last session; at most 400 days)")), responses((status = 200, description = "One entry per date", body = crate::api::views::TimelineView), (status = 401, description = "Missing or invalid credentials", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A value is not valid; the problem names the field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")), security(("client_token" = [])), tag = "client")]
pub async fn timeline(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    let bundle = bundle(&state, me).await?;
    Ok(HttpResponse::Ok().json(timeline_of(&bundle, &query, state.clock.now())?))
}
