//! Named API keys for a clinic's integrations (booking systems): created with a name
//! and shown once, listed without their secret, revoked one by one. Owners manage
//! them in the console; the command line can too. Only a SHA-256 of a key is kept.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use super::audit::{self, Action, Subject};
use super::authz::{self, Actor};
use super::{validate, ClinicRef, Error, Services};
use crate::db::api_keys::{self, ApiKey};
use crate::db::{self, clinics, DbConnection};
use crate::tokens::{self, TokenKind};

/// Prefix of clinic API keys.
pub const CLINIC_KEY_KIND: TokenKind = TokenKind::ClinicKey;

/// The most active keys one clinic may hold: more is a leak waiting to happen.
pub const MAX_ACTIVE_KEYS: i64 = 20;

/// A key as the console lists it (never its secret).
#[derive(Debug, Clone, Serialize)]
pub struct KeyView {
    pub id: String,
    pub name: String,
    /// What a key starts with, to recognise it: `smpk_{id}_`.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for KeyView {
    fn from(key: ApiKey) -> KeyView {
        KeyView {
            prefix: format!("{CLINIC_KEY_KIND}_{}_", key.id),
            id: key.id,
            name: key.name,
            created_at: key.created_at.and_utc(),
            created_by: key.created_by,
            last_used_at: key.last_used_at.map(|t| t.and_utc()),
            revoked_at: key.revoked_at.map(|t| t.and_utc()),
        }
    }
}

/// A key just created: `secret` is shown once and never again.
pub struct CreatedKey {
    pub key: KeyView,
    pub secret: String,
}

/// Stores a new key for the clinic, in the caller's transaction, and records it.
pub fn issue(
    conn: &mut DbConnection,
    clinic: &ClinicRef,
    name: &str,
    at: DateTime<Utc>,
) -> Result<CreatedKey, Error> {
    let name = validate::name("name", name)?;
    if api_keys::count_active(conn, &clinic.id)? >= MAX_ACTIVE_KEYS {
        return Err(Error::invalid(
            "name",
            format!("a clinic can hold at most {MAX_ACTIVE_KEYS} active keys; revoke one first"),
        ));
    }
    let token = tokens::issue(CLINIC_KEY_KIND);
    let row = ApiKey {
        id: token.id.clone(),
        clinic_id: clinic.id.clone(),
        name: name.clone(),
        key_hash: token.hash.clone(),
        created_at: at.naive_utc(),
        created_by: clinic.actor.display_name(),
        last_used_at: None,
        revoked_at: None,
    };
    api_keys::insert(conn, &row)?;
    audit::record(
        conn,
        clinic,
        Action::ApiKeyCreated,
        &Subject::api_key(&row.id, &name),
        "",
        at,
    )?;
    Ok(CreatedKey {
        key: row.into(),
        secret: token.token,
    })
}

/// The clinic's keys, active first; owners only.
pub async fn list(s: &Services, clinic: &ClinicRef) -> Result<Vec<KeyView>, Error> {
    let keys = authz::owners_read(s, clinic, |conn, clinic_id| {
        Ok(api_keys::of_clinic(conn, clinic_id)?)
    })
    .await?;
    Ok(keys.into_iter().map(KeyView::from).collect())
}

/// One of the clinic's keys (for the revoke confirmation); owners only.
pub async fn get(s: &Services, clinic: &ClinicRef, id: String) -> Result<KeyView, Error> {
    list(s, clinic)
        .await?
        .into_iter()
        .find(|k| k.id == id)
        .ok_or_else(|| Error::NotFound("no such API key".into()))
}

/// Creates a named key; owners only. The secret is in the answer, once.
pub async fn create(s: &Services, clinic: &ClinicRef, name: String) -> Result<CreatedKey, Error> {
    authz::require_owner(clinic)?;
    let (clinic, now) = (clinic.clone(), s.now());
    s.db(move |conn| db::write_transaction(conn, |conn| issue(conn, &clinic, &name, now)))
        .await
}

/// Revokes one key at once (requests with it get 401 from then on); owners only.
pub async fn revoke(s: &Services, clinic: &ClinicRef, id: String) -> Result<KeyView, Error> {
    authz::require_owner(clinic)?;
    let (clinic, now) = (clinic.clone(), s.now());
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let key = api_keys::revoke(conn, &clinic.id, &id, now.naive_utc())?
                .ok_or_else(|| Error::NotFound("no such active API key".into()))?;
            audit::record(
                conn,
                &clinic,
                Action::ApiKeyRevoked,
                &Subject::api_key(&key.id, &key.name),
                "",
                now,
            )?;
            Ok(key.into())
        })
    })
    .await
}

/// The command line's `clinic revoke-key`: revokes every active key of the clinic
/// and, when `replace`, issues one new key (shown once).
pub fn rotate_all(
    conn: &mut DbConnection,
    clinic_id: &str,
    replace: bool,
    now: NaiveDateTime,
) -> Result<Option<String>, Error> {
    db::write_transaction(conn, |conn| {
        let clinic = clinics::find(conn, clinic_id)?
            .ok_or_else(|| Error::NotFound(format!("no clinic with id {clinic_id}")))?;
        let clinic = ClinicRef {
            id: clinic.id,
            name: clinic.name,
            email: clinic.email,
            actor: Actor::Cli,
        };
        let at = now.and_utc();
        for key in api_keys::of_clinic(conn, clinic_id)? {
            if key.revoked_at.is_none() {
                api_keys::revoke(conn, clinic_id, &key.id, now)?;
                let subject = Subject::api_key(&key.id, &key.name);
                audit::record(conn, &clinic, Action::ApiKeyRevoked, &subject, "", at)?;
            }
        }
        if !replace {
            return Ok(None);
        }
        Ok(Some(issue(conn, &clinic, "Command-line key", at)?.secret))
    })
}

/// The clinic behind an API key, acting as that key; None for an unknown, revoked or
/// altered key.
pub async fn authenticate(s: &Services, key: String) -> Result<Option<ClinicRef>, Error> {
    let Some(id) = tokens::parse_id(CLINIC_KEY_KIND, &key).map(str::to_string) else {
        return Ok(None);
    };
    let now = s.now().naive_utc();
    s.db(move |conn| {
        let Some(found) = api_keys::find_active(conn, &id)? else {
            return Ok(None);
        };
        if !tokens::verify(&key, &found.key_hash) {
            return Ok(None);
        }
        let Some(clinic) = clinics::find(conn, &found.clinic_id)? else {
            return Ok(None);
        };
        // "Last used" is a convenience for the console: a database that refuses the
        // write (read-only, a standby) must not refuse the request.
        if found.last_use_is_stale(now) {
            if let Err(e) = api_keys::touch(conn, &found.id, now) {
                tracing::debug!(error = %e, "could not note the API key's last use");
            }
        }
        Ok(Some(ClinicRef {
            id: clinic.id,
            name: clinic.name,
            email: clinic.email,
            actor: Actor::ApiKey {
                id: found.id,
                name: found.name,
            },
        }))
    })
    .await
}
