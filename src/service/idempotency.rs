//! Idempotent POSTs: the first answer to a request carrying an `Idempotency-Key` is
//! stored in the same transaction as the change it reports, and replayed to retries
//! with the same body; the same key with another body is refused.

use chrono::{DateTime, Utc};

use super::Error;
use crate::db::clients::{self, StoredResponse};
use crate::db::DbConnection;

/// An `Idempotency-Key` and the fingerprint of the request body it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: String,
}

impl IdempotencyKey {
    /// Checks the header value: 1-255 characters, surrounding quotes dropped.
    pub fn new(raw: &str, body: &[u8]) -> Result<IdempotencyKey, Error> {
        let key = raw.trim().trim_matches('"').to_string();
        if key.is_empty() || key.len() > 255 {
            return Err(Error::invalid(
                "Idempotency-Key",
                "must be 1-255 characters",
            ));
        }
        Ok(IdempotencyKey {
            key,
            fingerprint: crate::tokens::hash(&String::from_utf8_lossy(body)),
        })
    }
}

/// A stored answer to replay.
#[derive(Debug, Clone)]
pub struct Replay {
    pub status: u16,
    pub body: String,
}

/// The stored answer for `key`, if this clinic used it before.
pub fn find(
    conn: &mut DbConnection,
    clinic_id: &str,
    key: &IdempotencyKey,
) -> Result<Option<Replay>, Error> {
    let Some(stored) = clients::find_stored_response(conn, clinic_id, &key.key)? else {
        return Ok(None);
    };
    if stored.request_fingerprint != key.fingerprint {
        return Err(Error::invalid(
            "Idempotency-Key",
            "this Idempotency-Key was used with a different request body",
        ));
    }
    Ok(Some(Replay {
        status: u16::try_from(stored.response_status).unwrap_or(200),
        body: stored.response_body,
    }))
}

/// Stores the answer to replay, in the transaction of the change it reports.
pub fn save(
    conn: &mut DbConnection,
    clinic_id: &str,
    key: &IdempotencyKey,
    answer: &Replay,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    clients::store_response(
        conn,
        &StoredResponse {
            clinic_id: clinic_id.to_string(),
            idempotency_key: key.key.clone(),
            request_fingerprint: key.fingerprint.clone(),
            response_status: i32::from(answer.status),
            response_body: answer.body.clone(),
            created_at: now.naive_utc(),
        },
    )?;
    Ok(())
}
