//! Treatment sessions: the clinic records, corrects and removes them; each change
//! re-plans the client's reminders.

use crate::db;
use chrono::NaiveDate;

use super::audit::{self, Action, Subject};
use super::clients::{load_for_clinic, new_session};
use super::replan::{self, Affected};
use super::{validate, ClientRecord, ClinicRef, Error, Services};
use crate::db::clients;

/// A session to record.
#[derive(Debug, Clone)]
pub struct NewSessionInput {
    pub date: NaiveDate,
    /// Optional check: the number this session will have in date order.
    pub number: Option<u32>,
    pub is_final: Option<bool>,
    pub notes: Option<String>,
}

/// A change to a session (None: unchanged; `notes: Some(None)` clears them).
#[derive(Debug, Clone, Default)]
pub struct SessionChange {
    pub date: Option<NaiveDate>,
    pub is_final: Option<bool>,
    pub notes: Option<Option<String>>,
}

fn one_per_date(date: NaiveDate) -> Error {
    Error::Conflict(format!(
        "there is already a session on {date}; one session per date"
    ))
}

/// Records a session; answers its id and the client.
pub async fn add(
    s: &Services,
    clinic: &ClinicRef,
    client_id: String,
    input: NewSessionInput,
) -> Result<(String, ClientRecord), Error> {
    let notes = input
        .notes
        .as_deref()
        .map(|n| validate::notes("notes", n))
        .transpose()?;
    let (actor, now) = (clinic.clone(), s.now());
    let clinic_id = actor.id.clone();
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            clients::lock(conn, &client_id)?;
            let bundle = load_for_clinic(conn, &clinic_id, &client_id)?;
            validate::session_date("date", input.date, bundle.today(now))?;
            if bundle.sessions.iter().any(|s| s.date == input.date) {
                return Err(one_per_date(input.date));
            }
            validate::session_count("sessions", bundle.sessions.len() + 1)?;
            let number = bundle
                .sessions
                .iter()
                .filter(|s| s.date < input.date)
                .count() as u32
                + 1;
            if let Some(expected) = input.number {
                if expected != number {
                    return Err(Error::invalid(
                        "number",
                        format!(
                            "a session on {} would be number {number}, not {expected}",
                            input.date
                        ),
                    ));
                }
            }
            let row = new_session(
                &client_id,
                input.date,
                input.is_final.unwrap_or(false),
                notes,
                now.naive_utc(),
            );
            clients::insert_session(conn, &row)?;
            replan::mark_due(conn, Affected::Client(&client_id), now)?;
            let detail = format!(
                "session {number} on {}{}",
                row.date,
                if row.marked_final { ", final" } else { "" }
            );
            let subject = Subject::client(&client_id, &bundle.client.name);
            audit::record(conn, &actor, Action::SessionAdded, &subject, &detail, now)?;
            Ok((row.id, load_for_clinic(conn, &clinic_id, &client_id)?))
        })
    })
    .await
    .map(|(id, bundle)| (id, bundle.into()))
}

pub async fn edit(
    s: &Services,
    clinic: &ClinicRef,
    client_id: String,
    session_id: String,
    input: SessionChange,
) -> Result<ClientRecord, Error> {
    let notes = match input.notes {
        Some(Some(n)) => Some(Some(validate::notes("notes", &n)?)),
        other => other,
    };
    let (actor, now) = (clinic.clone(), s.now());
    let clinic_id = actor.id.clone();
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            clients::lock(conn, &client_id)?;
            let bundle = load_for_clinic(conn, &clinic_id, &client_id)?;
            let mut row = bundle
                .sessions
                .iter()
                .find(|s| s.id == session_id)
                .cloned()
                .ok_or_else(|| Error::NotFound(format!("no session {session_id}")))?;
            if let Some(date) = input.date {
                validate::session_date("date", date, bundle.today(now))?;
                if bundle
                    .sessions
                    .iter()
                    .any(|s| s.date == date && s.id != row.id)
                {
                    return Err(one_per_date(date));
                }
                row.date = date;
            }
            if let Some(is_final) = input.is_final {
                row.marked_final = is_final;
            }
            if let Some(notes) = notes {
                row.notes = notes;
            }
            let before = bundle
                .sessions
                .iter()
                .find(|s| s.id == row.id)
                .ok_or_else(|| Error::NotFound(format!("no session {session_id}")))?;
            let mut changes = Vec::new();
            if before.date != row.date {
                changes.push(format!("moved to {}", row.date));
            }
            if before.marked_final != row.marked_final {
                changes.push(
                    if row.marked_final {
                        "marked final"
                    } else {
                        "no longer marked final"
                    }
                    .to_string(),
                );
            }
            if before.notes != row.notes {
                changes.push("notes changed".to_string());
            }
            clients::save_session(conn, &row)?;
            replan::mark_due(conn, Affected::Client(&client_id), now)?;
            if !changes.is_empty() {
                let detail = format!("session on {}: {}", before.date, changes.join(", "));
                let subject = Subject::client(&client_id, &bundle.client.name);
                audit::record(conn, &actor, Action::SessionEdited, &subject, &detail, now)?;
            }
            load_for_clinic(conn, &clinic_id, &client_id)
        })
    })
    .await
    .map(ClientRecord::from)
}

pub async fn delete(
    s: &Services,
    clinic: &ClinicRef,
    client_id: String,
    session_id: String,
) -> Result<(), Error> {
    let (actor, now) = (clinic.clone(), s.now());
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let bundle = load_for_clinic(conn, &actor.id, &client_id)?;
            let date = bundle
                .sessions
                .iter()
                .find(|s| s.id == session_id)
                .map(|s| s.date);
            let (Some(date), true) = (
                date,
                clients::delete_session(conn, &client_id, &session_id)?,
            ) else {
                return Err(Error::NotFound(format!("no session {session_id}")));
            };
            replan::mark_due(conn, Affected::Client(&client_id), now)?;
            let subject = Subject::client(&client_id, &bundle.client.name);
            let detail = format!("session on {date}");
            audit::record(conn, &actor, Action::SessionDeleted, &subject, &detail, now)
        })
    })
    .await
}
