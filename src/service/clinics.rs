//! Clinics: registration and API keys (from the CLI), sign-in by key, and the
//! clinic's aftercare protocol.

use crate::db;
use chrono::NaiveDateTime;

use super::replan::{self, Affected};
use super::{validate, ClinicRef, Error, Services};
use crate::db::bundle::protocol_from_overrides;
use crate::db::clients::{self, Client};
use crate::db::clinics::{self, Clinic};
use crate::db::DbConnection;
use crate::domain::protocol::{Protocol, ProtocolOverrides};
use crate::tokens;

/// Prefix of clinic API keys.
pub const CLINIC_KEY_KIND: &str = "smpk";

/// A registered clinic and its API key, shown once.
pub struct Created {
    pub clinic: ClinicRef,
    pub api_key: String,
}

/// Registers a clinic with a fresh API key (only its hash is kept).
pub fn create(
    conn: &mut DbConnection,
    name: &str,
    email: &str,
    now: NaiveDateTime,
) -> Result<Created, Error> {
    let name = validate::name("name", name)?;
    let email = validate::email("email", email)?;
    let id = uuid::Uuid::new_v4().to_string();
    let key = tokens::issue(CLINIC_KEY_KIND);
    clinics::insert(
        conn,
        &clinics::NewClinic {
            id: &id,
            name: &name,
            email: email.as_str(),
            api_key_id: &key.id,
            api_key_hash: &key.hash,
            created_at: now,
            key_issued_at: now,
        },
    )?;
    Ok(Created {
        clinic: ClinicRef {
            id,
            name,
            email: email.into_string(),
        },
        api_key: key.token,
    })
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<Clinic>, Error> {
    Ok(clinics::list(conn)?)
}

/// Revokes the clinic's API key and, unless `replace` is false, issues a new one
/// (shown once).
pub fn rotate_key(
    conn: &mut DbConnection,
    id: &str,
    replace: bool,
    now: NaiveDateTime,
) -> Result<Option<String>, Error> {
    let key = replace.then(|| tokens::issue(CLINIC_KEY_KIND));
    let found = clinics::set_key(
        conn,
        id,
        key.as_ref().map(|k| (k.id.as_str(), k.hash.as_str())),
        now,
    )?;
    if !found {
        return Err(Error::NotFound(format!("no clinic with id {id}")));
    }
    Ok(key.map(|k| k.token))
}

/// The clinic behind an API key, or None for an unknown, revoked or altered key.
pub async fn by_api_key(s: &Services, key: String) -> Result<Option<ClinicRef>, Error> {
    let Some(id) = tokens::parse_id(CLINIC_KEY_KIND, &key).map(str::to_string) else {
        return Ok(None);
    };
    let found = s
        .db(move |conn| Ok(clinics::find_by_key_id(conn, &id)?))
        .await?;
    Ok(found.and_then(|clinic| {
        let hash = clinic.api_key_hash.as_deref()?;
        tokens::verify(&key, hash).then_some(ClinicRef {
            id: clinic.id.clone(),
            name: clinic.name.clone(),
            email: clinic.email.clone(),
        })
    }))
}

/// The client behind an access token, or None for an unknown or altered token.
pub async fn client_by_token(s: &Services, token: String) -> Result<Option<Client>, Error> {
    let kind = super::invitations::CLIENT_TOKEN_KIND;
    let Some(id) = tokens::parse_id(kind, &token).map(str::to_string) else {
        return Ok(None);
    };
    let found = s
        .db(move |conn| Ok(clients::find_by_access_id(conn, &id)?))
        .await?;
    Ok(found.filter(|client| {
        client
            .access_token_hash
            .as_deref()
            .is_some_and(|hash| tokens::verify(&token, hash))
    }))
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
    Protocol::default_protocol()
        .with_overrides(&overrides)
        .map_err(|e| Error::invalid("protocol", e.to_string()))?;
    let stored = if overrides.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&overrides).map_err(Error::internal)?)
    };
    let (clinic_id, to_store, now) = (clinic.id.clone(), stored.clone(), s.now());
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            clinics::set_protocol_overrides(conn, &clinic_id, to_store.as_deref())?;
            replan::mark_due(conn, Affected::Clinic(&clinic_id), now)
        })
    })
    .await?;
    answer(&clinic.id, stored.as_deref())
}
