//! What the API shows of a client, and the day views both clinics and clients see.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;

use crate::domain::reminders::Channels;
use crate::domain::timeline::DayView;
use crate::domain::{InvitationStatus, ReminderKind, ReminderTime, SpfFrequency, Zone};
use crate::service::days::Timeline;
use crate::service::push::Subscription;
use crate::service::{ClientRecord, Error};

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
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
    #[schema(value_type = String, example = "Europe/London")]
    pub timezone: Zone,
    #[schema(value_type = String, example = "08:00")]
    pub reminder_time: ReminderTime,
    #[schema(value_type = super::openapi::ChannelsDoc)]
    pub channels: Channels,
    #[schema(value_type = String, example = "daily")]
    pub spf_reminders: SpfFrequency,
    pub locale: String,
    #[schema(value_type = Vec<String>)]
    pub muted: Vec<ReminderKind>,
    /// The reminder kinds a client may mute (what a settings screen offers).
    #[schema(value_type = Vec<String>, example = json!(["daily_aftercare", "touch_up_due"]))]
    pub mutable_kinds: &'static [ReminderKind],
    /// The values `spf_reminders` takes.
    #[schema(value_type = Vec<String>, example = json!(["daily", "weekly", "off"]))]
    pub spf_choices: &'static [SpfFrequency],
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    /// pending | sent | failed | accepted
    #[schema(value_type = String, example = "sent")]
    pub status: InvitationStatus,
    pub error: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientView {
    pub id: String,
    pub email: String,
    pub name: String,
    #[schema(value_type = String, example = "Europe/London")]
    pub timezone: Zone,
    pub locale: String,
    pub planned_sessions: u32,
    pub sessions: Vec<SessionView>,
    pub preferences: PreferencesView,
    /// Absent from what a client sees of itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation: Option<InvitationView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ClientView {
    /// What the clinic sees.
    pub fn for_clinic(bundle: &ClientRecord) -> ClientView {
        let client = &bundle.client;
        let mut view = ClientView::for_client(bundle);
        view.invitation = Some(InvitationView {
            status: client.invitation_status,
            error: client.invitation_error.clone(),
            expires_at: client.invitation_expires_at.map(utc),
        });
        view
    }

    /// What a client sees of itself: no invitation internals.
    pub fn for_client(bundle: &ClientRecord) -> ClientView {
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
            timezone: client.timezone,
            locale: client.locale.clone(),
            planned_sessions: client.planned_sessions.max(1) as u32,
            sessions,
            preferences: PreferencesView {
                timezone: client.timezone,
                reminder_time: client.reminder_time,
                channels: prefs.channels,
                spf_reminders: prefs.spf_reminders,
                locale: client.locale.clone(),
                muted: prefs.muted,
                mutable_kinds: ReminderKind::ALL,
                spf_choices: SpfFrequency::ALL,
            },
            invitation: None,
            created_at: utc(client.created_at),
            updated_at: utc(client.updated_at),
        }
    }

    /// The clinic's view as JSON, for responses stored for idempotent replays.
    pub fn render_for_clinic(bundle: &ClientRecord) -> Result<String, Error> {
        serde_json::to_string(&ClientView::for_clinic(bundle)).map_err(Error::internal)
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

impl From<Timeline> for TimelineView {
    fn from(t: Timeline) -> Self {
        TimelineView {
            from: t.from,
            to: t.to,
            days: t.days,
        }
    }
}

/// Whether reminders still go to a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Active,
    /// The push service said the subscription is gone (404/410): the app should
    /// subscribe again; registering the same endpoint makes it active again.
    Disabled,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    pub endpoint: String,
    #[serde(rename = "expirationTime")]
    pub expiration_time: Option<DateTime<Utc>>,
    pub status: SubscriptionStatus,
    /// Why it was disabled (the push service's answer), while it is.
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Subscription> for SubscriptionView {
    fn from(s: &Subscription) -> Self {
        SubscriptionView {
            id: s.id.clone(),
            endpoint: s.endpoint.clone(),
            expiration_time: s.expiration_time,
            status: if s.disabled_at.is_some() {
                SubscriptionStatus::Disabled
            } else {
                SubscriptionStatus::Active
            },
            disabled_reason: s.disabled_reason.clone(),
            disabled_at: s.disabled_at,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}
