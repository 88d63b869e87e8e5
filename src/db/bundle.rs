//! A client loaded with everything needed to compute their days: sessions, the
//! clinic's protocol, preferences. Read by the services (API, console) and by the
//! planner, so it lives below both.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::clients::{self, Client, SessionRow};
use super::{clinics, DbConnection, StoreError};
use crate::domain::protocol::{Protocol, ProtocolOverrides};
use crate::domain::reminders::{Channels, Preferences};
use crate::domain::timeline::{self, DayView, Plan, Session};

/// A client with everything needed to compute their days.
#[derive(Debug, Clone)]
pub struct ClientBundle {
    pub client: Client,
    pub sessions: Vec<SessionRow>,
    pub protocol: Protocol,
}

impl ClientBundle {
    pub fn load(conn: &mut DbConnection, client: Client) -> Result<ClientBundle, StoreError> {
        let sessions = clients::sessions_of(conn, &client.id)?;
        let protocol = clinic_protocol(conn, &client.clinic_id)?;
        Ok(ClientBundle {
            client,
            sessions,
            protocol,
        })
    }

    pub fn timezone(&self) -> Tz {
        self.client.timezone.tz()
    }

    /// The client's plan. Stored sessions were validated on the way in; one that no
    /// longer forms a plan is reported as unreadable data.
    pub fn plan(&self) -> Result<Plan, StoreError> {
        let sessions = self
            .sessions
            .iter()
            .map(|s| Session {
                date: s.date,
                final_marked: s.marked_final,
            })
            .collect();
        Plan::new(self.client.planned_sessions.max(1) as u32, sessions)
            .map_err(|e| StoreError::Corrupt(format!("plan of client {}: {e}", self.client.id)))
    }

    pub fn preferences(&self) -> Preferences {
        let client = &self.client;
        Preferences {
            channels: Channels {
                push: client.push_enabled,
                email: client.email_enabled,
            },
            spf_reminders: client.spf_reminders,
            muted: client.muted.0.clone(),
            reminder_time: client.reminder_time.time(),
            timezone: client.timezone.tz(),
            locale: client.locale.clone(),
        }
    }

    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.timezone()).date_naive()
    }

    pub fn day(&self, date: NaiveDate) -> Result<DayView, StoreError> {
        Ok(timeline::day(
            &self.plan()?,
            &self.protocol,
            date,
            &self.client.locale,
        ))
    }

    /// Every day from `from` to `to` (the caller bounds the range).
    pub fn range(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayView>, StoreError> {
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
pub fn clinic_protocol(conn: &mut DbConnection, clinic_id: &str) -> Result<Protocol, StoreError> {
    let clinic = clinics::find(conn, clinic_id)?
        .ok_or_else(|| StoreError::Corrupt(format!("clinic {clinic_id} of a client is missing")))?;
    protocol_from_overrides(clinic_id, clinic.protocol_overrides.as_deref())
}

/// The default protocol with stored overrides applied.
pub fn protocol_from_overrides(
    clinic_id: &str,
    stored: Option<&str>,
) -> Result<Protocol, StoreError> {
    let default = Protocol::default_protocol();
    let Some(json) = stored else {
        return Ok(default);
    };
    let corrupt = |e: String| {
        tracing::error!(clinic = %clinic_id, error = %e, "unreadable stored protocol overrides");
        StoreError::Corrupt(format!("protocol overrides of clinic {clinic_id}: {e}"))
    };
    let overrides = ProtocolOverrides::from_json_str(json).map_err(|e| corrupt(e.to_string()))?;
    default
        .with_overrides(&overrides)
        .map_err(|e| corrupt(e.to_string()))
}
