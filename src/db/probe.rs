//! Probes of a connection: does the database still answer, does it accept writes.

use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;

use super::{DbConnection, StoreError};

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
