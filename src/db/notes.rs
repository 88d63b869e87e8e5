//! Notes staff keep on a client, and the records that someone contacted them: one
//! table, newest first. Erased with the client (the foreign key cascades).

use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;

use super::schema::client_notes;
use super::DbConnection;

/// `kind` of a free-text note.
pub const NOTE_KIND: &str = "note";
/// `kind` of "staff contacted the client" (its body may be empty).
pub const CONTACTED_KIND: &str = "contacted";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = client_notes)]
pub struct NoteRow {
    pub id: String,
    pub client_id: String,
    /// [`NOTE_KIND`] or [`CONTACTED_KIND`].
    pub kind: String,
    pub body: String,
    /// `staff`, `api_key` or `cli`, with the id and name as they were then.
    pub author_kind: String,
    pub author_id: Option<String>,
    pub author_name: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &NoteRow) -> QueryResult<()> {
    diesel::insert_into(client_notes::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The client's newest `limit` notes (both kinds), newest first.
pub fn of_client(
    conn: &mut DbConnection,
    client_id: &str,
    limit: i64,
) -> QueryResult<Vec<NoteRow>> {
    client_notes::table
        .filter(client_notes::client_id.eq(client_id))
        .order((client_notes::created_at.desc(), client_notes::id.desc()))
        .limit(limit)
        .select(NoteRow::as_select())
        .load(conn)
}

/// How many notes the client has (both kinds).
pub fn count_of_client(conn: &mut DbConnection, client_id: &str) -> QueryResult<i64> {
    client_notes::table
        .filter(client_notes::client_id.eq(client_id))
        .count()
        .get_result(conn)
}

/// Each of `client_ids`' latest "contacted" record, in one statement.
pub fn last_contacts(conn: &mut DbConnection, client_ids: &[&str]) -> QueryResult<Vec<NoteRow>> {
    if client_ids.is_empty() {
        return Ok(Vec::new());
    }
    let newer = diesel::alias!(client_notes as newer);
    client_notes::table
        .filter(client_notes::client_id.eq_any(client_ids))
        .filter(client_notes::kind.eq(CONTACTED_KIND))
        .filter(not(exists(
            newer
                .filter(
                    newer
                        .field(client_notes::client_id)
                        .eq(client_notes::client_id),
                )
                .filter(newer.field(client_notes::kind).eq(CONTACTED_KIND))
                .filter(
                    newer
                        .field(client_notes::created_at)
                        .gt(client_notes::created_at)
                        .or(newer
                            .field(client_notes::created_at)
                            .eq(client_notes::created_at)
                            .and(newer.field(client_notes::id).gt(client_notes::id))),
                ),
        )))
        .select(NoteRow::as_select())
        .load(conn)
}
