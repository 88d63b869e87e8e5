//! Transactions as each backend needs them.

use diesel::Connection;

use super::DbConnection;

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
