//! Push subscription repository.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::push_subscriptions;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable, AsChangeset)]
#[diesel(table_name = push_subscriptions, treat_none_as_null = true)]
pub struct PushSubscription {
    pub id: String,
    pub client_id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub expiration_time: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub disabled_at: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
}

pub fn list_for_client(
    conn: &mut DbConnection,
    client_id: &str,
) -> QueryResult<Vec<PushSubscription>> {
    push_subscriptions::table
        .filter(push_subscriptions::client_id.eq(client_id))
        .order(push_subscriptions::created_at.asc())
        .select(PushSubscription::as_select())
        .load(conn)
}

/// The client's own registration of `endpoint`, if any.
pub fn find_for_client(
    conn: &mut DbConnection,
    client_id: &str,
    endpoint: &str,
) -> QueryResult<Option<PushSubscription>> {
    push_subscriptions::table
        .filter(push_subscriptions::client_id.eq(client_id))
        .filter(push_subscriptions::endpoint.eq(endpoint))
        .select(PushSubscription::as_select())
        .first(conn)
        .optional()
}

/// Registers an endpoint for `new.client_id`, or refreshes that client's own
/// registration of it (keys rotate; a disabled one is enabled again). Keyed on
/// (client, endpoint): another client's row with the same endpoint is never read,
/// moved or revealed. Returns the stored row and whether it is new. Runs in the
/// caller's transaction.
pub fn upsert(
    conn: &mut DbConnection,
    new: PushSubscription,
) -> QueryResult<(PushSubscription, bool)> {
    // Insert first so two concurrent registrations of one endpoint by one client
    // meet at the unique key instead of both inserting; the loser refreshes.
    let inserted = match conn {
        DbConnection::Postgresql(pg) => diesel::insert_into(push_subscriptions::table)
            .values(&new)
            .on_conflict_do_nothing()
            .execute(pg)?,
        DbConnection::Sqlite(lite) => diesel::insert_or_ignore_into(push_subscriptions::table)
            .values(&new)
            .execute(lite)?,
    };
    if inserted == 1 {
        return Ok((new, true));
    }
    let existing = find_for_client(conn, &new.client_id, &new.endpoint)?
        .ok_or(diesel::result::Error::NotFound)?;
    let updated = PushSubscription {
        id: existing.id,
        created_at: existing.created_at,
        ..new
    };
    diesel::update(push_subscriptions::table.find(&updated.id))
        .set(&updated)
        .execute(conn)?;
    Ok((updated, false))
}

pub fn delete_for_client(conn: &mut DbConnection, client_id: &str, id: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(
        push_subscriptions::table
            .filter(push_subscriptions::id.eq(id))
            .filter(push_subscriptions::client_id.eq(client_id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PushSubscription>> {
    push_subscriptions::table
        .find(id)
        .select(PushSubscription::as_select())
        .first(conn)
        .optional()
}

/// The subscriptions with these ids, in one query (an id without one is left out).
pub fn find_many(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<PushSubscription>> {
    push_subscriptions::table
        .filter(push_subscriptions::id.eq_any(ids))
        .select(PushSubscription::as_select())
        .load(conn)
}

/// The active (not disabled) subscription ids of each of `client_ids`, oldest first,
/// in one query.
pub fn active_ids_of_clients(
    conn: &mut DbConnection,
    client_ids: &[&str],
) -> QueryResult<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = push_subscriptions::table
        .filter(push_subscriptions::client_id.eq_any(client_ids))
        .filter(push_subscriptions::disabled_at.is_null())
        .order((
            push_subscriptions::client_id.asc(),
            push_subscriptions::created_at.asc(),
        ))
        .select((push_subscriptions::client_id, push_subscriptions::id))
        .load(conn)?;
    let mut by_client: HashMap<String, Vec<String>> = HashMap::new();
    for (client_id, id) in rows {
        by_client.entry(client_id).or_default().push(id);
    }
    Ok(by_client)
}

/// Disables every active subscription (the VAPID key was rotated: each was made with
/// the old key). The app subscribes again with the new key at its next start.
pub fn disable_all(conn: &mut DbConnection, reason: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(push_subscriptions::table.filter(push_subscriptions::disabled_at.is_null()))
        .set((
            push_subscriptions::disabled_at.eq(Some(at)),
            push_subscriptions::disabled_reason.eq(Some(reason)),
            push_subscriptions::updated_at.eq(at),
        ))
        .execute(conn)
}

/// Stops using a subscription the push service reported gone (404/410).
pub fn disable(
    conn: &mut DbConnection,
    id: &str,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(push_subscriptions::table.find(id))
        .set((
            push_subscriptions::disabled_at.eq(Some(at)),
            push_subscriptions::disabled_reason.eq(Some(reason)),
            push_subscriptions::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}
