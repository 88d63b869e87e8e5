//! Clinics: registration (from the CLI, with the owner's console account and a first
//! API key), sign-in by key, the clinic's settings and its aftercare protocol.
//! (A client's access token is `client_auth`'s.)

use crate::db;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use super::audit::{self, Action, Subject};
use super::authz::{self, Actor};
use super::protocol_edit;
use super::replan::{self, Affected};
use super::{api_keys, staff, validate, ClinicRef, Error, Services};
use crate::db::bundle::protocol_from_overrides;
use crate::db::clinics::{self, Clinic, SettingsChange};
use crate::db::DbConnection;
use crate::domain::protocol::{Protocol, ProtocolOverrides};
use crate::domain::{ReminderTime, StaffRole, Zone};

/// A registered clinic, its owner's account and its first API key (shown once).
pub struct Created {
    pub clinic: ClinicRef,
    pub owner: staff::Member,
    pub api_key: String,
}

/// The clinic's first owner, as `clinic create` names them.
pub struct OwnerInput {
    pub name: String,
    pub email: String,
}

/// Registers a clinic with its owner's console account and a fresh API key (only
/// its hash is kept), in one transaction.
pub fn create(
    conn: &mut DbConnection,
    name: &str,
    email: &str,
    owner: OwnerInput,
    now: NaiveDateTime,
) -> Result<Created, Error> {
    let name = validate::name("name", name)?;
    let email = validate::email("email", email)?;
    let owner_name = validate::name("owner-name", &owner.name)?;
    let owner_email = validate::email("owner-email", &owner.email)?;
    let id = uuid::Uuid::new_v4().to_string();
    db::write_transaction(conn, |conn| {
        clinics::insert(
            conn,
            &clinics::NewClinic {
                id: &id,
                name: &name,
                email: email.as_str(),
                created_at: now,
                timezone: Zone::default(),
                reminder_time: ReminderTime::default().to_string(),
            },
        )?;
        let clinic = ClinicRef {
            id: id.clone(),
            name: name.clone(),
            email: email.as_str().to_string(),
            actor: Actor::Cli,
        };
        let at = now.and_utc();
        audit::record(
            conn,
            &clinic,
            Action::ClinicCreated,
            &Subject::clinic(&name),
            "",
            at,
        )?;
        let owner = staff::add(
            conn,
            &clinic,
            &owner_name,
            &owner_email,
            StaffRole::Owner,
            at,
        )?;
        let key = api_keys::issue(conn, &clinic, "First key", at)?;
        Ok(Created {
            clinic,
            owner,
            api_key: key.secret,
        })
    })
}

/// Before `clinic create`: the clinics this address already owns. A second clinic for
/// one owner is normal (a chain with several locations), so those are returned for a
/// warning; one with the same name (ignoring case) is almost always the command run
/// twice, and is refused unless `allow_duplicate`.
pub fn owner_clinics(
    conn: &mut DbConnection,
    name: &str,
    owner_email: &str,
    allow_duplicate: bool,
) -> Result<Vec<Clinic>, Error> {
    let name = validate::name("name", name)?;
    let owner_email = validate::email("owner-email", owner_email)?;
    let owned: Vec<Clinic> = db::staff::with_email(conn, owner_email.as_str())?
        .into_iter()
        .filter(|(member, _)| member.role == StaffRole::Owner)
        .map(|(_, clinic)| clinic)
        .collect();
    let same = owned
        .iter()
        .find(|clinic| clinic.name.to_lowercase() == name.to_lowercase());
    match same {
        Some(clinic) if !allow_duplicate => Err(Error::Conflict(format!(
            "{} already owns a clinic named {:?} (id {}); pass --allow-duplicate to create \
             another one anyway",
            owner_email.as_str(),
            clinic.name,
            clinic.id
        ))),
        _ => Ok(owned),
    }
}

/// A clinic with how many API keys it has active (for `clinic list`).
pub fn list(conn: &mut DbConnection) -> Result<Vec<(Clinic, i64)>, Error> {
    let all = clinics::list(conn)?;
    all.into_iter()
        .map(|clinic| {
            let keys = db::api_keys::count_active(conn, &clinic.id)?;
            Ok((clinic, keys))
        })
        .collect()
}

/// The clinic behind an API key, or None for an unknown, revoked or altered key.
pub async fn by_api_key(s: &Services, key: String) -> Result<Option<ClinicRef>, Error> {
    api_keys::authenticate(s, key).await
}

/// The clinic's settings as the console shows them.
#[derive(Debug, Clone, Serialize)]
pub struct ClinicSettings {
    pub name: String,
    /// The clinic's account address (from `clinic create`).
    pub email: String,
    /// Where clients' replies go, when it is not `email`.
    pub reply_to: Option<String>,
    pub timezone: Zone,
    pub reminder_time: ReminderTime,
    pub created_at: DateTime<Utc>,
}

impl From<Clinic> for ClinicSettings {
    fn from(clinic: Clinic) -> ClinicSettings {
        ClinicSettings {
            name: clinic.name,
            email: clinic.email,
            reply_to: clinic.reply_to,
            timezone: clinic.timezone,
            reminder_time: clinic.reminder_time,
            created_at: clinic.created_at.and_utc(),
        }
    }
}

/// The clinic row behind a `ClinicRef`.
pub fn load(conn: &mut DbConnection, clinic: &ClinicRef) -> Result<Clinic, Error> {
    clinics::find(conn, &clinic.id)?.ok_or_else(|| Error::NotFound("no such clinic".into()))
}

pub async fn settings(s: &Services, clinic: &ClinicRef) -> Result<ClinicSettings, Error> {
    let clinic = clinic.clone();
    Ok(s.db(move |conn| load(conn, &clinic)).await?.into())
}

/// The settings form as sent: each value as typed, checked here.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub name: String,
    /// Blank: replies go to the clinic's account address.
    pub reply_to: String,
    pub timezone: String,
    pub reminder_time: String,
}

/// Saves the clinic's settings; owners only. Every field is checked before anything
/// is saved, and all errors come back at once (one per field).
pub async fn update_settings(
    s: &Services,
    clinic: &ClinicRef,
    input: SettingsInput,
) -> Result<ClinicSettings, Vec<Error>> {
    authz::require_owner(clinic).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let name = validate::name("name", &input.name).map_err(|e| errors.push(e));
    let reply_to = match input.reply_to.trim() {
        "" => Ok(None),
        given => validate::email("reply_to", given)
            .map(|e| Some(e.into_string()))
            .map_err(|e| errors.push(e)),
    };
    let timezone =
        validate::timezone("timezone", input.timezone.trim()).map_err(|e| errors.push(e));
    let reminder_time = validate::reminder_time("reminder_time", input.reminder_time.trim())
        .map_err(|e| errors.push(e));
    let (Ok(name), Ok(reply_to), Ok(timezone), Ok(reminder_time)) =
        (name, reply_to, timezone, reminder_time)
    else {
        return Err(errors);
    };
    let change = SettingsChange {
        name,
        reply_to,
        timezone,
        reminder_time: reminder_time.to_string(),
    };
    let (clinic, now) = (clinic.clone(), s.now());
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let before = load(conn, &clinic)?;
            let detail = audit::changed(&[
                ("name", before.name != change.name),
                ("reply-to address", before.reply_to != change.reply_to),
                ("default time zone", before.timezone != change.timezone),
                (
                    "default reminder time",
                    before.reminder_time.to_string() != change.reminder_time,
                ),
            ]);
            clinics::update_settings(conn, &clinic.id, &change)?;
            if let Some(detail) = detail {
                let subject = Subject::clinic(&change.name);
                audit::record(
                    conn,
                    &clinic,
                    Action::SettingsChanged,
                    &subject,
                    &detail,
                    now,
                )?;
            }
            Ok(load(conn, &clinic)?.into())
        })
    })
    .await
    .map_err(|e| vec![e])
}

/// The clinic's protocol: its overrides (JSON, `{}` for none) and the protocol in effect.
pub struct ClinicProtocol {
    pub overrides: serde_json::Value,
    pub effective: Protocol,
}

fn answer(clinic_id: &str, stored: Option<&str>) -> Result<ClinicProtocol, Error> {
    let effective = protocol_from_overrides(clinic_id, stored)?;
    let overrides = match stored {
        Some(json) => serde_json::from_str(json).map_err(Error::internal)?,
        None => serde_json::json!({}),
    };
    Ok(ClinicProtocol {
        overrides,
        effective,
    })
}

pub async fn protocol(s: &Services, clinic: &ClinicRef) -> Result<ClinicProtocol, Error> {
    let clinic_id = clinic.id.clone();
    let stored = s
        .db(move |conn| Ok(clinics::find(conn, &clinic_id)?.and_then(|c| c.protocol_overrides)))
        .await?;
    answer(&clinic.id, stored.as_deref())
}

/// Replaces the overrides (`{}` restores the default), validated as a whole by the
/// domain's protocol loader first; every client of the clinic is re-planned.
pub async fn put_protocol(
    s: &Services,
    clinic: &ClinicRef,
    overrides: ProtocolOverrides,
) -> Result<ClinicProtocol, Error> {
    authz::require_editor(clinic)?;
    let after = Protocol::default_protocol()
        .with_overrides(&overrides)
        .map_err(|e| Error::invalid("protocol", e.to_string()))?;
    let stored = if overrides.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&overrides).map_err(Error::internal)?)
    };
    let (actor, to_store, now) = (clinic.clone(), stored.clone(), s.now());
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let before = clinics::find(conn, &actor.id)?.and_then(|c| c.protocol_overrides);
            clinics::set_protocol_overrides(conn, &actor.id, to_store.as_deref())?;
            if before != to_store {
                let detail = if to_store.is_none() {
                    "restored the default protocol"
                } else {
                    "saved new overrides"
                };
                let subject = Subject::protocol();
                audit::record(conn, &actor, Action::ProtocolChanged, &subject, detail, now)?;
                // The protocol page's history: the whole protocol before and after.
                let previous = protocol_from_overrides(&actor.id, before.as_deref())?;
                let who = protocol_edit::Changer {
                    kind: actor.actor.kind(),
                    id: actor.actor.id(),
                    name: &actor.actor.display_name(),
                };
                protocol_edit::record_change(conn, &actor.id, who, &previous, &after, now)?;
            }
            replan::mark_due(conn, Affected::Clinic(&actor.id), now)
        })
    })
    .await?;
    answer(&clinic.id, stored.as_deref())
}
