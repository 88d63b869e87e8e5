//! `run`: blocking diesel work off the async executor, with the checkout counters
//! the metrics read.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use super::{ping, DbConnection, DbPool, StoreError, StoreFailure};

/// What r2d2 does not tell: callers of `run` waiting for a connection, and the waits
/// that timed out. r2d2 exposes neither its waiters nor its manager, so the count is
/// kept beside `run`, the one checkout path of async work, per process (a process has
/// one pool; tests that spawn several services in one process share it, and assert
/// none of it).
struct Checkouts {
    waiting: AtomicI64,
    timeouts: AtomicU64,
}

static CHECKOUTS: Checkouts = Checkouts {
    waiting: AtomicI64::new(0),
    timeouts: AtomicU64::new(0),
};

/// Runs blocking diesel work on the blocking thread pool. A pool timeout (database
/// down) becomes `Unavailable`, never a hung request; so does a failure after which
/// the database no longer answers.
pub async fn run<T, E, F>(pool: &DbPool, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: StoreFailure + std::fmt::Display + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let checkouts = &CHECKOUTS;
        checkouts.waiting.fetch_add(1, Ordering::Relaxed);
        let conn = pool.get();
        checkouts.waiting.fetch_sub(1, Ordering::Relaxed);
        let mut conn = conn.map_err(|e| {
            checkouts.timeouts.fetch_add(1, Ordering::Relaxed);
            StoreError::Unavailable(e.to_string())
        })?;
        run_on(&mut conn, work)
    })
    .await
    .unwrap_or_else(|e| Err(StoreError::Task(e.to_string()).into()))
}

/// Runs a short read (one client's rows, a page of a list) like [`run`], but on SQLite
/// in place, on the calling thread, when the pool has a connection free at once. A
/// read of a few cached pages in this process costs less than the two thread hand-offs
/// to the blocking pool and back (under perf, their wake-ups and context switches were
/// 30% of the CPU of `GET /v1/me/today`; in the HTTP bench, in place took its ratio to
/// `/healthz` from 0.34 to 0.36 and the client list's from 0.048 to 0.06). In WAL mode
/// a reader never waits for the writer. Never for work
/// that may write (a writer waits up to `busy_timeout` for the lock) or read without
/// bound, and never on PostgreSQL, whose reads wait on the network.
pub async fn run_read<T, E, F>(pool: &DbPool, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: StoreFailure + std::fmt::Display + Send + 'static,
{
    match pool.try_get() {
        Some(mut conn) if matches!(*conn, DbConnection::Sqlite(_)) => run_on(&mut conn, work),
        // r2d2 does not tell the backend before a checkout; this one travels along.
        Some(mut conn) => tokio::task::spawn_blocking(move || run_on(&mut conn, work))
            .await
            .unwrap_or_else(|e| Err(StoreError::Task(e.to_string()).into())),
        None => run(pool, work).await,
    }
}

/// `work` on `conn`; a failure after which the database no longer answers becomes
/// `Unavailable`.
fn run_on<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: StoreFailure + std::fmt::Display + From<StoreError>,
{
    match work(conn) {
        Err(e) if e.is_store_failure() && ping(conn).is_err() => {
            Err(StoreError::Unavailable(e.to_string()).into())
        }
        other => other,
    }
}

/// The pool for the metrics: connections in use and idle (r2d2's count), callers of
/// `run` waiting for one and the checkouts that timed out (this process's, see
/// `Checkouts`).
pub fn pool_gauges(pool: &DbPool) -> crate::metrics::PoolGauges {
    let state = pool.state();
    let checkouts = &CHECKOUTS;
    crate::metrics::PoolGauges {
        in_use: i64::from(state.connections.saturating_sub(state.idle_connections)),
        idle: i64::from(state.idle_connections),
        max: i64::from(pool.max_size()),
        waiting: checkouts.waiting.load(Ordering::Relaxed).max(0),
        timeouts: checkouts.timeouts.load(Ordering::Relaxed),
    }
}
