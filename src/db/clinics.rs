//! Clinic repository: plain functions on a connection.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::clinics;
use super::DbConnection;
use crate::domain::{ReminderTime, Zone};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = clinics)]
pub struct Clinic {
    pub id: String,
    pub name: String,
    pub email: String,
    pub created_at: NaiveDateTime,
    pub protocol_overrides: Option<String>,
    /// Changes with every change of the overrides (NULL with none): parsed protocols
    /// are cached under it (`bundle::clinic_protocol`).
    pub protocol_version: Option<String>,
    /// Reply-To of the email clients get; None: the clinic's `email`.
    pub reply_to: Option<String>,
    /// What onboarding gives a new client unless told otherwise.
    pub timezone: Zone,
    pub reminder_time: ReminderTime,
}

impl Clinic {
    /// Where clients' replies go.
    pub fn reply_address(&self) -> &str {
        self.reply_to.as_deref().unwrap_or(&self.email)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = clinics)]
pub struct NewClinic<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub created_at: NaiveDateTime,
    pub timezone: Zone,
    pub reminder_time: String,
}

/// The settings a clinic's owner edits in the console.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = clinics, treat_none_as_null = true)]
pub struct SettingsChange {
    pub name: String,
    pub reply_to: Option<String>,
    pub timezone: Zone,
    pub reminder_time: String,
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
    super::on_backend!(conn, |c| clinics::table
        .find(id)
        .select(Clinic::as_select())
        .first(c)
        .optional())
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

/// Saves the console's settings; false when no clinic has that id.
pub fn update_settings(
    conn: &mut DbConnection,
    id: &str,
    change: &SettingsChange,
) -> QueryResult<bool> {
    let updated = diesel::update(clinics::table.find(id))
        .set(change)
        .execute(conn)?;
    Ok(updated == 1)
}
