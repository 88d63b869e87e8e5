//! The capabilities in reminder emails' one-click unsubscribe links. Each email gets
//! a token of its own, issued as the email is built: the raw token goes into that
//! email and nowhere else; only its SHA-256 is stored, behind a public id, like every
//! other token. Links in earlier emails keep working for as long as the deliveries
//! they went out with are kept (`jobs.retention_days`), or until the client is erased.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::unsubscribe_tokens;
use super::{DbConnection, DbPool, StoreError};
use crate::tokens::{self, TokenKind};

/// `smpu_{id}_{secret}`.
pub const UNSUBSCRIBE_TOKEN_KIND: TokenKind = TokenKind::Unsubscribe;

/// Ids of tokens from before hashing (a bare secret, no id): `legacy_` and the first
/// 16 hex digits of the token's hash (migration 2026-11-22-000004 stored them so).
const LEGACY_ID_PREFIX: &str = "legacy_";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = unsubscribe_tokens)]
struct UnsubscribeToken {
    id: String,
    client_id: String,
    token_hash: String,
    created_at: NaiveDateTime,
}

/// Issues a token for one email to `client_id` and returns it (raw: for the link).
pub fn issue(conn: &mut DbConnection, client_id: &str, at: NaiveDateTime) -> QueryResult<String> {
    let issued = tokens::issue(UNSUBSCRIBE_TOKEN_KIND);
    diesel::insert_into(unsubscribe_tokens::table)
        .values(&UnsubscribeToken {
            id: issued.id,
            client_id: client_id.to_string(),
            token_hash: issued.hash,
            created_at: at,
        })
        .execute(conn)?;
    Ok(issued.token)
}

/// `issue` on a pooled connection, off the async executor: what the dispatcher calls
/// as it builds a reminder email.
pub async fn issue_for_email(
    pool: &DbPool,
    client_id: &str,
    at: NaiveDateTime,
) -> Result<String, StoreError> {
    let client_id = client_id.to_string();
    super::run(pool, move |conn| Ok(issue(conn, &client_id, at)?)).await
}

/// Deletes the tokens issued before `before`: the daily prune, with the deliveries of
/// the same age (the emails whose links they were).
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(unsubscribe_tokens::table.filter(unsubscribe_tokens::created_at.lt(before)))
        .execute(conn)
}

/// The client whose link carries `token`, if it is one we issued.
pub fn find_client(conn: &mut DbConnection, token: &str) -> QueryResult<Option<String>> {
    let id = match tokens::parse_id(UNSUBSCRIBE_TOKEN_KIND, token) {
        Some(id) => id.to_string(),
        None => format!("{LEGACY_ID_PREFIX}{}", &tokens::hash(token)[..16]),
    };
    let row = unsubscribe_tokens::table
        .find(&id)
        .select(UnsubscribeToken::as_select())
        .first(conn)
        .optional()?;
    Ok(row
        .filter(|row| tokens::verify(token, &row.token_hash))
        .map(|row| row.client_id))
}
