//! Staff accounts of clinics, their emailed sign-in links and their console sessions.
//! Every query a clinic drives is scoped by `clinic_id`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::clinics::Clinic;
use super::schema::{clinics, staff, staff_sessions, staff_sign_in_links};
use super::DbConnection;
use crate::domain::StaffRole;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = staff)]
pub struct Staff {
    pub id: String,
    pub clinic_id: String,
    pub email: String,
    pub name: String,
    pub role: StaffRole,
    pub created_at: NaiveDateTime,
    pub last_sign_in_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = staff_sign_in_links)]
pub struct SignInLink {
    pub id: String,
    pub staff_id: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = staff_sessions)]
pub struct StaffSession {
    pub id: String,
    pub staff_id: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, member: &Staff) -> QueryResult<()> {
    diesel::insert_into(staff::table)
        .values(member)
        .execute(conn)
        .map(|_| ())
}

pub fn find_for_clinic(
    conn: &mut DbConnection,
    clinic_id: &str,
    id: &str,
) -> QueryResult<Option<Staff>> {
    staff::table
        .find(id)
        .filter(staff::clinic_id.eq(clinic_id))
        .select(Staff::as_select())
        .first(conn)
        .optional()
}

/// The clinic's staff, owners first, then by name.
pub fn of_clinic(conn: &mut DbConnection, clinic_id: &str) -> QueryResult<Vec<Staff>> {
    let mut members: Vec<Staff> = staff::table
        .filter(staff::clinic_id.eq(clinic_id))
        .order((staff::name.asc(), staff::id.asc()))
        .select(Staff::as_select())
        .load(conn)?;
    members.sort_by_key(|m| m.role != StaffRole::Owner);
    Ok(members)
}

pub fn email_taken(conn: &mut DbConnection, clinic_id: &str, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        staff::table
            .filter(staff::clinic_id.eq(clinic_id))
            .filter(staff::email.eq(email)),
    ))
    .get_result(conn)
}

/// Every account with this address, with its clinic (an address may have one per clinic).
pub fn with_email(conn: &mut DbConnection, email: &str) -> QueryResult<Vec<(Staff, Clinic)>> {
    staff::table
        .inner_join(clinics::table)
        .filter(staff::email.eq(email))
        .order(clinics::name.asc())
        .select((Staff::as_select(), Clinic::as_select()))
        .load(conn)
}

pub fn count_owners(conn: &mut DbConnection, clinic_id: &str) -> QueryResult<i64> {
    staff::table
        .filter(staff::clinic_id.eq(clinic_id))
        .filter(staff::role.eq(StaffRole::Owner))
        .count()
        .get_result(conn)
}

/// Removes the account (its links and sessions go with it); false when the clinic
/// has no such account.
pub fn delete_for_clinic(conn: &mut DbConnection, clinic_id: &str, id: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(staff::table.find(id).filter(staff::clinic_id.eq(clinic_id)))
        .execute(conn)?;
    Ok(deleted == 1)
}

pub fn insert_link(conn: &mut DbConnection, link: &SignInLink) -> QueryResult<()> {
    diesel::insert_into(staff_sign_in_links::table)
        .values(link)
        .execute(conn)
        .map(|_| ())
}

/// A sign-in link with its account and clinic, used or not.
pub fn find_link(
    conn: &mut DbConnection,
    id: &str,
) -> QueryResult<Option<(SignInLink, Staff, Clinic)>> {
    staff_sign_in_links::table
        .inner_join(staff::table.inner_join(clinics::table))
        .filter(staff_sign_in_links::id.eq(id))
        .select((
            SignInLink::as_select(),
            Staff::as_select(),
            Clinic::as_select(),
        ))
        .first(conn)
        .optional()
}

/// Spends a link: true for the one caller that finds it unused and unexpired at `at`.
pub fn spend_link(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        staff_sign_in_links::table
            .find(id)
            .filter(staff_sign_in_links::used_at.is_null())
            .filter(staff_sign_in_links::expires_at.gt(at)),
    )
    .set(staff_sign_in_links::used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn insert_session(conn: &mut DbConnection, session: &StaffSession) -> QueryResult<()> {
    diesel::insert_into(staff_sessions::table)
        .values(session)
        .execute(conn)
        .map(|_| ())
}

/// A session with its account and clinic.
pub fn find_session(
    conn: &mut DbConnection,
    id: &str,
) -> QueryResult<Option<(StaffSession, Staff, Clinic)>> {
    staff_sessions::table
        .inner_join(staff::table.inner_join(clinics::table))
        .filter(staff_sessions::id.eq(id))
        .select((
            StaffSession::as_select(),
            Staff::as_select(),
            Clinic::as_select(),
        ))
        .first(conn)
        .optional()
}

/// Moves the session's idle clock on to `at`, unless it moved less than `resolution`
/// ago (so a busy page does not write on every request).
pub fn touch_session(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
    resolution: chrono::Duration,
) -> QueryResult<()> {
    diesel::update(
        staff_sessions::table
            .find(id)
            .filter(staff_sessions::last_seen_at.lt(at - resolution)),
    )
    .set(staff_sessions::last_seen_at.eq(at))
    .execute(conn)
    .map(|_| ())
}

pub fn delete_session(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(staff_sessions::table.find(id)).execute(conn)
}

/// Ends every session of the account; returns how many.
pub fn delete_sessions_of(conn: &mut DbConnection, staff_id: &str) -> QueryResult<usize> {
    diesel::delete(staff_sessions::table.filter(staff_sessions::staff_id.eq(staff_id)))
        .execute(conn)
}

pub fn set_last_sign_in(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(staff::table.find(id))
        .set(staff::last_sign_in_at.eq(Some(at)))
        .execute(conn)
        .map(|_| ())
}

/// Deletes sessions idle since before `idle_before` or started before
/// `started_before`, and links expired before `links_before`: the prune job's part.
pub fn prune(
    conn: &mut DbConnection,
    idle_before: NaiveDateTime,
    started_before: NaiveDateTime,
    links_before: NaiveDateTime,
) -> QueryResult<usize> {
    let sessions = diesel::delete(
        staff_sessions::table.filter(
            staff_sessions::last_seen_at
                .lt(idle_before)
                .or(staff_sessions::created_at.lt(started_before)),
        ),
    )
    .execute(conn)?;
    let links = diesel::delete(
        staff_sign_in_links::table.filter(staff_sign_in_links::expires_at.lt(links_before)),
    )
    .execute(conn)?;
    Ok(sessions + links)
}
