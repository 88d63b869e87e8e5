//! The history of a clinic's protocol: one row per change, written in the transaction
//! that changes it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::protocol_changes;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = protocol_changes)]
pub struct ProtocolChange {
    pub id: String,
    pub clinic_id: String,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    /// The protocol in effect before, as a complete JSON document.
    pub before_protocol: String,
    pub after_protocol: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, change: &ProtocolChange) -> QueryResult<()> {
    diesel::insert_into(protocol_changes::table)
        .values(change)
        .execute(conn)
        .map(|_| ())
}

/// The clinic's newest `limit` changes, newest first.
pub fn of_clinic(
    conn: &mut DbConnection,
    clinic_id: &str,
    limit: i64,
) -> QueryResult<Vec<ProtocolChange>> {
    protocol_changes::table
        .filter(protocol_changes::clinic_id.eq(clinic_id))
        .order((
            protocol_changes::created_at.desc(),
            protocol_changes::id.desc(),
        ))
        .limit(limit)
        .select(ProtocolChange::as_select())
        .load(conn)
}
