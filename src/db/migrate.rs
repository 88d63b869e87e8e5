//! The embedded migrations (twin folders, one per backend), applied at start.

use diesel::RunQueryDsl;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{DbConnection, DbError};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any number of replicas may start at once; this lock makes them migrate one at a time.
const MIGRATION_LOCK_KEY: i64 = 0x0053_4d50_5f6d_6967; // "SMP_mig"

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
