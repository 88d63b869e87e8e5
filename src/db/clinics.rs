//! Clinic repository: plain functions on a connection.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::clinics;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = clinics)]
pub struct Clinic {
    pub id: String,
    pub name: String,
    pub email: String,
    pub api_key_id: Option<String>,
    pub api_key_hash: Option<String>,
    pub created_at: NaiveDateTime,
    pub key_issued_at: Option<NaiveDateTime>,
    pub protocol_overrides: Option<String>,
    /// Changes with every change of the overrides (NULL with none): parsed protocols
    /// are cached under it (`bundle::clinic_protocol`).
    pub protocol_version: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = clinics)]
pub struct NewClinic<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub api_key_id: &'a str,
    pub api_key_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub key_issued_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, clinic: &NewClinic<'_>) -> QueryResult<()> {
    diesel::insert_into(clinics::table)
        .values(clinic)
        .execute(conn)
        .map(|_| ())
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Clinic>> {
    clinics::table
        .order((clinics::created_at.asc(), clinics::id.asc()))
        .select(Clinic::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Clinic>> {
    clinics::table
        .find(id)
        .select(Clinic::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_key_id(conn: &mut DbConnection, key_id: &str) -> QueryResult<Option<Clinic>> {
    clinics::table
        .filter(clinics::api_key_id.eq(key_id))
        .select(Clinic::as_select())
        .first(conn)
        .optional()
}

/// Replaces the clinic's key (None revokes it without a replacement). Returns false
/// when no clinic has that id.
pub fn set_key(
    conn: &mut DbConnection,
    id: &str,
    key: Option<(&str, &str)>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let (key_id, key_hash) = match key {
        Some((key_id, key_hash)) => (Some(key_id), Some(key_hash)),
        None => (None, None),
    };
    let updated = diesel::update(clinics::table.find(id))
        .set((
            clinics::api_key_id.eq(key_id),
            clinics::api_key_hash.eq(key_hash),
            clinics::key_issued_at.eq(key.map(|_| at)),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Stores the clinic's protocol overrides (JSON; None restores the default) under a
/// new protocol version, so every process stops using the protocol it parsed before.
pub fn set_protocol_overrides(
    conn: &mut DbConnection,
    id: &str,
    overrides: Option<&str>,
) -> QueryResult<()> {
    let version = overrides.map(|_| uuid::Uuid::new_v4().simple().to_string());
    diesel::update(clinics::table.find(id))
        .set((
            clinics::protocol_overrides.eq(overrides),
            clinics::protocol_version.eq(version),
        ))
        .execute(conn)
        .map(|_| ())
}
