//! The client's subscribable calendar: `/v1/me/calendar` creates, rotates and revokes
//! the secret feed URL; `/calendar/{token}.ics` is the feed calendar apps poll.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::auth::AuthenticatedClient;
use super::middleware::OwnErrorBody;
use super::{ics, ApiError, AppState};
use crate::service::{self, calendar};

/// Whether the client has a calendar feed URL.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarFeedStatus {
    pub active: bool,
    /// When the active URL was issued; null without one.
    pub created_at: Option<DateTime<Utc>>,
}

/// A new calendar feed URL. Shown once: only a hash of its token is kept.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarFeedIssued {
    /// The `.ics` feed (https), for calendar apps that take a URL.
    pub url: String,
    /// The same feed as `webcal://`, which phones open as a subscription.
    pub webcal_url: String,
    pub created_at: DateTime<Utc>,
}

/// What a calendar app shows when a feed URL no longer works.
const FEED_GONE: &str = "This calendar link no longer works: it was turned off or replaced. \
Open your aftercare app and choose \"Add to my calendar\" to get a new one.\n";

/// GET /v1/me/calendar
#[utoipa::path(
    operation_id = "me_calendar_status",
    responses((status = 200, description = "Whether a feed URL is active, and since when", body = CalendarFeedStatus)),
    security(("client_token" = [])),
    tag = "client"
)]
#[get("/v1/me/calendar")]
pub async fn status(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
) -> Result<HttpResponse, ApiError> {
    let status = calendar::status(&state.services, me.0.id().to_string()).await?;
    Ok(HttpResponse::Ok().json(CalendarFeedStatus {
        active: status.created_at.is_some(),
        created_at: status.created_at,
    }))
}

/// POST /v1/me/calendar: a new feed URL; the previous one (if any) stops working.
#[utoipa::path(
    operation_id = "me_calendar_issue",
    responses((status = 201, description = "The new feed URL, shown once", body = CalendarFeedIssued)),
    security(("client_token" = [])),
    tag = "client"
)]
#[post("/v1/me/calendar")]
pub async fn issue(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
) -> Result<HttpResponse, ApiError> {
    let issued = calendar::issue(&state.services, me.0.id().to_string()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CalendarFeedIssued {
            url: issued.url,
            webcal_url: issued.webcal_url,
            created_at: issued.created_at,
        }))
}

/// DELETE /v1/me/calendar: the feed URL stops working (also fine when there is none).
#[utoipa::path(
    operation_id = "me_calendar_revoke",
    responses((status = 204, description = "No feed URL is active")),
    security(("client_token" = [])),
    tag = "client"
)]
#[delete("/v1/me/calendar")]
pub async fn revoke(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
) -> Result<HttpResponse, ApiError> {
    calendar::revoke(&state.services, me.0.id().to_string()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// GET /calendar/{token}.ics: the client's calendar, for calendar apps. Needs no login
/// (the URL is the capability) and changes nothing. `ETag` / `If-None-Match` make an
/// unchanged poll a 304.
#[utoipa::path(
    operation_id = "calendar_feed",
    params(
        ("token" = String, Path, description = "From the URL that POST /v1/me/calendar gave"),
        ("If-None-Match" = Option<String>, Header, description = "The ETag of the copy the app has"),
    ),
    responses(
        (status = 200, description = "The client's calendar (RFC 5545)", content_type = "text/calendar",
            body = String),
        (status = 304, description = "Unchanged since the copy whose ETag was sent"),
        (status = 404, description = "The link is unknown, revoked or replaced: a short text a calendar app shows",
            content(
                (String = "text/plain"),
                (super::openapi::ProblemDoc = "application/problem+json"),
            )),
    ),
    tag = "client"
)]
#[get("/calendar/{token}.ics")]
pub async fn feed(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let feed = match calendar::feed(&state.services, path.into_inner()).await {
        Ok(feed) => feed,
        Err(service::Error::NotFound(_)) => return Ok(feed_gone()),
        Err(other) => return Err(other.into()),
    };
    let etag = ics::etag(&feed);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| ics::matches(v, &etag));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, ics::CACHE_CONTROL))
        // The URL is a secret: not for search engines, even if it leaks onto a page.
        .insert_header(("x-robots-tag", "noindex, nofollow"));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response
        .content_type(ics::CONTENT_TYPE)
        .body(ics::render(&feed, state.services.now())))
}

/// The 404 of a feed URL that no longer works: plain text (calendar apps show it, a
/// problem body would be noise there).
fn feed_gone() -> HttpResponse {
    let mut response = HttpResponse::NotFound()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .content_type("text/plain; charset=utf-8")
        .body(FEED_GONE);
    response.extensions_mut().insert(OwnErrorBody);
    response
}
