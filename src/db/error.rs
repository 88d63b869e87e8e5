//! The storage errors: why the database could not be made ready at start, and why a
//! repository call failed.

use std::path::PathBuf;

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
