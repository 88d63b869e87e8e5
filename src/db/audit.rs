//! The audit log: append-only rows of who did what, when, per clinic.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_log;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: String,
    pub clinic_id: String,
    pub at: NaiveDateTime,
    /// `staff`, `api_key` or `cli`.
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    /// A stable id such as `client.onboarded`.
    pub action: String,
    /// `client`, `session`, `protocol`, `clinic`, `api_key` or `staff`.
    pub subject_kind: String,
    pub subject_id: Option<String>,
    pub subject_label: String,
    pub detail: String,
}

pub fn insert(conn: &mut DbConnection, row: &AuditRow) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The clinic's entries, newest first, `limit` of them after skipping `offset`.
pub fn page(
    conn: &mut DbConnection,
    clinic_id: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::clinic_id.eq(clinic_id))
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// Replaces the label of every entry about one subject (an erased client's name).
pub fn relabel_subject(
    conn: &mut DbConnection,
    clinic_id: &str,
    subject_kind: &str,
    subject_id: &str,
    label: &str,
) -> QueryResult<usize> {
    diesel::update(
        audit_log::table
            .filter(audit_log::clinic_id.eq(clinic_id))
            .filter(audit_log::subject_kind.eq(subject_kind))
            .filter(audit_log::subject_id.eq(subject_id)),
    )
    .set(audit_log::subject_label.eq(label))
    .execute(conn)
}
