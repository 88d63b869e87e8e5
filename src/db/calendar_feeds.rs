//! The capability in a client's calendar feed URL (`/calendar/{token}.ics`): at most
//! one per client. Only the SHA-256 of the token is stored, behind its public id, like
//! every other token; issuing a new one replaces the old (its URL stops working).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::calendar_feeds;
use super::DbConnection;
use crate::tokens::{self, TokenKind};

/// `smpf_{id}_{secret}`.
pub const FEED_TOKEN_KIND: TokenKind = TokenKind::CalendarFeed;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = calendar_feeds)]
pub struct CalendarFeed {
    pub client_id: String,
    pub token_id: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
}

/// The client's active feed, if any.
pub fn for_client(conn: &mut DbConnection, client_id: &str) -> QueryResult<Option<CalendarFeed>> {
    // Keyed lookups load rather than `.first()`: a bound LIMIT makes SQLite re-prepare
    // the statement on every run.
    Ok(calendar_feeds::table
        .find(client_id)
        .select(CalendarFeed::as_select())
        .load(conn)?
        .pop())
}

/// Issues a new token for `client_id`, replacing any earlier one, and returns it (raw:
/// for the URL shown once). Run it inside a write transaction: the delete and the
/// insert must land together.
pub fn replace(
    conn: &mut DbConnection,
    client_id: &str,
    at: NaiveDateTime,
) -> QueryResult<(String, CalendarFeed)> {
    let issued = tokens::issue(FEED_TOKEN_KIND);
    let feed = CalendarFeed {
        client_id: client_id.to_string(),
        token_id: issued.id,
        token_hash: issued.hash,
        created_at: at,
    };
    // No upsert: diesel's MultiConnection has no on_conflict.
    diesel::delete(calendar_feeds::table.find(client_id)).execute(conn)?;
    diesel::insert_into(calendar_feeds::table)
        .values(&feed)
        .execute(conn)?;
    Ok((issued.token, feed))
}

/// Revokes the client's feed; false when there was none.
pub fn revoke(conn: &mut DbConnection, client_id: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(calendar_feeds::table.find(client_id)).execute(conn)?;
    Ok(deleted > 0)
}

/// The client whose feed URL carries `token`, if it is an active one.
pub fn find_client(conn: &mut DbConnection, token: &str) -> QueryResult<Option<String>> {
    let Some(id) = tokens::parse_id(FEED_TOKEN_KIND, token) else {
        return Ok(None);
    };
    let row = calendar_feeds::table
        .filter(calendar_feeds::token_id.eq(id))
        .select(CalendarFeed::as_select())
        .load(conn)?
        .pop();
    Ok(row
        .filter(|row| tokens::verify(token, &row.token_hash))
        .map(|row| row.client_id))
}
