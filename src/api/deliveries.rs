//! Reminder history for clients and clinics. (The one-click unsubscribe pages are the
//! client app's: `web::app::unsubscribe`.)

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::auth::{AuthenticatedClient, AuthenticatedClinic};
use super::{ApiError, AppState};
use crate::domain::{Channel, DeliveryStatus};
use crate::service::history::{self, DeliveryRecord, Whose};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: String,
    pub kind: String,
    /// push | email
    #[schema(value_type = String, example = "push")]
    pub channel: Channel,
    /// Who it was for: the push subscription's id (as in `/v1/me/push-subscriptions`),
    /// or `email`.
    #[schema(example = "email")]
    pub target: String,
    /// The push subscription's id for a push delivery; null for email.
    pub subscription_id: Option<String>,
    pub local_date: NaiveDate,
    /// pending | sending | sent | retry | failed | dead | expired | cancelled
    #[schema(value_type = String, example = "sent")]
    pub status: DeliveryStatus,
    /// A same-day correction (`plan_changed`) rather than the day's regular message.
    pub correction: bool,
    pub attempts: i32,
    pub send_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(d: DeliveryRecord) -> Self {
        let subscription_id = (d.channel == Channel::Push).then(|| d.target.clone());
        DeliveryView {
            id: d.id,
            kind: d.kind.to_string(),
            channel: d.channel,
            target: d.target,
            subscription_id,
            local_date: d.local_date,
            status: d.status,
            correction: d.correction,
            attempts: d.attempts,
            send_at: d.send_at,
            sent_at: d.sent_at,
            last_error: d.last_error,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    /// Pass as `cursor` for the next page (same filters); null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// 1-1000, default 100
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page
    pub cursor: Option<String>,
    /// Only these statuses, comma-separated: pending, sending, sent, retry, failed, dead,
    /// expired, cancelled (e.g. `failed,dead`)
    #[param(pattern = "^[a-z]+(,[a-z]+)*$", example = "failed,dead")]
    pub status: Option<String>,
    /// Only this channel: push | email
    #[param(pattern = "^(push|email)$", example = "push")]
    pub channel: Option<String>,
    /// First local date (included)
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last local date (included)
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
}

impl From<HistoryQuery> for history::HistoryQuery {
    fn from(q: HistoryQuery) -> Self {
        history::HistoryQuery {
            limit: q.limit,
            cursor: q.cursor,
            status: q.status,
            channel: q.channel,
            from: q.from,
            to: q.to,
        }
    }
}

fn page(page: history::HistoryPage) -> HttpResponse {
    let items = page.items.into_iter().map(DeliveryView::from).collect();
    HttpResponse::Ok().json(DeliveryPage {
        items,
        next_cursor: page.next_cursor,
    })
}

#[utoipa::path(
    operation_id = "deliveries_mine",
    params(HistoryQuery),
    responses((status = 200, description = "The client's reminders, newest first, one page", body = DeliveryPage)),
    security(("client_token" = [])),
    tag = "client"
)]
#[get("/v1/me/deliveries")]
pub async fn mine(
    state: web::Data<AppState>,
    me: AuthenticatedClient,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let whose = Whose::Me(me.0.id().to_string());
    Ok(page(
        history::page(&state.services, whose, query.into_inner().into()).await?,
    ))
}

#[utoipa::path(
    operation_id = "deliveries_of_client",
    params(("id" = String, Path, description = "Client id"), HistoryQuery),
    responses((status = 200, description = "The client's reminders, newest first, one page", body = DeliveryPage)),
    security(("clinic_key" = [])),
    tag = "clinic"
)]
#[get("/v1/clients/{id}/deliveries")]
pub async fn of_client(
    state: web::Data<AppState>,
    clinic: AuthenticatedClinic,
    path: web::Path<String>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let whose = Whose::OfClinic(clinic.0, path.into_inner());
    Ok(page(
        history::page(&state.services, whose, query.into_inner().into()).await?,
    ))
}
