//! What the API shows of a client, and the day views both clinics and clients see.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub use crate::bundle::{
    clinic_protocol, parse_muted, preferences_of, protocol_from_overrides, utc, ClientBundle,
    MAX_TIMELINE_DAYS,
};
use crate::domain::reminders::Channels;
use crate::domain::timeline::DayView;
use crate::domain::{ReminderKind, SpfFrequency};

impl ClientBundle {
    pub fn view(&self) -> ClientView {
        ClientView::new(self)
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    /// 1-based, in date order.
    pub number: u32,
    pub date: NaiveDate,
    /// The session that starts the 30-day healing window.
    #[serde(rename = "final")]
    pub is_final: bool,
    /// The clinic marked it final explicitly.
    pub marked_final: bool,
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreferencesView {
    pub timezone: String,
    pub reminder_time: String,
    #[schema(value_type = super::openapi::ChannelsDoc)]
    pub channels: Channels,
    #[schema(value_type = String, example = "daily")]
    pub spf_reminders: SpfFrequency,
    pub locale: String,
    #[schema(value_type = Vec<String>)]
    pub muted: Vec<ReminderKind>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    /// pending | sent | failed | accepted
    pub status: String,
    pub error: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub timezone: String,
    pub locale: String,
    pub planned_sessions: u32,
    pub sessions: Vec<SessionView>,
    pub preferences: PreferencesView,
    pub invitation: InvitationView,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ClientView {
    fn new(bundle: &ClientBundle) -> ClientView {
        let client = &bundle.client;
        let final_date = bundle
            .plan()
            .ok()
            .and_then(|plan| plan.final_session())
            .map(|s| s.date);
        let sessions = bundle
            .sessions
            .iter()
            .enumerate()
            .map(|(i, s)| SessionView {
                id: s.id.clone(),
                number: i as u32 + 1,
                date: s.date,
                is_final: Some(s.date) == final_date,
                marked_final: s.marked_final,
                notes: s.notes.clone(),
            })
            .collect();
        let prefs = bundle.preferences();
        ClientView {
            id: client.id.clone(),
            email: client.email.clone(),
            name: client.name.clone(),
            timezone: client.timezone.clone(),
            locale: client.locale.clone(),
            planned_sessions: client.planned_sessions.max(1) as u32,
            sessions,
            preferences: PreferencesView {
                timezone: client.timezone.clone(),
                reminder_time: client.reminder_time.clone(),
                channels: prefs.channels,
                spf_reminders: prefs.spf_reminders,
                locale: client.locale.clone(),
                muted: prefs.muted,
            },
            invitation: InvitationView {
                status: client.invitation_status.clone(),
                error: client.invitation_error.clone(),
                expires_at: client.invitation_expires_at.map(utc),
            },
            created_at: utc(client.created_at),
            updated_at: utc(client.updated_at),
        }
    }
}

/// The answer of `/timeline`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[schema(value_type = Vec<super::openapi::DayViewDoc>)]
    pub days: Vec<DayView>,
}
