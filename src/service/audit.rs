//! The audit log: who did what, when. Every service that changes something records
//! an entry with [`record`] in the same transaction as the change, so the log and the
//! data cannot disagree: a change that rolls back leaves no entry, and no change goes
//! unrecorded. The actor travels in [`ClinicRef::actor`]; who may do what is in
//! [`super::authz`].
//!
//! Entries name the client (their name at the time) but never carry a client's email
//! or other details in `detail`; erasing a client blanks the name in their entries.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::authz::owners_read;
use super::{ClinicRef, Error, Services};
use crate::db::audit::{self, AuditRow};
use crate::db::DbConnection;

macro_rules! actions {
    ($($variant:ident => $id:literal, $label:literal;)+) => {
        /// What was done. The ids are stored: a variant may be added, never renamed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Action {
            $($variant),+
        }

        impl Action {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Action::$variant => $id),+
                }
            }

            /// The label of a stored id (an id this build does not know shows as is).
            pub fn label_of(id: &str) -> String {
                match id {
                    $($id => $label.to_string(),)+
                    other => other.to_string(),
                }
            }
        }
    };
}

actions! {
    ClinicCreated => "clinic.created", "Created the clinic";
    SettingsChanged => "clinic.settings_changed", "Changed the clinic settings";
    SignedIn => "staff.signed_in", "Signed in";
    SignedOutEverywhere => "staff.signed_out_everywhere", "Signed out everywhere";
    SignInLinkIssued => "staff.sign_in_link_issued", "Issued a sign-in link";
    StaffInvited => "staff.invited", "Invited a staff member";
    StaffRemoved => "staff.removed", "Removed a staff member";
    ApiKeyCreated => "api_key.created", "Created an API key";
    ApiKeyRevoked => "api_key.revoked", "Revoked an API key";
    ClientOnboarded => "client.onboarded", "Onboarded a client";
    ClientsImported => "client.imported", "Imported clients";
    ClientUpdated => "client.updated", "Changed a client";
    ClientErased => "client.erased", "Erased a client";
    InvitationResent => "client.invitation_resent", "Resent an invitation";
    NoteAdded => "client.note_added", "Added a note on a client";
    ClientContacted => "client.contacted", "Marked a client contacted";
    SessionAdded => "session.added", "Recorded a session";
    SessionEdited => "session.edited", "Changed a session";
    SessionDeleted => "session.deleted", "Deleted a session";
    ProtocolChanged => "protocol.changed", "Changed the protocol";
    ClientsExported => "client.exported", "Exported the client list";
    AuditExported => "audit.exported", "Exported the audit log";
    ClientDataExported => "client.data_exported", "Downloaded their data";
}

/// What an action was done to, named as it was at the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    kind: &'static str,
    id: Option<String>,
    label: String,
}

/// The label left on an erased client's entries.
pub const ERASED_CLIENT: &str = "(erased client)";

impl Subject {
    /// A client (also the subject of their sessions and invitations).
    pub fn client(id: &str, name: &str) -> Subject {
        Subject {
            kind: "client",
            id: Some(id.to_string()),
            label: name.to_string(),
        }
    }

    /// Several clients at once (an import).
    pub fn clients(count: usize) -> Subject {
        Subject {
            kind: "clients",
            id: None,
            label: format!("{count} client{}", if count == 1 { "" } else { "s" }),
        }
    }

    pub fn clinic(name: &str) -> Subject {
        Subject {
            kind: "clinic",
            id: None,
            label: name.to_string(),
        }
    }

    pub fn protocol() -> Subject {
        Subject {
            kind: "protocol",
            id: None,
            label: "Protocol".to_string(),
        }
    }

    /// The audit log itself (its export).
    pub fn audit_log() -> Subject {
        Subject {
            kind: "audit_log",
            id: None,
            label: "Audit log".to_string(),
        }
    }

    pub fn staff(id: &str, name: &str) -> Subject {
        Subject {
            kind: "staff",
            id: Some(id.to_string()),
            label: name.to_string(),
        }
    }

    pub fn api_key(id: &str, name: &str) -> Subject {
        Subject {
            kind: "api_key",
            id: Some(id.to_string()),
            label: name.to_string(),
        }
    }
}

/// Records one entry, in the caller's transaction. `detail` says what changed, in
/// words for the owner ("fields: email, time zone"; "session on 2026-03-12"), without
/// a client's personal data.
pub fn record(
    conn: &mut DbConnection,
    clinic: &ClinicRef,
    action: Action,
    subject: &Subject,
    detail: &str,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    audit::insert(
        conn,
        &AuditRow {
            id: uuid::Uuid::now_v7().to_string(),
            clinic_id: clinic.id.clone(),
            at: at.naive_utc(),
            actor_kind: clinic.actor.kind().to_string(),
            actor_id: clinic.actor.id().map(str::to_string),
            actor_name: clinic.actor.display_name(),
            action: action.as_str().to_string(),
            subject_kind: subject.kind.to_string(),
            subject_id: subject.id.clone(),
            subject_label: subject.label.clone(),
            detail: detail.to_string(),
        },
    )?;
    Ok(())
}

/// The detail of a change to named fields: "changed: email, time zone" for the
/// fields whose flag says they differ, None when none does (nothing to record).
pub fn changed(fields: &[(&str, bool)]) -> Option<String> {
    let names: Vec<&str> = fields
        .iter()
        .filter(|(_, differs)| *differs)
        .map(|(name, _)| *name)
        .collect();
    (!names.is_empty()).then(|| format!("changed: {}", names.join(", ")))
}

/// Blanks an erased client's name in the log (in the erasing transaction).
pub fn forget_client(
    conn: &mut DbConnection,
    clinic_id: &str,
    client_id: &str,
) -> Result<(), Error> {
    audit::relabel_subject(conn, clinic_id, "client", client_id, ERASED_CLIENT)?;
    Ok(())
}

/// One entry as the owner's page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `staff`, `api_key`, `cli` or `client`.
    pub actor_kind: String,
    pub action: String,
    pub action_label: String,
    pub subject: String,
    pub detail: String,
}

/// Entries per page of the owner's audit page.
pub const PAGE_SIZE: i64 = 50;

/// A page of the log, newest first.
pub struct Page {
    pub entries: Vec<Entry>,
    /// 1-based.
    pub number: u32,
    pub has_more: bool,
}

/// Page `number` (1-based) of the clinic's log; owners only.
pub async fn page(s: &Services, clinic: &ClinicRef, number: u32) -> Result<Page, Error> {
    let number = number.max(1);
    let offset = i64::from(number - 1) * PAGE_SIZE;
    let mut rows = owners_read(s, clinic, move |conn, clinic_id| {
        Ok(audit::page(conn, clinic_id, offset, PAGE_SIZE + 1)?)
    })
    .await?;
    let has_more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let entries = rows
        .into_iter()
        .map(|row| Entry {
            at: row.at.and_utc(),
            actor: row.actor_name,
            actor_kind: row.actor_kind,
            action_label: Action::label_of(&row.action),
            action: row.action,
            subject: row.subject_label,
            detail: row.detail,
        })
        .collect();
    Ok(Page {
        entries,
        number,
        has_more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_the_fields_that_differ() {
        assert_eq!(
            changed(&[("email", true), ("name", false), ("time zone", true)]).as_deref(),
            Some("changed: email, time zone")
        );
        assert_eq!(changed(&[("email", false)]), None);
    }

    #[test]
    fn stored_action_ids_read_back_as_labels() {
        assert_eq!(Action::label_of("client.erased"), "Erased a client");
        assert_eq!(Action::label_of("from.a_newer_build"), "from.a_newer_build");
    }
}
