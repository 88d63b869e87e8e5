//! Onboarding: a new client's input checked once, every field at fault reported, the
//! clinic's defaults (time zone, reminder time, planned sessions from its protocol)
//! taken here, so the API, the console and the CSV import cannot disagree.

use chrono::{DateTime, NaiveDate, Utc};

use super::super::audit::{self, Action, Subject};
use super::super::idempotency::{self, IdempotencyKey, Replay};
use super::super::invitations::{self, Issue};
use super::super::replan::{self, Affected};
use super::super::{clinics, validate, ClientRecord, ClinicRef, Error, FieldError, Services};
use super::{load_for_clinic, new_session};
use crate::db;
use crate::db::bundle::protocol_from_overrides;
use crate::db::clients::{self, NewClient};
use crate::db::DbConnection;
use crate::domain::timeline::{Plan, Session};
use crate::domain::{EmailAddress, InvitationStatus, ReminderTime, SpfFrequency, Zone};

/// A new client as the clinic describes them.
#[derive(Debug, Clone, Default)]
pub struct NewClientInput {
    pub email: String,
    pub name: String,
    /// None: the clinic's default time zone.
    pub timezone: Option<String>,
    pub locale: Option<String>,
    /// None: as many as the clinic's protocol plans.
    pub planned_sessions: Option<u32>,
    pub sessions: Vec<NaiveDate>,
    /// What the face could not read as the type it needs (a form's "abc" where a
    /// number goes): reported with every other field at fault.
    pub unreadable: Vec<FieldError>,
}

/// What the clinic gives a new client unless told otherwise.
#[derive(Debug, Clone)]
pub struct Defaults {
    pub timezone: Zone,
    pub reminder_time: ReminderTime,
    /// The clinic's protocol's planned sessions.
    pub planned_sessions: u32,
}

impl Defaults {
    pub fn of_clinic(conn: &mut DbConnection, clinic: &ClinicRef) -> Result<Defaults, Error> {
        let row = clinics::load(conn, clinic)?;
        let protocol = protocol_from_overrides(&row.id, row.protocol_overrides.as_deref())?;
        Ok(Defaults {
            timezone: row.timezone,
            reminder_time: row.reminder_time,
            planned_sessions: protocol.planned_sessions(),
        })
    }

    pub async fn load(s: &Services, clinic: &ClinicRef) -> Result<Defaults, Error> {
        let clinic = clinic.clone();
        s.read(move |conn| Defaults::of_clinic(conn, &clinic)).await
    }
}

/// A new client that passed every check, with the clinic's defaults filled in.
#[derive(Debug, Clone)]
pub struct CheckedClient {
    pub email: EmailAddress,
    pub name: String,
    pub timezone: Zone,
    pub locale: String,
    pub planned_sessions: u32,
    pub reminder_time: ReminderTime,
    /// In the order given.
    pub sessions: Vec<NaiveDate>,
}

impl NewClientInput {
    /// Checks every field, the clinic's `defaults` standing in for what is left out;
    /// every field at fault comes back, in the order email, name, time zone, language,
    /// planned sessions, sessions (`sessions[i]` for one date), then what the face
    /// could not read.
    pub fn check(
        &self,
        defaults: &Defaults,
        now: DateTime<Utc>,
    ) -> Result<CheckedClient, Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = keep(&mut errors, validate::email("email", &self.email));
        let name = keep(&mut errors, validate::name("name", &self.name));
        let timezone = match self.timezone.as_deref() {
            Some(zone) => keep(&mut errors, validate::timezone("timezone", zone)),
            None => Some(defaults.timezone),
        };
        let locale = keep(
            &mut errors,
            validate::locale("locale", self.locale.as_deref().unwrap_or("en")),
        );
        let planned = keep(
            &mut errors,
            validate::planned_sessions(
                "planned_sessions",
                self.planned_sessions.unwrap_or(defaults.planned_sessions),
            ),
        );
        // Counted before each date is checked, so a huge list gets one clear answer.
        if keep(
            &mut errors,
            validate::session_count("sessions", self.sessions.len()),
        )
        .is_some()
        {
            let sessions = self.sessions.iter().copied().map(Session::on).collect();
            keep(
                &mut errors,
                Plan::new(planned.unwrap_or(1), sessions)
                    .map_err(|e| Error::invalid("sessions", e.to_string())),
            );
            if let Some(zone) = timezone {
                let today = now.with_timezone(&zone.tz()).date_naive();
                for (i, date) in self.sessions.iter().enumerate() {
                    keep(
                        &mut errors,
                        validate::session_date(&format!("sessions[{i}]"), *date, today),
                    );
                }
            }
        }
        errors.extend(self.unreadable.iter().cloned());
        match (email, name, timezone, locale, planned) {
            (Some(email), Some(name), Some(timezone), Some(locale), Some(planned))
                if errors.is_empty() =>
            {
                Ok(CheckedClient {
                    email,
                    name,
                    timezone,
                    locale,
                    planned_sessions: planned,
                    reminder_time: defaults.reminder_time,
                    sessions: self.sessions.clone(),
                })
            }
            _ => Err(errors),
        }
    }
}

/// The value, or None with its fields at fault added to `errors`.
fn keep<T>(errors: &mut Vec<FieldError>, result: Result<T, Error>) -> Option<T> {
    result
        .map_err(|e| match e.into_fields() {
            Ok(fields) => errors.extend(fields),
            Err(other) => errors.push(FieldError::new("input", other.to_string())),
        })
        .ok()
}

/// How a created client is shown to the caller: rendered once, stored for replays.
pub type Render = fn(&ClientRecord) -> Result<String, Error>;

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
/// transaction; with an idempotency key, the answer too. Input at fault is refused
/// with every field at fault ([`Error::Fields`], or [`Error::Invalid`] for one).
pub async fn onboard(
    s: &Services,
    clinic: &ClinicRef,
    input: NewClientInput,
    key: Option<IdempotencyKey>,
    render: Render,
) -> Result<Onboarded, Error> {
    let now = s.now();
    let defaults = Defaults::load(s, clinic).await?;
    let checked = input.check(&defaults, now).map_err(Error::fields)?;

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
                create(
                    conn,
                    &actor,
                    &checked,
                    valid_days,
                    now,
                    key.as_ref(),
                    render,
                )
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

/// [`onboard`]'s writes, inside its transaction.
fn create(
    conn: &mut DbConnection,
    actor: &ClinicRef,
    checked: &CheckedClient,
    valid_days: u32,
    now: DateTime<Utc>,
    key: Option<&IdempotencyKey>,
    render: Render,
) -> Result<Onboarded, Error> {
    let clinic_id = &actor.id;
    let email = checked.email.as_str();
    if clients::email_taken(conn, clinic_id, email, None)? {
        return Err(Error::Conflict(format!(
            "this clinic already has a client with email {email}"
        )));
    }
    let at = now.naive_utc();
    let planned = checked.planned_sessions;
    let client = NewClient {
        id: uuid::Uuid::now_v7().to_string(),
        clinic_id: clinic_id.clone(),
        email: email.to_string(),
        name: checked.name.clone(),
        timezone: checked.timezone,
        locale: checked.locale.clone(),
        planned_sessions: planned as i32,
        reminder_time: checked.reminder_time.to_string(),
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
    for date in &checked.sessions {
        clients::insert_session(conn, &new_session(&client.id, *date, false, None, at))?;
    }
    replan::mark_due(conn, Affected::Client(&client.id), now)?;
    let how = Issue { valid_days, now };
    invitations::issue(conn, &client.id, &how)?;
    let detail = match checked.sessions.len() {
        0 => format!("{planned} sessions planned"),
        n => format!("{planned} sessions planned, {n} recorded"),
    };
    let subject = Subject::client(&client.id, &client.name);
    audit::record(conn, actor, Action::ClientOnboarded, &subject, &detail, now)?;
    let body = render(&load_for_clinic(conn, clinic_id, &client.id)?.into())?;
    if let Some(key) = key {
        let answer = Replay {
            status: 201,
            body: body.clone(),
        };
        idempotency::save(conn, clinic_id, key, &answer, now)?;
    }
    Ok(Onboarded::Created {
        id: client.id,
        body,
    })
}
