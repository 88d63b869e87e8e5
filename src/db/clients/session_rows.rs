//! A client's treatment sessions.

use std::collections::HashMap;

use diesel::prelude::*;

use super::SessionRow;
use crate::db::schema::{clients, sessions};
use crate::db::DbConnection;

pub fn sessions_of(conn: &mut DbConnection, client_id: &str) -> QueryResult<Vec<SessionRow>> {
    crate::db::on_backend!(conn, |c| sessions::table
        .filter(sessions::client_id.eq(client_id))
        .order(sessions::date.asc())
        .select(SessionRow::as_select())
        .load(c))
}

/// The sessions of each of `client_ids`, in date order, in one query.
pub fn sessions_of_many(
    conn: &mut DbConnection,
    client_ids: &[&str],
) -> QueryResult<HashMap<String, Vec<SessionRow>>> {
    if client_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<SessionRow> = crate::db::on_backend!(conn, |c| sessions::table
        .filter(sessions::client_id.eq_any(client_ids))
        .order((sessions::client_id.asc(), sessions::date.asc()))
        .select(SessionRow::as_select())
        .load(c))?;
    Ok(by_client(rows))
}

/// The sessions of a page of the clinic's clients from [`page`] (contiguous in id
/// order, `first` to `last`), in date order: one range read of the `(client_id, date)`
/// index, a statement prepared once, where an `IN` of the page's ids is prepared anew
/// for every page on SQLite (its number of binds varies).
pub fn sessions_of_page(
    conn: &mut DbConnection,
    clinic_id: &str,
    first: &str,
    last: &str,
) -> QueryResult<HashMap<String, Vec<SessionRow>>> {
    let rows: Vec<SessionRow> = crate::db::on_backend!(conn, |c| sessions::table
        .inner_join(clients::table)
        .filter(clients::clinic_id.eq(clinic_id))
        // The range on both sides of the join: given only one, SQLite's plan may walk
        // every client of the clinic and probe each one's sessions.
        .filter(clients::id.between(first, last))
        .filter(sessions::client_id.between(first, last))
        .order((sessions::client_id.asc(), sessions::date.asc()))
        .select(SessionRow::as_select())
        .load(c))?;
    Ok(by_client(rows))
}

fn by_client(rows: Vec<SessionRow>) -> HashMap<String, Vec<SessionRow>> {
    let mut by_client = HashMap::<String, Vec<SessionRow>>::new();
    for row in rows {
        by_client
            .entry(row.client_id.clone())
            .or_default()
            .push(row);
    }
    by_client
}

pub fn insert_session(conn: &mut DbConnection, session: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)
        .map(|_| ())
}

pub fn save_session(conn: &mut DbConnection, session: &SessionRow) -> QueryResult<()> {
    diesel::update(sessions::table.find(&session.id))
        .set(session)
        .execute(conn)
        .map(|_| ())
}

pub fn delete_session(conn: &mut DbConnection, client_id: &str, id: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::client_id.eq(client_id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}
