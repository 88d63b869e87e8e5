//! The r2d2 pool and how each backend's connections are opened.

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, SqliteConnection};

use super::{check_writable, sqlite_plans, DatabaseUrl, DbConnection, DbError, StoreError};
use crate::config::DatabaseSettings;

pub type DbPool = r2d2::Pool<DbManager>;

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
