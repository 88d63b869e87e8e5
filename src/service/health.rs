//! Readiness: does the database answer, and accept writes, within a bound of its own?

use std::time::Duration;

use super::{Error, Services};
use crate::db::{self, StoreError};

/// How long /readyz waits for the database: well under the 2 s a health checker
/// commonly allows, so it sees our 503 rather than its own timeout. Not the pool's
/// connect timeout (5 s by default), which is for requests that may wait.
pub const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// Ok when the database answers and accepts writes within [`READY_TIMEOUT`]. A
/// database that only reads is not ready: every write request would fail.
pub async fn ready(s: &Services) -> Result<(), Error> {
    let pool = s.pool.clone();
    let timed_out = |why: String| {
        Error::Unavailable(format!(
            "database did not answer within {} s{why}",
            READY_TIMEOUT.as_secs()
        ))
    };
    // The pool wait has the same bound, so a blocking thread is not held for the
    // pool's longer timeout after the answer went out; the outer bound also covers
    // a query that hangs on a connection already taken.
    let check = tokio::task::spawn_blocking(move || {
        let checkout = || {
            pool.get_timeout(READY_TIMEOUT)
                .map_err(|e| timed_out(format!(": {}", e.to_string().trim())))
        };
        // A connection the server closed while it sat in the pool (a restart, terminated
        // backends) says nothing about the database now: each such one is discarded
        // and the next asked, until a fresh connection answers or cannot be opened.
        let mut stale = pool.state().idle_connections;
        let mut conn = checkout()?;
        while let Err(e) = db::ping(&mut conn) {
            if stale == 0 {
                return Err(e.into());
            }
            stale -= 1;
            drop(conn);
            conn = checkout()?;
        }
        db::check_writable(&mut conn).map_err(|e| match e {
            StoreError::ReadOnly(_) => Error::from(e),
            other => Error::Unavailable(format!("database unavailable: {other}")),
        })
    });
    match tokio::time::timeout(READY_TIMEOUT, check).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(task)) => Err(Error::internal(task)),
        Err(_) => Err(timed_out(String::new())),
    }
}
