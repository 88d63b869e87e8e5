//! GET /console: "Today at the clinic", what needs someone this week, as a work list.
//! From each row, without opening the client: book the next session, resend the
//! invitation, mark the client contacted. Each is a form post to the same service the
//! client's page uses; it comes back here with a confirmation, or with the refusal in
//! words next to the row (422).

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::clients::{human_date, on_the_date, short_time};
use super::{render_status, see_other, ConsoleSession};
use crate::domain::{DeliveryStatus, InvitationStatus, Zone};
use crate::http::AppState;
use crate::service::roster::{self, ClientRow, TodayTotals};
use crate::service::sessions::{self, NewSessionInput};
use crate::service::{clients, clinics, invitations, notes, validate, Error};
use crate::web::pages::{PageError, View};

/// The groups of the page, by the id their forms send back.
const GROUPS: [&str; 4] = ["windows", "overdue", "failing", "invitations"];

/// What came back refused, to show next to its row.
#[derive(Debug, Clone, Default, Serialize)]
struct RowError {
    group: String,
    client_id: String,
    /// `book`, `invitation` or `contacted`.
    action: String,
    message: String,
    /// The date as typed (booking).
    date: String,
}

#[derive(Debug, Deserialize)]
pub struct TodayQuery {
    done: Option<String>,
    client: Option<String>,
}

#[get("")]
pub async fn today(
    state: web::Data<AppState>,
    session: ConsoleSession,
    query: web::Query<TodayQuery>,
) -> Result<HttpResponse, PageError> {
    let notice = match (query.done.as_deref(), query.client.clone()) {
        (Some(done), Some(client_id)) => notice(&state, &session, done, client_id).await?,
        _ => None,
    };
    page(&state, &session, StatusCode::OK, notice, None).await
}

/// The confirmation after an action, by a fixed code and the client's id (their name
/// read from the database, never text from the URL).
async fn notice(
    state: &AppState,
    session: &ConsoleSession,
    done: &str,
    client_id: String,
) -> Result<Option<String>, PageError> {
    let s = &state.services;
    let bundle = match clients::get(s, &session.clinic, client_id).await {
        Ok(bundle) => bundle,
        Err(Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let name = &bundle.client.name;
    let local_date = bundle.today(s.now());
    Ok(match done {
        "booked" => {
            let on = bundle
                .day(local_date)?
                .next_session_on
                .map(|d| format!(" on {}", human_date(d, local_date)))
                .unwrap_or_default();
            Some(format!(
                "Next session for {name} booked{on}; their reminders follow the new plan."
            ))
        }
        "invitation_sent" => Some(format!(
            "A new invitation is on its way to {name}; the old link no longer works."
        )),
        "contacted" => Some(format!("{name} is marked as contacted.")),
        _ => None,
    })
}

async fn page(
    state: &AppState,
    session: &ConsoleSession,
    status: StatusCode,
    notice: Option<String>,
    error: Option<RowError>,
) -> Result<HttpResponse, PageError> {
    let s = &state.services;
    let work = roster::today(s, &session.clinic).await?;
    let zone = clinics::settings(s, &session.clinic).await?.timezone;
    let view = TodayView {
        today: Groups {
            windows_open: rows(&work.windows_open, zone),
            overdue: rows(&work.overdue, zone),
            reminders_failing: rows(&work.reminders_failing, zone),
            invitations_waiting: rows(&work.invitations_waiting, zone),
            totals: work.totals,
            clients: work.has_clients,
        },
        notice,
        row_error: error,
    };
    Ok(render_status(status, &view, session))
}

/// The page: its groups of rows, a confirmation or a refusal.
#[derive(Serialize)]
struct TodayView<'a> {
    today: Groups<'a>,
    notice: Option<String>,
    row_error: Option<RowError>,
}

impl View for TodayView<'_> {
    const TEMPLATE: &'static str = "console/today.html.j2";
}

#[derive(Serialize)]
struct Groups<'a> {
    windows_open: Vec<RowView<'a>>,
    overdue: Vec<RowView<'a>>,
    reminders_failing: Vec<RowView<'a>>,
    invitations_waiting: Vec<RowView<'a>>,
    /// Each group's count (a group shows its first rows only).
    totals: TodayTotals,
    /// Whether the clinic has any client (none: the page says how to start).
    clients: bool,
}

/// A row: the roster's row, with its dates in words.
#[derive(Serialize)]
struct RowView<'a> {
    #[serde(flatten)]
    row: &'a ClientRow,
    window: Option<WindowWords>,
    invited_on: Option<String>,
    reminder_on: Option<String>,
    contacted: Option<ContactedWords>,
    accepted: bool,
    invitation_words: &'static str,
    reminder_words: Option<&'static str>,
}

#[derive(Serialize)]
struct WindowWords {
    from: String,
    to: String,
}

#[derive(Serialize)]
struct ContactedWords {
    when: String,
    by: String,
}

fn rows(rows: &[ClientRow], zone: Zone) -> Vec<RowView<'_>> {
    rows.iter().map(|r| row_view(r, zone)).collect()
}

fn row_view(row: &ClientRow, zone: Zone) -> RowView<'_> {
    let words = |d: NaiveDate| human_date(d, row.today);
    RowView {
        window: row.next_session_window.map(|w| WindowWords {
            from: words(w.from),
            to: words(w.to),
        }),
        invited_on: row
            .invitation_issued_at
            .map(|at| words(at.and_utc().with_timezone(&zone.tz()).date_naive())),
        reminder_on: row.last_reminder.as_ref().map(|r| words(r.local_date)),
        contacted: row.last_contact.as_ref().map(|c| ContactedWords {
            when: short_time(c.at, zone),
            by: c.by.clone(),
        }),
        accepted: row.invitation == InvitationStatus::Accepted,
        invitation_words: match row.invitation {
            InvitationStatus::Pending => "the email is queued",
            InvitationStatus::Sent => "the email went out",
            InvitationStatus::Failed => "the email failed",
            InvitationStatus::Accepted => "accepted",
        },
        reminder_words: row.last_reminder.as_ref().map(|r| match r.status {
            DeliveryStatus::Retry => "being retried",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Dead => "failed; no more tries",
            DeliveryStatus::Expired => "not sent before the day ended",
            _ => "",
        }),
        row,
    }
}

#[derive(Debug, Deserialize)]
pub struct RowForm {
    #[serde(default)]
    group: String,
    #[serde(default)]
    date: String,
}

/// The group the form came from, if it is one of ours (anything else: none).
fn group_of(form: &RowForm) -> String {
    GROUPS
        .iter()
        .find(|g| **g == form.group)
        .map(|g| g.to_string())
        .unwrap_or_default()
}

fn done(code: &str, client_id: &str, group: &str) -> HttpResponse {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    url.append_pair("done", code)
        .append_pair("client", client_id);
    let anchor = if group.is_empty() { "notice" } else { group };
    see_other(&format!("/console?{}#{anchor}", url.finish()))
}

/// The outcome of a row's action: back to Today with a confirmation, or Today again
/// with the refusal next to the row. A client not of this clinic is a 404 page.
async fn answer(
    state: &AppState,
    session: &ConsoleSession,
    outcome: Result<(), Error>,
    refused: RowError,
    code: &str,
) -> Result<HttpResponse, PageError> {
    match outcome {
        Ok(()) => Ok(done(code, &refused.client_id, &refused.group)),
        Err(Error::Invalid { message, .. } | Error::Conflict(message) | Error::Gone(message)) => {
            let error = RowError { message, ..refused };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            page(state, session, status, None, Some(error)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /console/today/{id}/book: records the client's next session on `date`.
#[post("/today/{id}/book")]
pub async fn book(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
    form: web::Form<RowForm>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    let outcome = match form.date.trim() {
        "" => Err(Error::invalid(
            "date",
            "Choose the date of the next session first.",
        )),
        typed => match validate::date("date", typed) {
            Ok(date) => {
                let input = NewSessionInput {
                    date,
                    number: None,
                    is_final: None,
                    notes: None,
                };
                sessions::add(&state.services, &session.clinic, client_id.clone(), input)
                    .await
                    .map(|_| ())
                    .map_err(on_the_date)
            }
            Err(e) => Err(e),
        },
    };
    let refused = RowError {
        group: group_of(&form),
        client_id,
        action: "book".into(),
        date: form.date.clone(),
        ..Default::default()
    };
    answer(&state, &session, outcome, refused, "booked").await
}

/// POST /console/today/{id}/invitation: a new invitation link; the old one stops
/// working.
#[post("/today/{id}/invitation")]
pub async fn resend_invitation(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
    form: web::Form<RowForm>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    let outcome = invitations::resend(&state.services, &session.clinic, client_id.clone())
        .await
        .map(|_| ());
    let refused = RowError {
        group: group_of(&form),
        client_id,
        action: "invitation".into(),
        ..Default::default()
    };
    answer(&state, &session, outcome, refused, "invitation_sent").await
}

/// POST /console/today/{id}/contacted: records that the signed-in staff member
/// contacted the client now.
#[post("/today/{id}/contacted")]
pub async fn mark_contacted(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
    form: web::Form<RowForm>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    let outcome = notes::mark_contacted(&state.services, &session.clinic, client_id.clone())
        .await
        .map(|_| ());
    let refused = RowError {
        group: group_of(&form),
        client_id,
        action: "contacted".into(),
        ..Default::default()
    };
    answer(&state, &session, outcome, refused, "contacted").await
}
