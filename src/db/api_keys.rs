//! Named API keys of clinics (for integrations such as booking systems). Only the
//! key's hash is stored; its public id is the row id, so a lookup is one primary-key read.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::api_keys;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: String,
    pub clinic_id: String,
    pub name: String,
    pub key_hash: String,
    pub created_at: NaiveDateTime,
    /// Who created it, as the audit log names them.
    pub created_by: String,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// How often `last_used_at` is written at most: a key in steady use costs one write a
/// minute, not one per request.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

impl ApiKey {
    /// Whether `last_used_at` is due a write at `at` (see [`touch`]): checked before
    /// writing, so a key in steady use costs no write statement (on SQLite, no write
    /// lock) on most requests.
    pub fn last_use_is_stale(&self, at: NaiveDateTime) -> bool {
        self.last_used_at
            .is_none_or(|used| used < at - chrono::Duration::seconds(LAST_USED_RESOLUTION_SECS))
    }
}

pub fn insert(conn: &mut DbConnection, key: &ApiKey) -> QueryResult<()> {
    diesel::insert_into(api_keys::table)
        .values(key)
        .execute(conn)
        .map(|_| ())
}

/// A key that has not been revoked.
pub fn find_active(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ApiKey>> {
    // Every clinic API request starts here: on the backend's own connection.
    super::on_backend!(conn, |c| api_keys::table
        .find(id)
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKey::as_select())
        .first(c)
        .optional())
}

/// The clinic's keys, active first, newest first.
pub fn of_clinic(conn: &mut DbConnection, clinic_id: &str) -> QueryResult<Vec<ApiKey>> {
    let mut keys: Vec<ApiKey> = api_keys::table
        .filter(api_keys::clinic_id.eq(clinic_id))
        .order((api_keys::created_at.desc(), api_keys::id.desc()))
        .select(ApiKey::as_select())
        .load(conn)?;
    keys.sort_by_key(|k| k.revoked_at.is_some());
    Ok(keys)
}

/// Revokes one of the clinic's active keys; None when it has no such active key.
pub fn revoke(
    conn: &mut DbConnection,
    clinic_id: &str,
    id: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<ApiKey>> {
    let target = api_keys::table
        .find(id)
        .filter(api_keys::clinic_id.eq(clinic_id))
        .filter(api_keys::revoked_at.is_null());
    let updated = diesel::update(target)
        .set(api_keys::revoked_at.eq(Some(at)))
        .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)
        .optional()
}

/// Revokes every active key of the clinic; returns how many.
pub fn revoke_all(
    conn: &mut DbConnection,
    clinic_id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        api_keys::table
            .filter(api_keys::clinic_id.eq(clinic_id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Some(at)))
    .execute(conn)
}

/// How many active keys the clinic has.
pub fn count_active(conn: &mut DbConnection, clinic_id: &str) -> QueryResult<i64> {
    api_keys::table
        .filter(api_keys::clinic_id.eq(clinic_id))
        .filter(api_keys::revoked_at.is_null())
        .count()
        .get_result(conn)
}

/// Notes that the key was used at `at`, unless that was noted less than a minute ago
/// (a guarded write: concurrent requests do not pile up updates).
pub fn touch(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    let stale = at - chrono::Duration::seconds(LAST_USED_RESOLUTION_SECS);
    diesel::update(
        api_keys::table.find(id).filter(
            api_keys::last_used_at
                .is_null()
                .or(api_keys::last_used_at.lt(stale)),
        ),
    )
    .set(api_keys::last_used_at.eq(Some(at)))
    .execute(conn)
    .map(|_| ())
}
