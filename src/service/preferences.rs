//! The client's own reminder preferences, and the one-click email unsubscribe.

use crate::db;

use super::client_auth::Authenticated;
use super::replan::{self, Affected};
use super::{validate, ClientBundle, ClientRecord, Error, Services};
use crate::db::clients::{self, PreferencesChange};
use crate::db::{deliveries, unsubscribe_tokens};
use crate::domain::SpfFrequency;

/// What the client asked to change (None: unchanged).
#[derive(Debug, Clone, Default)]
pub struct PreferencesInput {
    pub timezone: Option<String>,
    pub reminder_time: Option<String>,
    pub push: Option<bool>,
    pub email: Option<bool>,
    pub spf_reminders: Option<SpfFrequency>,
    pub locale: Option<String>,
    pub muted: Option<Vec<String>>,
}

/// Writes only the columns the client asked to change, then re-plans: channels, time,
/// zone or muted kinds change what and when we remind.
pub async fn update(
    s: &Services,
    client_id: String,
    input: PreferencesInput,
) -> Result<ClientRecord, Error> {
    let muted = input
        .muted
        .as_deref()
        .map(|m| validate::muted("muted", m))
        .transpose()?;
    let change = PreferencesChange {
        timezone: input
            .timezone
            .as_deref()
            .map(|t| validate::timezone("timezone", t))
            .transpose()?,
        reminder_time: input
            .reminder_time
            .as_deref()
            .map(|t| validate::reminder_time("reminder_time", t))
            .transpose()?
            .map(|t| t.to_string()),
        push_enabled: input.push,
        email_enabled: input.email,
        spf_reminders: input.spf_reminders,
        locale: input
            .locale
            .as_deref()
            .map(|l| validate::locale("locale", l))
            .transpose()?,
        muted: None,
    }
    .muted_kinds(muted.as_deref());
    let now = s.now();
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            if !clients::update_preferences(conn, &client_id, &change, now.naive_utc())? {
                return Err(Error::NotFound("this client no longer exists".into()));
            }
            replan::mark_due(conn, Affected::Client(&client_id), now)?;
            let client = clients::find(conn, &client_id)?
                .ok_or_else(|| Error::NotFound("this client no longer exists".into()))?;
            Ok(ClientBundle::load(conn, client)?)
        })
    })
    .await
    .map(ClientRecord::from)
}

/// One-click unsubscribe (RFC 8058): email reminders off, unsent ones cancelled.
/// Idempotent; the token is the capability.
pub async fn unsubscribe(s: &Services, token: String) -> Result<(), Error> {
    let now = s.now();
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let Some(client_id) = unsubscribe_tokens::find_client(conn, &token)? else {
                return Err(Error::NotFound("this unsubscribe link is not valid".into()));
            };
            clients::disable_email(conn, &client_id, now.naive_utc())?;
            deliveries::cancel_unsent_email(
                conn,
                &client_id,
                "the client unsubscribed from email reminders",
                now.naive_utc(),
            )?;
            Ok(())
        })
    })
    .await
}

/// Whether an unsubscribe link is one we issued (its page offers the button only then).
/// Reads only: the page is what mail scanners open.
pub async fn unsubscribe_link_is_valid(s: &Services, token: String) -> Result<bool, Error> {
    s.db(move |conn| Ok(unsubscribe_tokens::find_client(conn, &token)?.is_some()))
        .await
}

/// The signed-in client with everything needed to show them.
pub async fn profile(s: &Services, client: Authenticated) -> Result<ClientRecord, Error> {
    let client = client.into_row();
    let bundle = s
        .db(move |conn| Ok(ClientBundle::load(conn, client)?))
        .await?;
    Ok(bundle.into())
}
