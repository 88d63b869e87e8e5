//! Who may do what: the actor of every service call ([`Actor`], carried in
//! [`ClinicRef::actor`]) and the checks the services make before acting, written once
//! here so the API, the console and the command line cannot disagree. The console's
//! pages ask the same questions (`is_owner`, [`may_edit`]) to show or hide what a
//! member may not use; the services refuse it again.

use super::{ClinicRef, Error, Services};
use crate::db::DbConnection;
use crate::domain::StaffRole;

/// Who acts: a signed-in staff member, an integration's API key, or the operator at
/// the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Staff {
        id: String,
        name: String,
        role: StaffRole,
    },
    ApiKey {
        id: String,
        name: String,
    },
    Cli,
    /// A client, acting on their own data (downloading it). Named "Client" in the
    /// log, never by name: the subject names them, and erasure blanks that.
    Client {
        id: String,
    },
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Staff { .. } => "staff",
            Actor::ApiKey { .. } => "api_key",
            Actor::Cli => "cli",
            Actor::Client { .. } => "client",
        }
    }

    pub fn id(&self) -> Option<&str> {
        match self {
            Actor::Staff { id, .. } | Actor::ApiKey { id, .. } | Actor::Client { id } => Some(id),
            Actor::Cli => None,
        }
    }

    /// How the log names them.
    pub fn display_name(&self) -> String {
        match self {
            Actor::Staff { name, .. } => name.clone(),
            Actor::ApiKey { name, .. } => format!("API key \u{201c}{name}\u{201d}"),
            Actor::Cli => "Command line".to_string(),
            Actor::Client { .. } => "Client".to_string(),
        }
    }

    /// Owners (and the operator at the command line) manage staff, keys and settings
    /// and read the audit log; staff and integrations do not.
    pub fn is_owner(&self) -> bool {
        match self {
            Actor::Staff { role, .. } => *role == StaffRole::Owner,
            Actor::ApiKey { .. } | Actor::Client { .. } => false,
            Actor::Cli => true,
        }
    }
}

/// Refuses an action that only an owner may take.
pub fn require_owner(clinic: &ClinicRef) -> Result<(), Error> {
    if clinic.actor.is_owner() {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only the clinic's owners can do this".to_string(),
        ))
    }
}

/// A read of the clinic's own records that only an owner may make: the refusal first,
/// then `work` with the clinic's id, so no owner-only page forgets either.
pub async fn owners_read<T, F>(s: &Services, clinic: &ClinicRef, work: F) -> Result<T, Error>
where
    F: FnOnce(&mut DbConnection, &str) -> Result<T, Error> + Send + 'static,
    T: Send + 'static,
{
    require_owner(clinic)?;
    let clinic_id = clinic.id.clone();
    s.db(move |conn| work(conn, &clinic_id)).await
}

/// Whether `actor` may change the clinic's protocol, which every client's reminders
/// follow: an owner, the operator at the command line, or an integration's API key
/// (keys are the clinic's own, minted by its owners only). Other staff read it.
pub fn may_edit(actor: &Actor) -> bool {
    match actor {
        Actor::Staff { .. } => actor.is_owner(),
        Actor::ApiKey { .. } | Actor::Cli => true,
        Actor::Client { .. } => false,
    }
}

/// Refuses a change of the protocol by someone who may not make it (see [`may_edit`]).
pub fn require_editor(clinic: &ClinicRef) -> Result<(), Error> {
    if may_edit(&clinic.actor) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only the clinic's owners can change the protocol".to_string(),
        ))
    }
}
