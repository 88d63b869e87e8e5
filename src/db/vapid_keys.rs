//! The deployment's VAPID key pair, one row: every replica reads the same key, so a
//! subscription made through one replica is accepted when another sends.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::vapid_keys;
use super::DbConnection;

const ROW: i32 = 1;

/// The stored private key (PKCS#8 PEM), if one was stored.
pub fn find(conn: &mut DbConnection) -> QueryResult<Option<String>> {
    vapid_keys::table
        .find(ROW)
        .select(vapid_keys::private_key_pem)
        .first(conn)
        .optional()
}

/// Stores `pem` unless a key is stored already (another replica's first start won);
/// either way answers the key that is stored now.
pub fn store_first(conn: &mut DbConnection, pem: &str, at: NaiveDateTime) -> QueryResult<String> {
    super::write_transaction(conn, |conn| {
        if let Some(stored) = find(conn)? {
            return Ok(stored);
        }
        diesel::insert_into(vapid_keys::table)
            .values((
                vapid_keys::id.eq(ROW),
                vapid_keys::private_key_pem.eq(pem),
                vapid_keys::created_at.eq(at),
            ))
            .execute(conn)?;
        Ok(pem.to_string())
    })
    .or_else(|e| match e {
        // PostgreSQL: two first starts both found nothing; the loser reads the winner's.
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => find(conn)?.ok_or(diesel::result::Error::NotFound),
        other => Err(other),
    })
}

/// Replaces the stored key (a rotation).
pub fn replace(conn: &mut DbConnection, pem: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(vapid_keys::table).execute(conn)?;
    diesel::insert_into(vapid_keys::table)
        .values((
            vapid_keys::id.eq(ROW),
            vapid_keys::private_key_pem.eq(pem),
            vapid_keys::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
