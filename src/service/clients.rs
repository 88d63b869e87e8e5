//! The clinic's clients: onboard, list, read, change, erase.

use crate::db;
use chrono::NaiveDate;

use super::audit::{self, Action, Subject};
use super::idempotency::{self, IdempotencyKey, Replay};
use super::invitations::{self, Issue};
use super::replan::{self, Affected};
use super::{validate, ClientBundle, ClinicRef, Error, Services};
use crate::db::clients::{self, NewClient, ProfileChange, SessionRow};
use crate::db::DbConnection;
use crate::domain::timeline::{Plan, Session};
use crate::domain::{InvitationStatus, Protocol, SpfFrequency};

/// A new client as the clinic describes them.
#[derive(Debug, Clone)]
pub struct NewClientInput {
    pub email: String,
    pub name: String,
    /// None: the clinic's default time zone.
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub planned_sessions: Option<u32>,
    pub sessions: Vec<NaiveDate>,
}

/// How a created client is shown to the caller: rendered once, stored for replays.
pub type Render = fn(&ClientBundle) -> Result<String, Error>;

/// What onboarding answered.
pub enum Onboarded {
    Created {
        id: String,
        body: String,
    },
    /// A retry of an earlier request with the same `Idempotency-Key`.
    Replayed(Replay),
}

/// Creates the client with their sessions and queues the invitation, in one
/// transaction; with an idempotency key, the answer too.
pub async fn onboard(
    s: &Services,
    clinic: &ClinicRef,
    input: NewClientInput,
    key: Option<IdempotencyKey>,
    render: Render,
) -> Result<Onboarded, Error> {
    let now = s.now();
    let email = validate::email("email", &input.email)?;
    let name = validate::name("name", &input.name)?;
    let zone = input
        .timezone
        .as_deref()
        .map(|zone| validate::timezone("timezone", zone))
        .transpose()?;
    let locale = validate::locale("locale", input.locale.as_deref().unwrap_or("en"))?;
    let planned = validate::planned_sessions(
        "planned_sessions",
        input
            .planned_sessions
            .unwrap_or_else(|| Protocol::default_protocol().planned_sessions()),
    )?;
    // Counted before each date is checked, so a huge list gets one clear answer.
    validate::session_count("sessions", input.sessions.len())?;
    Plan::new(
        planned,
        input.sessions.iter().copied().map(Session::on).collect(),
    )
    .map_err(|e| Error::invalid("sessions", e.to_string()))?;

    let actor = clinic.clone();
    let clinic_id = actor.id.clone();
    let valid_days = s.settings.invitations.valid_days;
    let retry_key = key.clone();
    let outcome = s
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                if let Some(key) = &key {
                    if let Some(replay) = idempotency::find(conn, &clinic_id, key)? {
                        return Ok(Onboarded::Replayed(replay));
                    }
                }
                if clients::email_taken(conn, &clinic_id, email.as_str(), None)? {
                    return Err(Error::Conflict(format!(
                        "this clinic already has a client with email {email}"
                    )));
                }
                // The clinic's defaults for what the request leaves out.
                let defaults = super::clinics::load(conn, &actor)?;
                let zone = zone.unwrap_or(defaults.timezone);
                let today = now.with_timezone(&zone.tz()).date_naive();
                for (i, date) in input.sessions.iter().enumerate() {
                    validate::session_date(&format!("sessions[{i}]"), *date, today)?;
                }
                let at = now.naive_utc();
                let client = NewClient {
                    id: uuid::Uuid::now_v7().to_string(),
                    clinic_id: clinic_id.clone(),
                    email: email.into_string(),
                    name,
                    timezone: zone,
                    locale,
                    planned_sessions: planned as i32,
                    reminder_time: defaults.reminder_time.to_string(),
                    push_enabled: true,
                    email_enabled: true,
                    spf_reminders: SpfFrequency::default(),
                    muted: "[]".to_string(),
                    invitation_status: InvitationStatus::Pending,
                    created_at: at,
                    updated_at: at,
                    // Plan at once: a session today gets today's reminder.
                    next_plan_at: Some(at),
                };
                clients::insert(conn, &client)?;
                for date in &input.sessions {
                    clients::insert_session(
                        conn,
                        &new_session(&client.id, *date, false, None, at),
                    )?;
                }
                let how = Issue { valid_days, now };
                invitations::issue(conn, &client.id, &how)?;
                let detail = match input.sessions.len() {
                    0 => format!("{planned} sessions planned"),
                    n => format!("{planned} sessions planned, {n} recorded"),
                };
                let subject = Subject::client(&client.id, &client.name);
                audit::record(
                    conn,
                    &actor,
                    Action::ClientOnboarded,
                    &subject,
                    &detail,
                    now,
                )?;
                let body = render(&load_for_clinic(conn, &clinic_id, &client.id)?)?;
                if let Some(key) = &key {
                    let answer = Replay {
                        status: 201,
                        body: body.clone(),
                    };
                    idempotency::save(conn, &clinic_id, key, &answer, now)?;
                }
                Ok(Onboarded::Created {
                    id: client.id,
                    body,
                })
            })
        })
        .await;
    match outcome {
        Ok(done) => {
            if matches!(done, Onboarded::Created { .. }) {
                s.metrics
                    .invitation(crate::metrics::InvitationOutcome::Issued);
                s.outbox.notify_one();
            }
            Ok(done)
        }
        // Two retries racing with one key: the loser answers with the winner's result.
        Err(Error::Conflict(why)) if retry_key.is_some() => {
            let clinic_id = clinic.id.clone();
            let stored = s
                .db(move |conn| match &retry_key {
                    Some(key) => idempotency::find(conn, &clinic_id, key),
                    None => Ok(None),
                })
                .await?;
            stored.map(Onboarded::Replayed).ok_or(Error::Conflict(why))
        }
        Err(e) => Err(e),
    }
}

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
) -> Result<ClientBundle, Error> {
    let clinic_id = clinic.id.clone();
    s.read(move |conn| load_for_clinic(conn, &clinic_id, &client_id))
        .await
}

/// One page of clients and the cursor of the next page.
pub struct ClientPage {
    pub items: Vec<ClientBundle>,
    pub next_cursor: Option<String>,
}

pub async fn page(
    s: &Services,
    clinic: &ClinicRef,
    limit: Option<u32>,
    cursor: Option<String>,
) -> Result<ClientPage, Error> {
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 200"));
    }
    let after = cursor.as_deref().map(decode_cursor).transpose()?;
    let clinic_id = clinic.id.clone();
    s.read(move |conn| read_page(conn, &clinic_id, after.as_deref(), limit))
        .await
}

/// [`page`]'s read: `limit` clients after `after` and their sessions, in one snapshot.
/// Public for the HTTP bench, which times this read on its own.
pub fn read_page(
    conn: &mut DbConnection,
    clinic_id: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<ClientPage, Error> {
    db::read_together(conn, |conn| {
        let mut rows = clients::page(conn, clinic_id, after, i64::from(limit) + 1)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = more
            .then(|| rows.last().map(|c| encode_cursor(&c.id)))
            .flatten();
        let items = ClientBundle::load_page(conn, clinic_id, rows)?;
        Ok(ClientPage { items, next_cursor })
    })
}

fn encode_cursor(id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

fn decode_cursor(cursor: &str) -> Result<String, Error> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Error::invalid("cursor", "not a cursor returned by this API"))
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
) -> Result<ClientBundle, Error> {
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
