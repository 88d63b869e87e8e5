//! Stored answers to idempotent POSTs (`Idempotency-Key`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::idempotency_keys;
use crate::db::DbConnection;

/// A stored answer to an idempotent POST.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct StoredResponse {
    pub clinic_id: String,
    pub idempotency_key: String,
    pub request_fingerprint: String,
    pub response_status: i32,
    pub response_body: String,
    pub created_at: NaiveDateTime,
}

pub fn find_stored_response(
    conn: &mut DbConnection,
    clinic_id: &str,
    key: &str,
) -> QueryResult<Option<StoredResponse>> {
    idempotency_keys::table
        .find((clinic_id, key))
        .select(StoredResponse::as_select())
        .first(conn)
        .optional()
}

pub fn store_response(conn: &mut DbConnection, stored: &StoredResponse) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values(stored)
        .execute(conn)
        .map(|_| ())
}
