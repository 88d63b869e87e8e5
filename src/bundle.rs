//! A client loaded with everything needed to compute their days: sessions, the
//! clinic's protocol, preferences. Shared by the API's views and the job engine.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::db::clients::{self, Client, SessionRow};
use crate::db::{clinics, DbConnection};
use crate::domain::protocol::{Protocol, ProtocolOverrides};
use crate::domain::reminders::{Channels, Preferences};
use crate::domain::timeline::{self, DayView, Plan, Session};
use crate::domain::{ReminderKind, SpfFrequency};
use crate::error::ApiError;

/// Longest range `/timeline` answers in one call.
pub const MAX_TIMELINE_DAYS: i64 = 400;

/// A client with everything needed to compute their days.
#[derive(Debug, Clone)]
pub struct ClientBundle {
    pub client: Client,
    pub sessions: Vec<SessionRow>,
    pub protocol: Protocol,
}

impl ClientBundle {
    pub fn load(conn: &mut DbConnection, client: Client) -> Result<ClientBundle, ApiError> {
        let sessions = clients::sessions_of(conn, &client.id)?;
        let protocol = clinic_protocol(conn, &client.clinic_id)?;
        Ok(ClientBundle {
            client,
            sessions,
            protocol,
        })
    }

    pub fn timezone(&self) -> Tz {
        // Stored values were validated on the way in; fall back rather than fail a read.
        self.client.timezone.parse().unwrap_or(Tz::UTC)
    }

    pub fn plan(&self) -> Result<Plan, ApiError> {
        let sessions = self
            .sessions
            .iter()
            .map(|s| Session {
                date: s.date,
                final_marked: s.marked_final,
            })
            .collect();
        Plan::new(self.client.planned_sessions.max(1) as u32, sessions)
            .map_err(|e| ApiError::internal(format!("stored plan is invalid: {e}")))
    }

    pub fn preferences(&self) -> Preferences {
        preferences_of(&self.client)
    }

    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.timezone()).date_naive()
    }

    pub fn day(&self, date: NaiveDate) -> Result<DayView, ApiError> {
        Ok(timeline::day(
            &self.plan()?,
            &self.protocol,
            date,
            &self.client.locale,
        ))
    }

    pub fn range(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayView>, ApiError> {
        if to < from {
            return Err(ApiError::invalid(
                "to",
                format!("{to} is before from ({from})"),
            ));
        }
        if (to - from).num_days() >= MAX_TIMELINE_DAYS {
            return Err(ApiError::invalid(
                "to",
                format!("a timeline covers at most {MAX_TIMELINE_DAYS} days"),
            ));
        }
        Ok(timeline::range(
            &self.plan()?,
            &self.protocol,
            from,
            to,
            &self.client.locale,
        ))
    }
}

/// The clinic's protocol: the default with the clinic's overrides.
pub fn clinic_protocol(conn: &mut DbConnection, clinic_id: &str) -> Result<Protocol, ApiError> {
    let clinic = clinics::find(conn, clinic_id)?
        .ok_or_else(|| ApiError::internal("client without clinic"))?;
    protocol_from_overrides(clinic.protocol_overrides.as_deref())
}

pub fn protocol_from_overrides(stored: Option<&str>) -> Result<Protocol, ApiError> {
    let default = Protocol::default_protocol();
    match stored {
        None => Ok(default),
        Some(json) => {
            let overrides = ProtocolOverrides::from_json_str(json)
                .map_err(|e| ApiError::internal(format!("stored protocol overrides: {e}")))?;
            default
                .with_overrides(&overrides)
                .map_err(|e| ApiError::internal(format!("stored protocol overrides: {e}")))
        }
    }
}

pub fn preferences_of(client: &Client) -> Preferences {
    let defaults = Preferences::default();
    Preferences {
        channels: Channels {
            push: client.push_enabled,
            email: client.email_enabled,
        },
        spf_reminders: client.spf_reminders.parse().unwrap_or(SpfFrequency::Daily),
        muted: parse_muted(&client.muted),
        reminder_time: chrono::NaiveTime::parse_from_str(&client.reminder_time, "%H:%M")
            .unwrap_or(defaults.reminder_time),
        timezone: client.timezone.parse().unwrap_or(Tz::UTC),
        locale: client.locale.clone(),
    }
}

pub fn parse_muted(stored: &str) -> Vec<ReminderKind> {
    serde_json::from_str::<Vec<String>>(stored)
        .unwrap_or_default()
        .iter()
        .filter_map(|k| k.parse().ok())
        .collect()
}

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}
