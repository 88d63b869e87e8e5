//! The use cases: every verb the API, the CLI and the console offer, in one place
//! each, so they cannot disagree. Handlers extract, call one of these and respond.
//!
//! A service takes the `Services` handle (built once, in `app.rs`), validates its
//! input into domain types, does its work in one transaction where it writes, and
//! answers with an [`Error`] that names the field at fault.

pub mod api_keys;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod client_auth;
pub mod clients;
pub mod clinics;
pub mod days;
pub mod error;
pub mod export;
pub mod health;
pub mod history;
pub mod idempotency;
pub mod import;
pub mod invitations;
pub mod metrics;
pub mod notes;
pub mod preferences;
pub mod protocol_basics;
pub mod protocol_check_in;
pub mod protocol_edit;
pub mod protocol_history;
pub mod push;
pub mod queue;
pub mod replan;
pub mod roster;
pub mod sessions;
pub mod sign_in;
pub mod staff;
pub mod validate;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::clock::SharedClock;
use crate::config::Settings;
pub use crate::db::bundle::ClientBundle;
use crate::db::{self, DbConnection, DbPool};
pub use crate::links::Links;
use crate::metrics::Metrics;
use crate::notify::email::Mailer;
use crate::notify::vapid::VapidKeys;
pub use error::{Error, FieldError};

/// What every use case can reach. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub pool: DbPool,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    pub links: Links,
    /// "sqlite" or "postgresql", for readiness and logs.
    pub backend: &'static str,
    /// The VAPID public key browsers subscribe with (base64url).
    pub vapid_public_key: String,
    /// The channels the reminder engine sends on.
    pub mailer: Mailer,
    pub vapid: VapidKeys,
    /// Wakes the dispatcher when something was queued (an invitation) so it goes out
    /// now rather than at the next tick.
    pub outbox: Arc<tokio::sync::Notify>,
    /// This service's metrics (its own registry; shared with its engine).
    pub metrics: Metrics,
}

impl Services {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Runs blocking database work off the async executor.
    pub async fn db<T, F>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        db::run(&self.pool, work).await
    }

    /// A short read (one client, a page of a list), on SQLite without a hop to the
    /// blocking pool: see [`db::run_read`]. Never for work that writes.
    pub async fn read<T, F>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        db::run_read(&self.pool, work).await
    }
}

/// The clinic a request acts for (from its API key or a staff session), and who acts:
/// every change is recorded in the audit log under `actor`.
#[derive(Debug, Clone)]
pub struct ClinicRef {
    pub id: String,
    pub name: String,
    pub email: String,
    pub actor: audit::Actor,
}
