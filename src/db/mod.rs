//! Storage: one diesel connection type over PostgreSQL and SQLite, chosen by the URL
//! scheme, an r2d2 pool, embedded twin migrations, and `run` to keep blocking diesel
//! calls off the async executor.

pub mod clients;
pub mod clinics;
pub mod deliveries;
pub mod push_subscriptions;
pub mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use secrecy::ExposeSecret;

use crate::config::{redact_url, DatabaseSettings};
use crate::error::ApiError;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = r2d2::Pool<DbManager>;
pub type PooledConnection = r2d2::PooledConnection<DbManager>;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any number of replicas may start at once; this lock makes them migrate one at a time.
const MIGRATION_LOCK_KEY: i64 = 0x0053_4d50_5f6d_6967; // "SMP_mig"

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database.url: unsupported scheme in {0:?}; use sqlite://PATH or postgres://...")]
    UnknownScheme(String),
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
}

/// A parsed `database.url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<DatabaseUrl, DbError> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw)
                .map_err(|e| DbError::BadUrl(format!("{}: {e}", redact_url(raw))))?;
            return Ok(DatabaseUrl::Postgres(raw.to_string()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .ok_or_else(|| DbError::UnknownScheme(redact_url(raw)))?;
        if path.is_empty() || path == ":memory:" {
            // Every pooled connection would get its own empty database.
            return Err(DbError::BadUrl(
                "SQLite needs a file path (sqlite://data/smp-aftercare.db); :memory: is not supported"
                    .to_string(),
            ));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Postgres(_) => "postgresql",
            DatabaseUrl::Sqlite(_) => "sqlite",
        }
    }
}

/// Opens connections the way each backend needs: real errors from PostgreSQL (the
/// derived `establish` hides them) and per-connection pragmas on SQLite.
#[derive(Debug)]
pub struct DbManager {
    url: DatabaseUrl,
    sqlite_busy_timeout_ms: u32,
}

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
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL lets readers run beside the writer; busy_timeout makes writers
                // queue instead of failing; foreign keys are off by default in SQLite.
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON;",
                    self.sqlite_busy_timeout_ms
                ))
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

/// Builds the pool. Opens one connection first so a wrong URL, an unreachable server
/// or an unwritable data folder fails here with the real reason.
pub fn connect(settings: &DatabaseSettings) -> Result<DbPool, DbError> {
    let url = DatabaseUrl::parse(settings.url.expose_secret())?;
    if let DatabaseUrl::Sqlite(path) = &url {
        ensure_parent_folder(path)?;
    }
    let manager = DbManager::new(url, settings.sqlite_busy_timeout_ms);
    manager.open().map_err(|e| DbError::Connect {
        url: settings.redacted_url(),
        message: e.to_string().trim().to_string(),
    })?;
    Ok(r2d2::Pool::builder()
        .max_size(settings.pool_size)
        .min_idle(Some(1))
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

/// Applies pending migrations; returns the names of those applied.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let fail = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    let names = |versions: Vec<diesel::migration::MigrationVersion<'_>>| {
        versions.iter().map(ToString::to_string).collect::<Vec<_>>()
    };
    match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(names)
            .map_err(fail),
        DbConnection::Postgresql(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(c)
                .map_err(|e| DbError::Migration(e.to_string()))?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(names)
                .map_err(fail);
            let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(c);
            result
        }
    }
}

/// Reverts every migration (used by the migration tests).
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let fail = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    let reverted = match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map_err(fail)?,
        DbConnection::Postgresql(c) => {
            c.revert_all_migrations(POSTGRES_MIGRATIONS).map_err(fail)?
        }
    };
    Ok(reverted.iter().map(ToString::to_string).collect())
}

/// Runs blocking diesel work on the blocking thread pool. A pool timeout (database
/// down) becomes a 503, never a hung request or a 500.
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool
            .get()
            .map_err(|e| ApiError::Unavailable(format!("database unavailable: {e}")))?;
        match work(&mut conn) {
            // A query that failed because the server went away is an outage (503,
            // retry later), not a bug (500).
            Err(ApiError::Internal(why)) if ping(&mut conn).is_err() => Err(ApiError::Unavailable(
                format!("database unavailable: {why}"),
            )),
            other => other,
        }
    })
    .await
    .map_err(ApiError::internal)?
}

/// Whether the database answers a trivial query.
pub fn ping(conn: &mut DbConnection) -> Result<(), ApiError> {
    conn.batch_execute("SELECT 1")
        .map_err(|e| ApiError::Unavailable(format!("database unavailable: {e}")))
}
