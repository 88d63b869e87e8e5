//! The clinic's clients: onboard, list, read, change, erase.

pub(crate) mod list;
mod onboard;

use crate::db;
use chrono::NaiveDate;

use super::audit::{self, Action, Subject};
use super::replan::{self, Affected};
use super::{validate, ClientBundle, ClientRecord, ClinicRef, Error, Services};
use crate::db::clients::{self, ProfileChange, SessionRow};
use crate::db::DbConnection;

pub use list::{page, ClientPage};
pub use onboard::{onboard, CheckedClient, Defaults, NewClientInput, Onboarded, Render};

pub fn new_session(
    client_id: &str,
    date: NaiveDate,
    marked_final: bool,
    notes: Option<String>,
    at: chrono::NaiveDateTime,
) -> SessionRow {
    SessionRow {
        id: uuid::Uuid::now_v7().to_string(),
        client_id: client_id.to_string(),
        date,
        marked_final,
        notes,
        created_at: at,
    }
}

/// The clinic's client with everything needed to show them; another clinic's client
/// is "not found", never "forbidden".
pub fn load_for_clinic(
    conn: &mut DbConnection,
    clinic_id: &str,
    client_id: &str,
) -> Result<ClientBundle, Error> {
    let client = clients::find_for_clinic(conn, clinic_id, client_id)?
        .ok_or_else(|| Error::NotFound(format!("no client {client_id}")))?;
    Ok(ClientBundle::load(conn, client)?)
}

pub async fn get(
    s: &Services,
    clinic: &ClinicRef,
    client_id: String,
) -> Result<ClientRecord, Error> {
    let clinic_id = clinic.id.clone();
    let bundle = s
        .read(move |conn| load_for_clinic(conn, &clinic_id, &client_id))
        .await?;
    Ok(bundle.into())
}

/// What the clinic may change about a client.
#[derive(Debug, Clone, Default)]
pub struct ClientChange {
    pub email: Option<String>,
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub planned_sessions: Option<u32>,
}

/// Applies the clinic's changes to the columns it owns, and re-plans the client
/// (zone, language or plan size may change what and when we remind).
pub async fn update(
    s: &Services,
    clinic: &ClinicRef,
    client_id: String,
    input: ClientChange,
) -> Result<ClientRecord, Error> {
    let change = ProfileChange {
        email: input
            .email
            .as_deref()
            .map(|e| validate::email("email", e))
            .transpose()?
            .map(|e| e.into_string()),
        name: input
            .name
            .as_deref()
            .map(|n| validate::name("name", n))
            .transpose()?,
        timezone: input
            .timezone
            .as_deref()
            .map(|t| validate::timezone("timezone", t))
            .transpose()?,
        locale: input
            .locale
            .as_deref()
            .map(|l| validate::locale("locale", l))
            .transpose()?,
        planned_sessions: input
            .planned_sessions
            .map(|p| validate::planned_sessions("planned_sessions", p))
            .transpose()?
            .map(|p| p as i32),
    };
    let (actor, now) = (clinic.clone(), s.now());
    let clinic_id = actor.id.clone();
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let before = load_for_clinic(conn, &clinic_id, &client_id)?.client;
            if let Some(email) = &change.email {
                if clients::email_taken(conn, &clinic_id, email, Some(&client_id))? {
                    return Err(Error::Conflict(format!(
                        "this clinic already has a client with email {email}"
                    )));
                }
            }
            clients::update_profile(conn, &client_id, &change, now.naive_utc())?;
            replan::mark_due(conn, Affected::Client(&client_id), now)?;
            let after = load_for_clinic(conn, &clinic_id, &client_id)?;
            // Field names only: the log keeps no client data.
            let (old, new) = (&before, &after.client);
            let detail = audit::changed(&[
                ("email", old.email != new.email),
                ("name", old.name != new.name),
                ("time zone", old.timezone != new.timezone),
                ("language", old.locale != new.locale),
                (
                    "planned sessions",
                    old.planned_sessions != new.planned_sessions,
                ),
            ]);
            if let Some(detail) = detail {
                let subject = Subject::client(&client_id, &new.name);
                audit::record(conn, &actor, Action::ClientUpdated, &subject, &detail, now)?;
            }
            Ok(after)
        })
    })
    .await
    .map(ClientRecord::from)
}

/// Erases the client's personal data, tokens, push subscriptions and pending
/// reminders (the row and everything hanging off it).
/// The audit log keeps that a client was erased, and forgets their name.
pub async fn erase(s: &Services, clinic: &ClinicRef, client_id: String) -> Result<(), Error> {
    let (actor, now) = (clinic.clone(), s.now());
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            if !clients::delete_for_clinic(conn, &actor.id, &client_id)? {
                return Err(Error::NotFound("no such client".into()));
            }
            let subject = Subject::client(&client_id, audit::ERASED_CLIENT);
            audit::record(conn, &actor, Action::ClientErased, &subject, "", now)?;
            audit::forget_client(conn, &actor.id, &client_id)
        })
    })
    .await
}
