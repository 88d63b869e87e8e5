//! A client loaded with everything needed to compute their days: sessions, the
//! clinic's protocol, preferences. Read by the services (API, console) and by the
//! planner, so it lives below both.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;

use super::clients::{self, Client, DayClient, SessionDate, SessionRow};
use super::schema::clinics;
use super::{DbConnection, StoreError};
use crate::domain::protocol::{Protocol, ProtocolOverrides};
use crate::domain::reminders::{Channels, Preferences};
use crate::domain::timeline::{self, DayView, Plan, Session};

/// A client with everything needed to compute their days.
#[derive(Debug, Clone)]
pub struct ClientBundle {
    pub client: Client,
    pub sessions: Vec<SessionRow>,
    /// Shared: parsed once per clinic and protocol version (see [`clinic_protocol`]).
    pub protocol: Arc<Protocol>,
}

impl ClientBundle {
    pub fn load(conn: &mut DbConnection, client: Client) -> Result<ClientBundle, StoreError> {
        let protocol = clinic_protocol(conn, &client.clinic_id)?;
        Self::load_with(conn, client, protocol)
    }

    fn load_with(
        conn: &mut DbConnection,
        client: Client,
        protocol: Arc<Protocol>,
    ) -> Result<ClientBundle, StoreError> {
        let sessions = clients::sessions_of(conn, &client.id)?;
        Ok(ClientBundle {
            client,
            sessions,
            protocol,
        })
    }

    /// [`ClientBundle::load`] for many clients at once: their sessions in one query
    /// and each clinic's protocol once, in the order given.
    pub fn load_many(
        conn: &mut DbConnection,
        clients: Vec<Client>,
    ) -> Result<Vec<ClientBundle>, StoreError> {
        let ids: Vec<&str> = clients.iter().map(|c| c.id.as_str()).collect();
        let sessions = clients::sessions_of_many(conn, &ids)?;
        Self::assemble(conn, clients, sessions)
    }

    /// [`ClientBundle::load_many`] for a page of one clinic's clients from
    /// [`clients::page`]: their sessions read as one range of the index.
    pub fn load_page(
        conn: &mut DbConnection,
        clinic_id: &str,
        clients: Vec<Client>,
    ) -> Result<Vec<ClientBundle>, StoreError> {
        let (Some(first), Some(last)) = (clients.first(), clients.last()) else {
            return Ok(Vec::new());
        };
        let sessions = clients::sessions_of_page(conn, clinic_id, &first.id, &last.id)?;
        Self::assemble(conn, clients, sessions)
    }

    fn assemble(
        conn: &mut DbConnection,
        clients: Vec<Client>,
        mut sessions: HashMap<String, Vec<SessionRow>>,
    ) -> Result<Vec<ClientBundle>, StoreError> {
        let mut protocols: HashMap<String, Arc<Protocol>> = HashMap::new();
        let mut bundles = Vec::with_capacity(clients.len());
        for client in clients {
            let protocol = match protocols.get(&client.clinic_id) {
                Some(protocol) => protocol.clone(),
                None => {
                    let protocol = clinic_protocol(conn, &client.clinic_id)?;
                    protocols.insert(client.clinic_id.clone(), protocol.clone());
                    protocol
                }
            };
            bundles.push(ClientBundle {
                sessions: sessions.remove(&client.id).unwrap_or_default(),
                client,
                protocol,
            });
        }
        Ok(bundles)
    }

    pub fn timezone(&self) -> Tz {
        self.client.timezone.tz()
    }

    /// The client's plan (see [`plan_of`]).
    pub fn plan(&self) -> Result<Plan, StoreError> {
        let sessions = self.sessions.iter().map(|s| (s.date, s.marked_final));
        plan_of(&self.client.id, self.client.planned_sessions, sessions)
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

/// A plan from stored sessions (date, marked final) in date order. They were validated
/// on the way in; ones that no longer form a plan are reported as unreadable data.
fn plan_of(
    client_id: &str,
    planned_sessions: i32,
    sessions: impl Iterator<Item = (NaiveDate, bool)>,
) -> Result<Plan, StoreError> {
    let sessions = sessions
        .map(|(date, final_marked)| Session { date, final_marked })
        .collect();
    Plan::new(planned_sessions.max(1) as u32, sessions)
        .map_err(|e| StoreError::Corrupt(format!("plan of client {client_id}: {e}")))
}

/// What a client's days are computed from, and no more: the client's day columns,
/// their sessions' dates and the clinic's protocol ([`clients::find_day_by_access_id`],
/// for `GET /v1/me/today`).
#[derive(Debug, Clone)]
pub struct DayBundle {
    pub client: DayClient,
    pub sessions: Vec<SessionDate>,
    /// Shared: parsed once per clinic and protocol version (see [`clinic_protocol`]).
    pub protocol: Arc<Protocol>,
}

impl DayBundle {
    /// The client's day columns read with their clinic's `protocol_version` and their
    /// sessions; reads only a protocol that is not cached.
    pub fn read(
        conn: &mut DbConnection,
        found: clients::DayClientWithSessions,
    ) -> Result<DayBundle, StoreError> {
        let protocol = protocol_at(conn, &found.client.clinic_id, found.protocol_version)?;
        Ok(DayBundle {
            client: found.client,
            sessions: found.sessions,
            protocol,
        })
    }

    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.client.timezone.tz()).date_naive()
    }

    pub fn day(&self, date: NaiveDate) -> Result<DayView, StoreError> {
        let sessions = self.sessions.iter().map(|s| (s.date, s.marked_final));
        let plan = plan_of(&self.client.id, self.client.planned_sessions, sessions)?;
        Ok(timeline::day(
            &plan,
            &self.protocol,
            date,
            &self.client.locale,
        ))
    }
}

/// The clinic's protocol: the default with the clinic's overrides.
///
/// Parsing and validating a protocol is far dearer than the queries around it, so each
/// clinic's is parsed once and kept, under its `protocol_version`: storing new
/// overrides gives the clinic a new version (a fresh UUID, NULL for the default), so
/// every process, replicas included, sees the change at its next read of the version,
/// and a version is never reused, not even across databases in one process.
pub fn clinic_protocol(
    conn: &mut DbConnection,
    clinic_id: &str,
) -> Result<Arc<Protocol>, StoreError> {
    let query = clinics::table
        .find(clinic_id)
        .select(clinics::protocol_version);
    let version: Option<String> = super::on_backend!(conn, |c| query.get_result(c).optional())?
        .ok_or_else(|| missing(clinic_id))?;
    protocol_at(conn, clinic_id, version)
}

fn missing(clinic_id: &str) -> StoreError {
    StoreError::Corrupt(format!("clinic {clinic_id} of a client is missing"))
}

/// The clinic's protocol for a `protocol_version` just read: from the cache when it
/// holds that version, else parsed from the stored overrides.
fn protocol_at(
    conn: &mut DbConnection,
    clinic_id: &str,
    version: Option<String>,
) -> Result<Arc<Protocol>, StoreError> {
    let Some(version) = version else {
        return Ok(default_protocol());
    };
    if let Some(protocol) = PROTOCOLS.get(clinic_id, &version) {
        return Ok(protocol);
    }
    // Read together: the version stored beside the overrides is the one they are kept under.
    let (overrides, version): (Option<String>, Option<String>) = clinics::table
        .find(clinic_id)
        .select((clinics::protocol_overrides, clinics::protocol_version))
        .get_result(conn)
        .optional()?
        .ok_or_else(|| missing(clinic_id))?;
    let protocol = Arc::new(protocol_from_overrides(clinic_id, overrides.as_deref())?);
    if let Some(version) = version {
        PROTOCOLS.put(clinic_id, version, protocol.clone());
    }
    Ok(protocol)
}

/// The default protocol, shared.
fn default_protocol() -> Arc<Protocol> {
    static DEFAULT: OnceLock<Arc<Protocol>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| Arc::new(Protocol::default_protocol()))
        .clone()
}

/// Parsed protocols by clinic, each with the version it was parsed from; one entry per
/// clinic, replaced when its version changes.
static PROTOCOLS: ProtocolCache = ProtocolCache {
    by_clinic: RwLock::new(None),
};

/// A clinic's parsed protocol and the `protocol_version` it was parsed from.
type VersionedProtocol = (String, Arc<Protocol>);

struct ProtocolCache {
    by_clinic: RwLock<Option<HashMap<String, VersionedProtocol>>>,
}

impl ProtocolCache {
    fn get(&self, clinic_id: &str, version: &str) -> Option<Arc<Protocol>> {
        let map = self.by_clinic.read().unwrap_or_else(|e| e.into_inner());
        map.as_ref()?
            .get(clinic_id)
            .filter(|(cached, _)| cached == version)
            .map(|(_, protocol)| protocol.clone())
    }

    fn put(&self, clinic_id: &str, version: String, protocol: Arc<Protocol>) {
        let mut map = self.by_clinic.write().unwrap_or_else(|e| e.into_inner());
        map.get_or_insert_with(HashMap::new)
            .insert(clinic_id.to_string(), (version, protocol));
    }
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
