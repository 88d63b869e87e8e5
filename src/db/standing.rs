//! Each client's stored standing (see `domain::standing`): written when it is renewed,
//! and which clients' standing has gone stale.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::clients;
use super::DbConnection;
use crate::domain::standing::Standing;

/// Stores the client's standing, good until `until`.
pub fn write(
    conn: &mut DbConnection,
    client_id: &str,
    standing: &Standing,
    until: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(clients::table.find(client_id))
        .set((
            clients::stage.eq(standing.stage.as_str()),
            clients::in_series.eq(standing.in_series()),
            clients::final_session.eq(standing.is_final_session),
            clients::booking.eq(standing.booking.map(|b| b.as_str())),
            clients::standing_until.eq(until),
        ))
        .execute(conn)
}

/// Leaves the stored standing as it is and looks at it again at `at`.
pub fn renew_at(conn: &mut DbConnection, client_id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(clients::table.find(client_id))
        .set(clients::standing_until.eq(at))
        .execute(conn)
}

/// Every client of the clinic is renewed from `at` on (its protocol changed).
pub fn mark_clinic_stale(
    conn: &mut DbConnection,
    clinic_id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(clients::table.filter(clients::clinic_id.eq(clinic_id)))
        .set(clients::standing_until.eq(at))
        .execute(conn)
}

/// Up to `limit` clients whose standing is stale at `now`, the stalest first.
pub fn stale(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    clients::table
        .filter(clients::standing_until.le(now))
        .order(clients::standing_until.asc())
        .limit(limit)
        .select(clients::id)
        .load(conn)
}
