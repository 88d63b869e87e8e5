//! The clinic's clients at a glance, for the console: the clients list (search,
//! filters, pages of 50) and "Today at the clinic". Which clients a filter or a Today
//! group holds is read from each client's stored standing (renewed from the domain
//! timeline, see `jobs::standing`), one page in SQL; each row's stage, day and
//! next-session window on the page come from the same domain timeline as the API's
//! day views. A page costs the same whatever the size of the clinic.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;

use super::{ClientBundle, ClinicRef, Error, Services};
use crate::db::bundle::clinic_protocol;
use crate::db::clients::{self, Client};
use crate::db::deliveries::Delivery;
use crate::db::roster::{self, Criteria, Slice};
use crate::db::{notes, DbConnection};
use crate::domain::ids::Stage;
use crate::domain::standing::Booking;
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

    fn slice(self) -> Slice {
        match self {
            Filter::All => Slice::All,
            Filter::Invited => Slice::Invited,
            Filter::InvitationFailed => Slice::InvitationFailed,
            Filter::InSeries => Slice::InSeries,
            Filter::Healing => Slice::Healing,
            Filter::Healed => Slice::Healed,
            Filter::RemindersFailing => Slice::RemindersFailing,
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
        DeliveryStatus::FAILING.contains(&self.status)
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
}

/// The rows of `clients` (one page of one clinic), with their day as of `now`: four
/// statements (their sessions, the clinic's protocol, their last reminders, and with
/// `contacts` their last contacts), whatever the size of the page or the clinic.
pub fn rows(
    conn: &mut DbConnection,
    clinic_id: &str,
    clients: Vec<Client>,
    now: DateTime<Utc>,
    invitation_valid_days: u32,
    contacts: bool,
) -> Result<Vec<ClientRow>, Error> {
    let ids: Vec<&str> = clients.iter().map(|c| c.id.as_str()).collect();
    let mut sessions = clients::sessions_of_many(conn, &ids)?;
    let last = roster::last_reminders(conn, &ids, now.naive_utc())?;
    let mut contacted: HashMap<String, LastContact> = if contacts {
        notes::last_contacts(conn, &ids)?
            .into_iter()
            .map(|n| {
                let contact = LastContact {
                    at: n.created_at.and_utc(),
                    by: n.author_name,
                };
                (n.client_id, contact)
            })
            .collect()
    } else {
        HashMap::new()
    };
    let protocol = clinic_protocol(conn, clinic_id)?;
    let mut last_by_client: HashMap<&str, Vec<&Delivery>> = HashMap::new();
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
                sessions: sessions.remove(&client.id).unwrap_or_default(),
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
                last_contact: contacted.remove(&client.id),
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

/// Filters, pages and Today's groups count no further than this many clients (and
/// say "more"), so a count costs what a page does, however large the clinic.
pub const COUNT_CAP: usize = 1000;

/// A number of clients: exactly `n`, or more than `n` when `more`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Count {
    pub n: usize,
    pub more: bool,
}

impl Count {
    /// Counted up to `cap + 1`, so that more than `cap` shows.
    fn read(conn: &mut DbConnection, criteria: &Criteria<'_>, cap: usize) -> Result<Count, Error> {
        let counted = roster::count_up_to(conn, criteria, cap as i64 + 1)?;
        Ok(Count {
            n: counted.min(cap),
            more: counted > cap,
        })
    }
}

/// One page of the list, and how many there are.
#[derive(Debug, Serialize)]
pub struct ListPage {
    pub rows: Vec<ClientRow>,
    /// 1-based; at most `pages`.
    pub page: u32,
    /// The pages known: the last page, unless `matching.more`.
    pub pages: u32,
    /// Clients matching the search and filter, counted to `COUNT_CAP` past this page.
    pub matching: Count,
    /// Clients of the clinic matching the search, before the filter (per filter).
    pub counts: Vec<(Filter, Count)>,
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
    s.db(move |conn| {
        let criteria = |filter: Filter| Criteria {
            clinic_id: &clinic_id,
            search: search.as_deref(),
            slice: filter.slice(),
            now: now.naive_utc(),
        };
        let counts = Filter::ALL
            .iter()
            .map(|f| Ok((*f, Count::read(conn, &criteria(*f), COUNT_CAP)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let asked = (query.page as usize - 1) * PAGE_SIZE;
        let matching = Count::read(conn, &criteria(query.filter), asked + COUNT_CAP)?;
        let pages = (matching.n.div_ceil(PAGE_SIZE) + usize::from(matching.more)).max(1) as u32;
        let page = query.page.min(pages);
        let offset = (i64::from(page) - 1) * PAGE_SIZE as i64;
        let found = roster::page(conn, &criteria(query.filter), offset, PAGE_SIZE as i64)?;
        let rows = rows(conn, &clinic_id, found, now, valid_days, false)?;
        Ok(ListPage {
            rows,
            page,
            pages,
            matching,
            counts,
        })
    })
    .await
}

/// Rows in each group of Today; the group says how many more there are.
pub const TODAY_GROUP_SIZE: usize = 50;

/// "Today at the clinic": what needs someone's attention this week. Each group holds
/// its first `TODAY_GROUP_SIZE` clients by name.
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
    /// How many clients each group has in all (to `COUNT_CAP`).
    pub totals: TodayTotals,
    pub has_clients: bool,
}

#[derive(Debug, Serialize)]
pub struct TodayTotals {
    pub windows_open: Count,
    pub overdue: Count,
    pub reminders_failing: Count,
    pub invitations_waiting: Count,
}

pub async fn today(s: &Services, clinic: &ClinicRef) -> Result<TodayAtClinic, Error> {
    let (clinic_id, now) = (clinic.id.clone(), s.now());
    let valid_days = s.settings.invitations.valid_days;
    // Issued at or before the nudge instant: expires at or before it plus its lifetime.
    let nudge_before = now - Duration::days(INVITATION_NUDGE_DAYS);
    let expires_by = (nudge_before + Duration::days(i64::from(valid_days))).naive_utc();
    s.db(move |conn| {
        let mut group = |slice: Slice| -> Result<(Vec<ClientRow>, Count), Error> {
            let criteria = Criteria {
                clinic_id: &clinic_id,
                search: None,
                slice,
                now: now.naive_utc(),
            };
            let found = roster::page(conn, &criteria, 0, TODAY_GROUP_SIZE as i64)?;
            let total = if found.len() < TODAY_GROUP_SIZE {
                Count {
                    n: found.len(),
                    more: false,
                }
            } else {
                Count::read(conn, &criteria, COUNT_CAP)?
            };
            Ok((rows(conn, &clinic_id, found, now, valid_days, true)?, total))
        };
        let (windows_open, windows_total) = group(Slice::Booking(Booking::Soon))?;
        let (overdue, overdue_total) = group(Slice::Booking(Booking::Overdue))?;
        let (reminders_failing, failing_total) = group(Slice::RemindersFailing)?;
        let (invitations_waiting, waiting_total) = group(Slice::InvitationExpiresBy(expires_by))?;
        Ok(TodayAtClinic {
            windows_open,
            overdue,
            reminders_failing,
            invitations_waiting,
            totals: TodayTotals {
                windows_open: windows_total,
                overdue: overdue_total,
                reminders_failing: failing_total,
                invitations_waiting: waiting_total,
            },
            has_clients: roster::has_clients(conn, &clinic_id)?,
        })
    })
    .await
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
