//! What the faces see of a client: the profile and the sessions, without the row's
//! internals (the invitation's and the access token's ids and hashes, the planner's
//! bookkeeping), and the client's days. The services work on [`ClientBundle`]s and
//! hand out a [`ClientRecord`], so a page or an answer cannot show what it never gets.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::{ClientBundle, Error};
use crate::domain::reminders::Preferences;
use crate::domain::timeline::{DayView, Plan};
use crate::domain::{InvitationStatus, ReminderTime, Zone};

/// A client as the faces show them, with their sessions in date order.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub client: ClientInfo,
    pub sessions: Vec<SessionInfo>,
    /// The days are computed from the bundle, the one place that knows how.
    bundle: ClientBundle,
}

/// The client's profile and invitation state.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub id: String,
    pub email: String,
    pub name: String,
    pub timezone: Zone,
    pub locale: String,
    pub planned_sessions: i32,
    pub reminder_time: ReminderTime,
    pub invitation_status: InvitationStatus,
    pub invitation_error: Option<String>,
    pub invitation_expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A treatment session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: String,
    pub date: NaiveDate,
    pub marked_final: bool,
    pub notes: Option<String>,
}

impl From<ClientBundle> for ClientRecord {
    fn from(bundle: ClientBundle) -> Self {
        let c = &bundle.client;
        let client = ClientInfo {
            id: c.id.clone(),
            email: c.email.clone(),
            name: c.name.clone(),
            timezone: c.timezone,
            locale: c.locale.clone(),
            planned_sessions: c.planned_sessions,
            reminder_time: c.reminder_time,
            invitation_status: c.invitation_status,
            invitation_error: c.invitation_error.clone(),
            invitation_expires_at: c.invitation_expires_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        };
        let sessions = bundle
            .sessions
            .iter()
            .map(|s| SessionInfo {
                id: s.id.clone(),
                date: s.date,
                marked_final: s.marked_final,
                notes: s.notes.clone(),
            })
            .collect();
        ClientRecord {
            client,
            sessions,
            bundle,
        }
    }
}

impl ClientRecord {
    /// The client's plan: their sessions and which is final.
    pub fn plan(&self) -> Result<Plan, Error> {
        Ok(self.bundle.plan()?)
    }

    pub fn preferences(&self) -> Preferences {
        self.bundle.preferences()
    }

    /// The client's local date at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.bundle.today(now)
    }

    /// What the client sees on `date`.
    pub fn day(&self, date: NaiveDate) -> Result<DayView, Error> {
        Ok(self.bundle.day(date)?)
    }

    /// The bundle, for the services.
    pub(super) fn bundle(&self) -> &ClientBundle {
        &self.bundle
    }
}
