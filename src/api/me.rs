//! Client endpoints: the client's own profile, preferences and days.

use actix_web::{get, patch, web, HttpResponse};
use serde::Deserialize;

use super::auth::{invalid_client_token, AuthenticatedClient, ClientToken};
use super::clients::RangeQuery;
use super::json::{JsonBody, Object};
use super::views::{ClientView, TimelineView};
use super::{ApiError, AppState};
use crate::domain::SpfFrequency;
use crate::service::days::{self, Which, Whose};
use crate::service::preferences::{self, PreferencesInput};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePreferences {
    pub timezone: Option<String>,
    #[schema(example = "07:30")]
    pub reminder_time: Option<String>,
    #[schema(value_type = Option<PartialChannels>)]
    pub channels: Option<Object<PartialChannels>>,
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

fn me_of(client: AuthenticatedClient) -> Whose {
    Whose::Me(Box::new(client.0))
}

/// GET /v1/me
#[utoipa::path(
    operation_id = "me_me",
    responses((status = 200, description = "The client (without invitation details)", body = ClientView)),
    security(("client_token" = [])),
    tag = "client"
)]
#[get("/v1/me")]
pub async fn me(
    state: web::Data<AppState>,
    client: AuthenticatedClient,
) -> Result<HttpResponse, ApiError> {
    let bundle = preferences::profile(&state.services, client.0).await?;
    Ok(HttpResponse::Ok().json(ClientView::for_client(&bundle)))
}

/// PATCH /v1/me/preferences
#[utoipa::path(
    operation_id = "me_update_preferences",
    request_body = UpdatePreferences,
    responses((status = 200, description = "Updated", body = ClientView)),
    security(("client_token" = [])),
    tag = "client"
)]
#[patch("/v1/me/preferences")]
pub async fn update_preferences(
    state: web::Data<AppState>,
    client: AuthenticatedClient,
    body: JsonBody<UpdatePreferences>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let channels = input.channels.map(|c| c.0);
    let input = PreferencesInput {
        timezone: input.timezone,
        reminder_time: input.reminder_time,
        push: channels.as_ref().and_then(|c| c.push),
        email: channels.as_ref().and_then(|c| c.email),
        spf_reminders: input.spf_reminders,
        locale: input.locale,
        muted: input.muted,
    };
    let bundle = preferences::update(&state.services, client.0.id().to_string(), input).await?;
    Ok(HttpResponse::Ok().json(ClientView::for_client(&bundle)))
}

/// GET /v1/me/today: the client's own local date.
#[utoipa::path(
    operation_id = "me_today",
    responses((status = 200, description = "Today in the client's time zone", body = super::openapi::DayViewDoc)),
    security(("client_token" = [])),
    tag = "client"
)]
#[get("/v1/me/today")]
pub async fn today(
    state: web::Data<AppState>,
    token: ClientToken,
) -> Result<HttpResponse, ApiError> {
    let found = days::my_day(&state.services, token.0, Which::Today)
        .await?
        .ok_or_else(invalid_client_token)?;
    Ok(HttpResponse::Ok().json(found))
}

/// GET /v1/me/days/{date}
#[utoipa::path(
    operation_id = "me_day",
    params(("date" = chrono::NaiveDate, Path, description = "Local date, YYYY-MM-DD")),
    responses(
        (status = 200, description = "That date", body = super::openapi::DayViewDoc),
        (status = 422, description = "Not a date", body = super::openapi::ProblemDoc,
            content_type = "application/problem+json"),
    ),
    security(("client_token" = [])),
    tag = "client"
)]
#[get("/v1/me/days/{date}")]
pub async fn day(
    state: web::Data<AppState>,
    token: ClientToken,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let which = Which::Date(path.into_inner());
    let found = days::my_day(&state.services, token.0, which)
        .await?
        .ok_or_else(invalid_client_token)?;
    Ok(HttpResponse::Ok().json(found))
}

/// GET /v1/me/timeline?from&to
#[utoipa::path(
    operation_id = "me_timeline",
    params(RangeQuery),
    responses((status = 200, description = "One entry per date", body = TimelineView)),
    security(("client_token" = [])),
    tag = "client"
)]
#[get("/v1/me/timeline")]
pub async fn timeline(
    state: web::Data<AppState>,
    client: AuthenticatedClient,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    let timeline = days::timeline(
        &state.services,
        me_of(client),
        query.from.as_deref(),
        query.to.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(TimelineView::from(timeline)))
}
