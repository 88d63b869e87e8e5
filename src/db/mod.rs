//! Storage: one diesel connection type over PostgreSQL and SQLite, chosen by the URL
//! scheme, an r2d2 pool, embedded twin migrations, and `run` to keep blocking diesel
//! calls off the async executor.

/// Runs one diesel query on the backend's own connection instead of through the
/// multi-connection: `on_backend!(conn, |c| query.load(c))`. The derived
/// `MultiConnection` renders the whole SQL text of a query on every execution (its
/// `SerializedQuery` writes the inner query to a string even to collect the binds, and
/// a boxed query has no static id, so the statement cache keys it by that text), which
/// was a fifth of the CPU of `GET /v1/me/today`; on the inner connection a query of a
/// static type is found in the statement cache by its type alone. For the hot reads;
/// the query must not be boxed for `MultiBackend`.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

pub mod api_keys;
pub mod audit;
pub mod bundle;
pub mod calendar_feeds;
pub mod clients;
pub mod clinics;
pub mod columns;
pub mod deliveries;
mod migrate;
pub mod notes;
pub mod protocol_changes;
pub mod push_subscriptions;
pub mod queue;
pub mod roster;
pub mod schema;
mod sqlite_plans;
pub mod staff;
pub mod standing;
pub mod stored_time;
pub mod unsubscribe_tokens;
pub mod vapid_keys;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};

use crate::config::DatabaseSettings;
pub use crate::config::DatabaseUrl;
pub use migrate::{revert_all_migrations, run_migrations, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = r2d2::Pool<DbManager>;

/// Why the database could not be made ready at start.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database.url: {0}")]
    BadUrl(String),
    #[error("cannot create data folder {path}: {source}")]
    DataFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot connect to {url}: {message}")]
    Connect { url: String, message: String },
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("database {url} does not accept writes: {message}")]
    ReadOnly { url: String, message: String },
}

diesel::define_sql_function! {
    /// Hex SHA-256 of a text, as `tokens::hash` computes it (SQLite only).
    fn smp_sha256_hex(value: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Opens connections the way each backend needs: real errors from PostgreSQL (the
/// derived `establish` hides them) and per-connection pragmas on SQLite.
#[derive(Debug)]
pub struct DbManager {
    url: DatabaseUrl,
    sqlite_busy_timeout_ms: u32,
}

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

impl DbManager {
    pub fn new(url: DatabaseUrl, sqlite_busy_timeout_ms: u32) -> DbManager {
        DbManager {
            url,
            sqlite_busy_timeout_ms,
        }
    }

    fn open(&self) -> Result<DbConnection, diesel::ConnectionError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                PgConnection::establish(url).map(DbConnection::Postgresql)
            }
            DatabaseUrl::Sqlite(path) => {
                sqlite_plans::stable_plans_for_new_connections();
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL lets readers run beside the writer; busy_timeout makes writers
                // queue instead of failing; foreign keys are off by default in SQLite.
                // secure_delete zeroes what a delete frees: otherwise an erased
                // client's data or a spent token's row stays readable in free pages.
                conn.batch_execute(&format!(
                    // busy_timeout first: switching a new file to WAL takes a lock,
                    // and two connections opening at once must wait, not fail.
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA secure_delete = ON;",
                    self.sqlite_busy_timeout_ms
                ))
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                // SQLite has no SHA-256; migration 2026-11-22-000004 hashes the
                // plaintext unsubscribe tokens it replaces with this.
                smp_sha256_hex_utils::register_impl(&mut conn, |value: String| {
                    crate::tokens::hash(&value)
                })
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for DbManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.open().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || r2d2::R2D2Connection::is_broken(conn)
    }
}

/// Builds the pool. Opens one connection first so a wrong URL, an unreachable server,
/// an unwritable data folder or a database that refuses writes fails here with the
/// real reason (a read-only database would otherwise start, and fail every write).
pub fn connect(settings: &DatabaseSettings) -> Result<DbPool, DbError> {
    let url = settings.backend().map_err(DbError::BadUrl)?;
    if let DatabaseUrl::Sqlite(path) = &url {
        ensure_parent_folder(path)?;
    }
    let manager = DbManager::new(url, settings.sqlite_busy_timeout_ms);
    let mut first = manager.open().map_err(|e| DbError::Connect {
        url: settings.redacted_url(),
        message: e.to_string().trim().to_string(),
    })?;
    check_writable(&mut first).map_err(|e| {
        let url = settings.redacted_url();
        match e {
            StoreError::ReadOnly(message) => DbError::ReadOnly { url, message },
            other => DbError::Connect {
                url,
                message: other.to_string(),
            },
        }
    })?;
    Ok(r2d2::Pool::builder()
        .max_size(settings.pool_size)
        .min_idle(Some(1))
        // No `SELECT 1` before every checkout (r2d2's default): it doubled the round
        // trips of a short request. A connection the server dropped is handed out once
        // more: its first query fails, `run`'s `ping` then marks it broken and r2d2
        // discards it when it comes back (`has_broken`); that one request is answered
        // `Unavailable` (/readyz retries on a fresh one). SQLite's are never dropped.
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(settings.connect_timeout_secs))
        .build_unchecked(manager))
}

fn ensure_parent_folder(path: &Path) -> Result<(), DbError> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    std::fs::create_dir_all(parent).map_err(|source| DbError::DataFolder {
        path: parent.to_path_buf(),
        source,
    })?;
    // create_dir_all succeeds on an existing read-only folder; SQLite would then fail
    // later with a vaguer message, so probe writability now.
    let probe = parent.join(".smp-write-test");
    std::fs::write(&probe, b"").map_err(|source| DbError::DataFolder {
        path: parent.to_path_buf(),
        source,
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// A failure of a repository call, whatever the caller's own error type.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The pool has no connection to give (the database is down or overloaded), or a
    /// query failed because the server went away: an outage, worth retrying later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    /// A stored value that cannot be read (an unknown status, a broken zone or JSON).
    #[error("unreadable stored data: {0}")]
    Corrupt(String),
    /// The database answers but refuses writes.
    #[error("database does not accept writes: {0}")]
    ReadOnly(String),
    /// The blocking task running the work panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(String),
}

/// Error types that `run` can turn into an outage when the database went away.
pub trait StoreFailure: From<StoreError> {
    /// True for a failure that may have come from the database (not a refusal of the
    /// caller's input), so `run` checks whether the database is still there.
    fn is_store_failure(&self) -> bool;
}

impl StoreFailure for StoreError {
    fn is_store_failure(&self) -> bool {
        !matches!(self, StoreError::Unavailable(_))
    }
}

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

/// Whether the database accepts writes, without writing: a read-only SQLite file (the
/// folder may be writable) or a read-only PostgreSQL session (a standby, or
/// `default_transaction_read_only`) answers reads and refuses every write.
pub fn check_writable(conn: &mut DbConnection) -> Result<(), StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    #[derive(diesel::QueryableByName)]
    struct BusyTimeout {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        timeout: i32,
    }
    let read_only = |why: String| StoreError::ReadOnly(why);
    match conn {
        DbConnection::Postgresql(_) => {
            let setting: Setting =
                diesel::sql_query("SELECT current_setting('transaction_read_only') AS value")
                    .get_result(conn)?;
            if setting.value == "on" {
                return Err(read_only("the session is read-only".into()));
            }
            Ok(())
        }
        DbConnection::Sqlite(_) => {
            // Only a write proves the file writable (in WAL mode even BEGIN IMMEDIATE
            // succeeds on a read-only file): create a table and roll it back. Without
            // waiting for the lock (busy_timeout 0): held by another writer, it proves
            // the same.
            let BusyTimeout { timeout } =
                diesel::sql_query("PRAGMA busy_timeout").get_result(conn)?;
            conn.batch_execute("PRAGMA busy_timeout = 0")?;
            let attempt = conn
                .batch_execute("BEGIN IMMEDIATE")
                .and_then(|()| conn.batch_execute("CREATE TABLE smp_write_probe (x INTEGER)"));
            // SQLite may have ended the transaction itself after a failed write.
            let rollback = conn.batch_execute("ROLLBACK");
            conn.batch_execute(&format!("PRAGMA busy_timeout = {timeout}"))?;
            if let Err(e) = rollback {
                if attempt.is_ok() || !e.to_string().contains("no transaction is active") {
                    return Err(e.into());
                }
            }
            match attempt {
                Ok(()) => Ok(()),
                Err(e) if e.to_string().contains("database is locked") => Ok(()),
                Err(e) => Err(read_only(e.to_string())),
            }
        }
    }
}

/// Whether the database answers a trivial query.
/// Whether the database still answers on this connection. One that does not is marked
/// broken, so the pool discards it instead of handing it out again: diesel's own
/// `is_broken` looks only at the transaction state, and a PostgreSQL connection the
/// server closed between transactions would otherwise fail every checkout forever.
pub fn ping(conn: &mut DbConnection) -> Result<(), StoreError> {
    conn.batch_execute("SELECT 1").map_err(|e| {
        if let DbConnection::Postgresql(pg) = conn {
            use diesel::connection::{AnsiTransactionManager, TransactionManager};
            AnsiTransactionManager::transaction_manager_status_mut(pg).set_in_error();
        }
        StoreError::Unavailable(e.to_string())
    })
}

/// Runs reads that belong together (a request's authentication and its read) as one
/// snapshot. On SQLite that is one deferred read transaction: the WAL read lock is
/// taken and released once instead of around every statement (those locks were a
/// fifth of the CPU of `GET /v1/me/today`). On PostgreSQL the reads run as they are:
/// a transaction would add two round trips, and each statement already sees a
/// consistent snapshot of its own. `work` must not write.
pub fn read_together<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(_) => conn.transaction(work),
        DbConnection::Postgresql(_) => work(conn),
    }
}

/// Runs `work` in a transaction that may write. On SQLite it starts with
/// `BEGIN IMMEDIATE`, taking the write lock at once: a deferred transaction that reads
/// first and writes later fails at once with "database is locked" when another writer
/// holds the lock, instead of waiting `busy_timeout` for it, so concurrent writers
/// would get errors instead of queueing. PostgreSQL locks rows as it goes.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let DbConnection::Sqlite(lite) = conn else {
        return conn.transaction(work);
    };
    // The multi-connection's transaction state is the inner connection's, so work
    // that nests `transaction` calls gets savepoints inside this one.
    AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")?;
    let outcome = work(conn);
    let DbConnection::Sqlite(lite) = conn else {
        unreachable!("the connection's backend does not change");
    };
    match outcome {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(lite)?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = AnsiTransactionManager::rollback_transaction(lite) {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

/// A read failure of a typed row, with the row it came from: an unreadable stored
/// value is logged with its row id and reported, never replaced by a default.
pub fn read_error(what: &str, id: &str, error: diesel::result::Error) -> StoreError {
    match error {
        diesel::result::Error::DeserializationError(why) => {
            tracing::error!(row = %id, table = what, error = %why, "unreadable stored value");
            StoreError::Corrupt(format!("{what} {id}: {why}"))
        }
        other => StoreError::Query(other),
    }
}
