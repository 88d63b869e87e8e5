//! The clinic's clients at a glance, for the console: the clients list (search,
//! filters, pages of 50) and "Today at the clinic". Each client's stage, day and
//! next-session window come from the same domain timeline as the API's day views;
//! the rows are read in four statements for the whole clinic (clients, sessions, the
//! clinic's protocol, the last reminders), whatever the number of clients; Today adds
//! a fifth, each client's last contact.

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;

use super::{ClientBundle, ClinicRef, Error, Services};
use crate::db::bundle::clinic_protocol;
use crate::db::clients::{Client, SessionRow};
use crate::db::deliveries::Delivery;
use crate::db::{notes, roster, DbConnection};
use crate::domain::ids::Stage;
use crate::domain::timeline::SessionWindow;
use crate::domain::{DeliveryStatus, InvitationStatus};

/// Rows on one page of the clients list.
pub const PAGE_SIZE: usize = 50;

/// An invitation still not accepted this many days after it went out is worth a nudge.
pub const INVITATION_NUDGE_DAYS: i64 = 3;

/// Longest search text: a name or an email address, not an essay.
const MAX_SEARCH_CHARS: usize = 200;

/// Which clients the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Filter {
    #[default]
    All,
    /// Invited and not accepted yet (the email is queued, retried or sent).
    Invited,
    InvitationFailed,
    /// Between sessions: the current session is not the final one.
    InSeries,
    /// After the final session, before the healed stage.
    Healing,
    Healed,
    /// The last reminder failed, is being retried or expired unsent.
    RemindersFailing,
}

impl Filter {
    pub const ALL: [Filter; 7] = [
        Filter::All,
        Filter::Invited,
        Filter::InvitationFailed,
        Filter::InSeries,
        Filter::Healing,
        Filter::Healed,
        Filter::RemindersFailing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::Invited => "invited",
            Filter::InvitationFailed => "invitation_failed",
            Filter::InSeries => "in_series",
            Filter::Healing => "healing",
            Filter::Healed => "healed",
            Filter::RemindersFailing => "reminders_failing",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Filter::All => "All clients",
            Filter::Invited => "Invited",
            Filter::InvitationFailed => "Invitation failed",
            Filter::InSeries => "In a session series",
            Filter::Healing => "Healing",
            Filter::Healed => "Healed",
            Filter::RemindersFailing => "Reminders failing",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Filter, Error> {
        Filter::ALL
            .into_iter()
            .find(|f| f.as_str() == value)
            .ok_or_else(|| {
                let known: Vec<&str> = Filter::ALL.iter().map(|f| f.as_str()).collect();
                Error::invalid(field, format!("must be one of {}", known.join(", ")))
            })
    }

    fn admits(self, row: &ClientRow) -> bool {
        match self {
            Filter::All => true,
            Filter::Invited => matches!(
                row.invitation,
                InvitationStatus::Pending | InvitationStatus::Sent
            ),
            Filter::InvitationFailed => row.invitation == InvitationStatus::Failed,
            Filter::InSeries => row.session_number.is_some() && !row.is_final_session,
            Filter::Healing => row.is_final_session && row.stage != Stage::Healed,
            Filter::Healed => row.stage == Stage::Healed,
            Filter::RemindersFailing => row.reminders_failing(),
        }
    }
}

/// How the client's last reminder went.
#[derive(Debug, Clone, Serialize)]
pub struct LastReminder {
    /// The worst outcome among its channels and devices.
    pub status: DeliveryStatus,
    pub local_date: NaiveDate,
    pub kind: String,
    pub error: Option<String>,
}

impl LastReminder {
    /// Failing: it did not reach the client and will not on its own (failed, dead,
    /// expired unsent), or it is being retried after an error.
    pub fn failing(&self) -> bool {
        matches!(
            self.status,
            DeliveryStatus::Failed
                | DeliveryStatus::Dead
                | DeliveryStatus::Expired
                | DeliveryStatus::Retry
        )
    }

    /// The rows of one send (a push per device and the email), summed up by the one
    /// that went worst.
    fn of(rows: &[&Delivery]) -> Option<LastReminder> {
        let worst = rows.iter().max_by_key(|d| severity(d.status))?;
        Some(LastReminder {
            status: worst.status,
            local_date: worst.local_date,
            kind: worst.kind.to_string(),
            error: worst.last_error.clone(),
        })
    }
}

fn severity(status: DeliveryStatus) -> u8 {
    match status {
        DeliveryStatus::Sent => 0,
        DeliveryStatus::Cancelled => 1,
        DeliveryStatus::Pending | DeliveryStatus::Sending => 2,
        DeliveryStatus::Retry => 3,
        DeliveryStatus::Expired => 4,
        DeliveryStatus::Failed => 5,
        DeliveryStatus::Dead => 6,
    }
}

/// The latest time someone at the clinic marked the client contacted.
#[derive(Debug, Clone, Serialize)]
pub struct LastContact {
    pub at: DateTime<Utc>,
    /// Who, named as they were then.
    pub by: String,
}

/// One client as the list and "Today" show them.
#[derive(Debug, Clone, Serialize)]
pub struct ClientRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub timezone: String,
    /// The client's local date now.
    pub today: NaiveDate,
    pub stage: Stage,
    pub stage_title: String,
    /// Day of the current session (0 on the session date).
    pub day: Option<i64>,
    pub session_number: Option<u32>,
    pub total_sessions: u32,
    pub is_final_session: bool,
    pub sessions_recorded: usize,
    /// Only while the current session is not the final one.
    pub next_session_window: Option<SessionWindow>,
    pub next_session_on: Option<NaiveDate>,
    pub days_until_first_session: Option<i64>,
    pub invitation: InvitationStatus,
    pub invitation_error: Option<String>,
    /// When the current invitation went out (its expiry less its lifetime).
    pub invitation_issued_at: Option<NaiveDateTime>,
    pub last_reminder: Option<LastReminder>,
    /// Read for Today only (None in the list).
    pub last_contact: Option<LastContact>,
}

impl ClientRow {
    pub fn reminders_failing(&self) -> bool {
        self.last_reminder
            .as_ref()
            .is_some_and(LastReminder::failing)
    }

    /// The next session should be booked and is not: the window is open or over.
    fn window_needs_booking(&self) -> Option<SessionWindow> {
        self.next_session_window
            .filter(|_| self.next_session_on.is_none())
    }
}

/// Every client of the clinic matching `search`, by name, with their day as of `now`:
/// four statements, whatever the number of clients.
pub fn rows(
    conn: &mut DbConnection,
    clinic_id: &str,
    search: Option<&str>,
    now: DateTime<Utc>,
    invitation_valid_days: u32,
) -> Result<Vec<ClientRow>, Error> {
    let clients = roster::clients_of(conn, clinic_id, search)?;
    let sessions = roster::sessions_of_clinic(conn, clinic_id)?;
    let protocol = clinic_protocol(conn, clinic_id)?;
    let last = roster::last_reminders(conn, clinic_id, now.naive_utc())?;
    let mut sessions_by_client: std::collections::HashMap<String, Vec<SessionRow>> =
        std::collections::HashMap::new();
    for session in sessions {
        sessions_by_client
            .entry(session.client_id.clone())
            .or_default()
            .push(session);
    }
    let mut last_by_client: std::collections::HashMap<&str, Vec<&Delivery>> =
        std::collections::HashMap::new();
    for row in &last {
        last_by_client.entry(&row.client_id).or_default().push(row);
    }
    let lifetime = Duration::days(i64::from(invitation_valid_days));
    clients
        .into_iter()
        .map(|client: Client| {
            let last_reminder = last_by_client
                .get(client.id.as_str())
                .and_then(|rows| LastReminder::of(rows));
            let bundle = ClientBundle {
                sessions: sessions_by_client.remove(&client.id).unwrap_or_default(),
                protocol: protocol.clone(),
                client,
            };
            let today = bundle.today(now);
            let view = bundle.day(today)?;
            let client = bundle.client;
            Ok(ClientRow {
                today,
                stage: view.stage,
                stage_title: view.stage_title,
                day: view.day,
                session_number: view.session_number,
                total_sessions: view.total_sessions,
                is_final_session: view.is_final_session,
                sessions_recorded: bundle.sessions.len(),
                next_session_window: view.next_session_window,
                next_session_on: view.next_session_on,
                days_until_first_session: view.days_until_first_session,
                invitation: client.invitation_status,
                invitation_error: client.invitation_error,
                invitation_issued_at: client.invitation_expires_at.map(|at| at - lifetime),
                last_reminder,
                last_contact: None,
                timezone: client.timezone.name().to_string(),
                id: client.id,
                name: client.name,
                email: client.email,
            })
        })
        .collect()
}

/// What the list asks for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub search: Option<String>,
    pub filter: Filter,
    /// 1-based.
    pub page: u32,
}

/// One page of the list, and how many there are.
#[derive(Debug, Serialize)]
pub struct ListPage {
    pub rows: Vec<ClientRow>,
    /// 1-based; at most `pages`.
    pub page: u32,
    pub pages: u32,
    /// Clients matching the search and filter.
    pub matching: usize,
    /// Clients of the clinic matching the search, before the filter (per filter).
    pub counts: Vec<(Filter, usize)>,
}

pub async fn list(s: &Services, clinic: &ClinicRef, query: ListQuery) -> Result<ListPage, Error> {
    let search = query
        .search
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty());
    if search
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS)
    {
        return Err(Error::invalid(
            "q",
            format!("a search has at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    if query.page == 0 {
        return Err(Error::invalid("page", "pages count from 1"));
    }
    let (clinic_id, now) = (clinic.id.clone(), s.now());
    let valid_days = s.settings.invitations.valid_days;
    let all = s
        .db(move |conn| rows(conn, &clinic_id, search.as_deref(), now, valid_days))
        .await?;
    let counts = Filter::ALL
        .iter()
        .map(|f| (*f, all.iter().filter(|r| f.admits(r)).count()))
        .collect();
    let matching: Vec<ClientRow> = all.into_iter().filter(|r| query.filter.admits(r)).collect();
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1) as u32;
    let page = query.page.min(pages);
    let rows = matching
        .iter()
        .skip((page as usize - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .cloned()
        .collect();
    Ok(ListPage {
        rows,
        page,
        pages,
        matching: matching.len(),
        counts,
    })
}

/// "Today at the clinic": what needs someone's attention this week.
#[derive(Debug, Serialize)]
pub struct TodayAtClinic {
    /// The next-session window is open, or opens this week (within 6 days), and no
    /// session is booked.
    pub windows_open: Vec<ClientRow>,
    /// The window has closed with no session booked.
    pub overdue: Vec<ClientRow>,
    pub reminders_failing: Vec<ClientRow>,
    /// Not accepted `INVITATION_NUDGE_DAYS` or more after it went out (failed ones too).
    pub invitations_waiting: Vec<ClientRow>,
    pub clients: usize,
}

pub async fn today(s: &Services, clinic: &ClinicRef) -> Result<TodayAtClinic, Error> {
    let (clinic_id, now) = (clinic.id.clone(), s.now());
    let valid_days = s.settings.invitations.valid_days;
    let all = s
        .db(move |conn| {
            let mut all = rows(conn, &clinic_id, None, now, valid_days)?;
            let mut contacts: std::collections::HashMap<String, LastContact> =
                notes::last_contacts(conn, &clinic_id)?
                    .into_iter()
                    .map(|n| {
                        let contact = LastContact {
                            at: n.created_at.and_utc(),
                            by: n.author_name,
                        };
                        (n.client_id, contact)
                    })
                    .collect();
            for row in &mut all {
                row.last_contact = contacts.remove(&row.id);
            }
            Ok(all)
        })
        .await?;
    let nudge_before = (now - Duration::days(INVITATION_NUDGE_DAYS)).naive_utc();
    let open_this_week = |row: &ClientRow, w: SessionWindow| w.from <= row.today + Days::new(6);
    let pick = |keep: &dyn Fn(&ClientRow) -> bool| -> Vec<ClientRow> {
        all.iter().filter(|r| keep(r)).cloned().collect()
    };
    Ok(TodayAtClinic {
        windows_open: pick(&|r| {
            r.window_needs_booking()
                .is_some_and(|w| !w.overdue && open_this_week(r, w))
        }),
        overdue: pick(&|r| r.window_needs_booking().is_some_and(|w| w.overdue)),
        reminders_failing: pick(&|r| r.reminders_failing()),
        invitations_waiting: pick(&|r| {
            r.invitation != InvitationStatus::Accepted
                && r.invitation_issued_at.is_some_and(|at| at <= nudge_before)
        }),
        clients: all.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_their_ids() {
        for f in Filter::ALL {
            assert_eq!(Filter::parse("filter", f.as_str()).unwrap(), f);
        }
        assert!(Filter::parse("filter", "nope").is_err());
    }
}
