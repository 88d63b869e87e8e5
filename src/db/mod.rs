//! Storage: one diesel connection type over PostgreSQL and SQLite, chosen by the URL
//! scheme ([`DbConnection`]), then in modules of their own: the r2d2 pool (`pool`), the
//! embedded twin migrations (`migrate`), `run` to keep blocking diesel calls off the
//! async executor with its checkout counters (`run`), the liveness and writability
//! probes (`probe`), transactions (`tx`) and the storage errors (`error`). Their items
//! are re-exported here, so callers name them `db::run`, `db::write_transaction`.

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
pub(crate) mod bundle;
pub mod calendar_feeds;
pub mod clients;
pub mod clinics;
pub(crate) mod columns;
pub mod deliveries;
mod error;
mod migrate;
pub mod notes;
mod pool;
mod probe;
pub(crate) mod protocol_changes;
pub mod push_subscriptions;
pub(crate) mod queue;
pub mod roster;
mod run;
pub mod schema;
mod sqlite_plans;
pub mod staff;
pub mod standing;
pub(crate) mod stored_time;
mod tx;
pub mod unsubscribe_tokens;
pub(crate) mod vapid_keys;

use diesel::{PgConnection, SqliteConnection};

pub use crate::config::DatabaseUrl;
pub use error::{read_error, DbError, StoreError, StoreFailure};
pub use migrate::{revert_all_migrations, run_migrations, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
pub use pool::{connect, DbManager, DbPool};
pub use probe::{check_writable, ping};
pub use run::{pool_gauges, run, run_read};
pub use tx::{read_together, write_transaction};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}
