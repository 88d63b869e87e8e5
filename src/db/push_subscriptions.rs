//! Push subscription repository.

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

pub fn find_by_endpoint(
    conn: &mut DbConnection,
    endpoint: &str,
) -> QueryResult<Option<PushSubscription>> {
    push_subscriptions::table
        .filter(push_subscriptions::endpoint.eq(endpoint))
        .select(PushSubscription::as_select())
        .first(conn)
        .optional()
}

/// Registers an endpoint, or refreshes it when the browser registers it again (keys
/// rotate; a device may change hands between clients). Returns the stored row and
/// whether it is new. Runs in the caller's transaction.
pub fn upsert(
    conn: &mut DbConnection,
    new: PushSubscription,
) -> QueryResult<(PushSubscription, bool)> {
    match find_by_endpoint(conn, &new.endpoint)? {
        Some(existing) => {
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
        None => {
            diesel::insert_into(push_subscriptions::table)
                .values(&new)
                .execute(conn)?;
            Ok((new, true))
        }
    }
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
