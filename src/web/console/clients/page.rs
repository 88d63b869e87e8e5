//! A client's page: today, the timeline, sessions, reminders (100 to a page, newest
//! first, with Older/Newer links over the history service's cursors), notes, the
//! invitation and email, and erasure. Dates are in words ("Mon 14 Mar"), instants in
//! the clinic's zone.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::super::{render_status, ConsoleSession, FormErrors};
use super::notice;
use crate::domain::timeline::DayView;
use crate::domain::Zone;
use crate::http::AppState;
use crate::service::notes::NoteKind;
use crate::service::{clients, clinics, days, history, notes, ClientRecord, Error};
use crate::web::pages::{PageError, View};
use crate::web::timeline;

/// Reminders on one page of the client's page.
pub const HISTORY_ROWS: u32 = 100;

/// Newer pages a link remembers (each is one cursor in the URL).
const MAX_TRAIL: usize = 50;

/// An instant as staff read it in a list: in the clinic's zone, "Mon 14 Mar, 09:30".
pub fn short_time(at: DateTime<Utc>, zone: Zone) -> String {
    at.with_timezone(&zone.tz())
        .format("%a %-d %b, %H:%M")
        .to_string()
}

/// A date in words, "Mon 14 Mar", with the year when it is not `today`'s.
pub fn human_date(date: NaiveDate, today: NaiveDate) -> String {
    if date.year() == today.year() {
        date.format("%a %-d %b").to_string()
    } else {
        date.format("%a %-d %b %Y").to_string()
    }
}

/// A session as the client's page shows it.
#[derive(Serialize)]
struct SessionView {
    id: String,
    date: NaiveDate,
    notes: Option<String>,
    marked_final: bool,
    /// Final in the plan: marked, or the last once the planned count is reached.
    is_final: bool,
}

/// The client's page: the client, today, the timeline, sessions, a page of reminders,
/// notes, and whichever form came back refused.
#[derive(Serialize)]
struct ShowView<'a> {
    client: ClientView<'a>,
    today: &'a DayView,
    today_words: String,
    next_session_on: Option<String>,
    window: Option<WindowWords>,
    healing_complete_on: Option<String>,
    timeline: Span,
    timeline_svg: String,
    sessions: Vec<SessionView>,
    deliveries: Vec<DeliveryRow<'a>>,
    /// What the reminders section says when it has no row.
    no_reminders: String,
    older_href: Option<String>,
    newer_href: Option<String>,
    paging_note: Option<&'static str>,
    notes: Vec<NoteRow<'a>>,
    note_value: String,
    /// Which form came back refused ("" for none).
    form: String,
    errors: FormErrors,
    add: AddForm,
    email_value: String,
    notice: Option<&'static str>,
}

impl View for ShowView<'_> {
    const TEMPLATE: &'static str = "console/clients/show.html.j2";
}

#[derive(Serialize)]
struct ClientView<'a> {
    id: &'a str,
    name: &'a str,
    email: &'a str,
    timezone: &'a str,
    invitation_status: &'static str,
    invitation_error: Option<&'a str>,
}

#[derive(Serialize)]
struct WindowWords {
    from: String,
    to: String,
    overdue: bool,
}

/// First and last date, in words.
#[derive(Serialize)]
struct Span {
    from: String,
    to: String,
}

/// A reminder as the client's page lists it.
#[derive(Serialize)]
struct DeliveryRow<'a> {
    local_date: String,
    title: &'a str,
    channel: &'static str,
    status: &'static str,
    attempts: i32,
    sent_at: Option<String>,
    last_error: Option<&'a str>,
}

#[derive(Serialize)]
struct NoteRow<'a> {
    id: &'a str,
    /// A "contacted" record rather than a note.
    contacted: bool,
    body: &'a str,
    author: &'a str,
    when: String,
    /// RFC 3339, for `<time datetime>`.
    at: String,
}

#[derive(Serialize, Default)]
pub(super) struct AddForm {
    pub date: String,
    pub notes: String,
    pub marked_final: bool,
}

/// Which form on the client's page came back with errors, and what was typed in it.
#[derive(Default)]
pub(super) struct Returned {
    pub form: String,
    pub errors: FormErrors,
    pub add: AddForm,
    pub email: Option<String>,
    pub note: String,
}

/// Which page of reminders: the newest (no cursor), or the one after `cursor`, with
/// the cursors of the newer pages that led there (for the Newer link).
#[derive(Debug, Default)]
pub(super) struct Paging {
    cursor: Option<String>,
    trail: Vec<String>,
}

impl Paging {
    fn of(query: &PageQuery) -> Paging {
        let cursor = query.older.clone().filter(|c| !c.is_empty());
        let trail = query
            .trail
            .as_deref()
            .unwrap_or("")
            .split('.')
            .filter(|c| !c.is_empty())
            .take(MAX_TRAIL)
            .map(str::to_string)
            .collect();
        Paging { cursor, trail }
    }

    /// The link to the page after this one, which ends at `next`.
    fn older_href(&self, client_id: &str, next: &str) -> String {
        let mut trail = self.trail.clone();
        if let Some(cursor) = &self.cursor {
            trail.push(cursor.clone());
        }
        let skip = trail.len().saturating_sub(MAX_TRAIL);
        href(client_id, Some(next), &trail[skip..])
    }

    /// The link to the page before this one; None on the newest.
    fn newer_href(&self, client_id: &str) -> Option<String> {
        self.cursor.as_ref()?;
        let (last, rest) = match self.trail.split_last() {
            Some((last, rest)) => (Some(last.as_str()), rest),
            None => (None, &[][..]),
        };
        Some(href(client_id, last, rest))
    }
}

fn href(client_id: &str, cursor: Option<&str>, trail: &[String]) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    if let Some(cursor) = cursor {
        url.append_pair("older", cursor);
    }
    if !trail.is_empty() {
        url.append_pair("trail", &trail.join("."));
    }
    let query = url.finish();
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("/console/clients/{client_id}{query}#deliveries-title")
}

/// What the reminders section says when it has no row to show, true on every day:
/// before the first session day, on it, and after it.
fn no_reminders_text(bundle: &ClientRecord, today: NaiveDate) -> String {
    let Some(first) = bundle.sessions.first().map(|s| s.date) else {
        return "No reminder yet: they start on the client's first session day, once a \
                session is recorded."
            .to_string();
    };
    let time = bundle.client.reminder_time.to_string();
    let day = human_date(first, today);
    if first > today {
        format!("No reminder yet. The first goes out on {day}, the client's first session day, at {time}.")
    } else if first == today {
        format!(
            "No reminder yet. Today is the client's first session day: today's reminder goes \
             out at {time} (the client's time), or at the reminder engine's next run if that \
             time has passed."
        )
    } else {
        format!(
            "No reminder to show. The first session day, {day}, has passed; a reminder is \
             never sent for a day gone by, so the next one goes out at {time} (the client's \
             time) on the next day with aftercare to remind of."
        )
    }
}

pub(super) async fn client_page(
    state: &AppState,
    session: &ConsoleSession,
    client_id: String,
    status: StatusCode,
    returned: Option<Returned>,
    done: Option<&str>,
    paging: &Paging,
) -> Result<HttpResponse, PageError> {
    let s = &state.services;
    let bundle = clients::get(s, &session.clinic, client_id.clone()).await?;
    let zone = clinics::settings(s, &session.clinic).await?.timezone;
    let (deliveries, mut paging_error) = match reminders(state, session, &client_id, paging).await {
        Ok(page) => (page, None),
        Err(Error::Invalid { .. }) => {
            let newest = reminders(state, session, &client_id, &Paging::default()).await?;
            let why = "That page of reminders is not there any more; here are the newest.";
            (newest, Some(why))
        }
        Err(e) => return Err(e.into()),
    };
    let paging = if paging_error.is_some() {
        &Paging::default()
    } else {
        paging
    };
    let notes = notes::of_client(s, &session.clinic, client_id.clone()).await?;
    let now = s.now();
    let today = bundle.today(now);
    let day = bundle.day(today)?;
    let timeline = days::timeline_of(&bundle, None, None, now)?;
    let svg = timeline::svg(&timeline.days, Some(today), &bundle.client.locale, "client");
    let sessions = session_views(&bundle)?;
    let client = &bundle.client;
    let returned = returned.unwrap_or_default();
    let words = |d: NaiveDate| human_date(d, today);
    let older_href = deliveries
        .next_cursor
        .as_deref()
        .map(|next| paging.older_href(&client_id, next));
    let newer_href = paging.newer_href(&client_id);
    if deliveries.items.is_empty() && paging.cursor.is_some() {
        paging_error.get_or_insert("No older reminders.");
    }
    let view = ShowView {
        client: ClientView {
            id: &client.id,
            name: &client.name,
            email: &client.email,
            timezone: client.timezone.name(),
            invitation_status: client.invitation_status.as_str(),
            invitation_error: client.invitation_error.as_deref(),
        },
        today_words: words(today),
        next_session_on: day.next_session_on.map(words),
        window: day.next_session_window.map(|w| WindowWords {
            from: words(w.from),
            to: words(w.to),
            overdue: w.overdue,
        }),
        healing_complete_on: day.healing_complete_on.map(words),
        today: &day,
        timeline: Span {
            from: words(timeline.from),
            to: words(timeline.to),
        },
        timeline_svg: svg,
        sessions,
        deliveries: deliveries
            .items
            .iter()
            .map(|d| DeliveryRow {
                local_date: words(d.local_date),
                title: &d.title,
                channel: d.channel.as_str(),
                status: d.status.as_str(),
                attempts: d.attempts,
                sent_at: d.sent_at.map(|t| short_time(t, zone)),
                last_error: d.last_error.as_deref(),
            })
            .collect(),
        no_reminders: no_reminders_text(&bundle, today),
        older_href,
        newer_href,
        paging_note: paging_error,
        notes: notes
            .iter()
            .map(|n| NoteRow {
                id: &n.id,
                contacted: n.kind == NoteKind::Contacted,
                body: &n.body,
                author: &n.author,
                when: short_time(n.at, zone),
                at: n.at.to_rfc3339(),
            })
            .collect(),
        note_value: returned.note,
        form: returned.form,
        errors: returned.errors,
        add: returned.add,
        email_value: returned.email.unwrap_or_else(|| client.email.clone()),
        notice: notice(done),
    };
    Ok(render_status(status, &view, session))
}

async fn reminders(
    state: &AppState,
    session: &ConsoleSession,
    client_id: &str,
    paging: &Paging,
) -> Result<history::HistoryPage, Error> {
    let whose = history::Whose::OfClinic(session.clinic.clone(), client_id.to_string());
    let query = history::HistoryQuery {
        limit: Some(HISTORY_ROWS),
        cursor: paging.cursor.clone(),
        ..Default::default()
    };
    history::page(&state.services, whose, query).await
}

fn session_views(bundle: &ClientRecord) -> Result<Vec<SessionView>, Error> {
    let final_id = bundle.plan()?.final_session().map(|f| f.date);
    Ok(bundle
        .sessions
        .iter()
        .map(|s| SessionView {
            id: s.id.clone(),
            date: s.date,
            notes: s.notes.clone(),
            marked_final: s.marked_final,
            is_final: final_id == Some(s.date),
        })
        .collect())
}

/// The client page's query: a notice code, and which page of reminders.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    done: Option<String>,
    older: Option<String>,
    trail: Option<String>,
}

/// GET /console/clients/{id}: the client's page. Another clinic's client is a 404.
#[get("/clients/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let paging = Paging::of(&query);
    client_page(
        &state,
        &session,
        path.into_inner(),
        StatusCode::OK,
        None,
        query.done.as_deref(),
        &paging,
    )
    .await
}

/// A form of the client's page refused: the page again (422), with `returned`.
pub(super) async fn refused(
    state: &AppState,
    session: &ConsoleSession,
    client_id: String,
    returned: Returned,
) -> Result<HttpResponse, PageError> {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let paging = Paging::default();
    client_page(
        state,
        session,
        client_id,
        status,
        Some(returned),
        None,
        &paging,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_links_walk_older_and_back_newer() {
        let newest = Paging::default();
        assert_eq!(newest.newer_href("c1"), None);
        let older = newest.older_href("c1", "A");
        assert_eq!(older, "/console/clients/c1?older=A#deliveries-title");
        let second = Paging {
            cursor: Some("A".into()),
            trail: vec![],
        };
        assert_eq!(
            second.older_href("c1", "B"),
            "/console/clients/c1?older=B&trail=A#deliveries-title"
        );
        assert_eq!(
            second.newer_href("c1").unwrap(),
            "/console/clients/c1#deliveries-title"
        );
        let third = Paging {
            cursor: Some("B".into()),
            trail: vec!["A".into()],
        };
        assert_eq!(
            third.newer_href("c1").unwrap(),
            "/console/clients/c1?older=A#deliveries-title"
        );
    }

    #[test]
    fn dates_are_in_words() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 3, 14).unwrap();
        assert_eq!(human_date(date, today), "Sat 14 Mar");
        let next_year = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        assert_eq!(human_date(next_year, today), "Mon 4 Jan 2027");
    }
}
