//! The use cases: every verb the API, the CLI and the console offer, in one place
//! each, so they cannot disagree. Handlers extract, call one of these and respond.
//!
//! A service takes the `Services` handle (built once, in `app.rs`), validates its
//! input into domain types, does its work in one transaction where it writes, and
//! answers with an [`Error`] that names the field at fault.

pub mod api_keys;
pub mod audit;
pub mod authz;
pub(crate) mod backup;
pub(crate) mod calendar;
pub(crate) mod client_auth;
pub(crate) mod client_record;
pub mod clients;
pub mod clinics;
pub(crate) mod days;
pub(crate) mod error;
pub(crate) mod export;
pub mod health;
pub(crate) mod history;
pub(crate) mod idempotency;
pub mod import;
pub(crate) mod invitations;
pub(crate) mod metrics;
pub(crate) mod notes;
pub(crate) mod preferences;
pub(crate) mod protocol_basics;
pub(crate) mod protocol_check_in;
pub mod protocol_edit;
pub(crate) mod protocol_history;
pub(crate) mod push;
pub(crate) mod queue;
pub(crate) mod replan;
pub mod roster;
pub mod sessions;
pub(crate) mod sign_in;
pub mod staff;
pub(crate) mod validate;

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
pub use client_record::ClientRecord;
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
    pub actor: authz::Actor,
}
