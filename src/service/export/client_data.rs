//! Everything held about a client, for the client (GDPR access and portability): their
//! profile, preferences, sessions, invitation status, push subscriptions (endpoints,
//! never their keys), calendar feed status and reminder history, with the clinic that
//! holds it. Never a token, a token's hash or a subscription's keys: the document is
//! built field by field from the rows, so a column added later stays out until it is
//! named here.
//!
//! Reading it is recorded in the clinic's audit log, as the client.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;

use crate::db::clients::Client;
use crate::db::deliveries::{self, Delivery, HistoryFilter};
use crate::db::push_subscriptions::{self, PushSubscription};
use crate::db::{self, calendar_feeds, clinics};
use crate::domain::reminders::Channels;
use crate::domain::{
    Channel, DeliveryStatus, InvitationStatus, ReminderKind, ReminderTime, SpfFrequency, Zone,
};
use crate::service::audit::{self, Action, Subject};
use crate::service::authz::Actor;
use crate::service::client_auth::Authenticated;
use crate::service::{ClientBundle, ClinicRef, Error, Services};

/// What the document says it is, for a program that reads it later.
pub const FORMAT: &str = "smp-aftercare client data";
pub const VERSION: u32 = 1;

/// Reminder rows read at a time.
const CHUNK: i64 = 1000;

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// The whole document.
#[derive(Debug, Clone, Serialize)]
pub struct ClientData {
    pub format: &'static str,
    pub version: u32,
    pub exported_at: DateTime<Utc>,
    /// The client's own date when it was made (the file's name).
    #[serde(skip)]
    pub local_date: NaiveDate,
    /// Who holds the data, and where to write about it.
    pub clinic: ClinicContact,
    pub profile: Profile,
    pub preferences: Preferences,
    pub sessions: Vec<SessionEntry>,
    pub invitation: Invitation,
    pub push_subscriptions: Vec<Subscription>,
    pub calendar_feed: CalendarFeed,
    /// Every reminder kept for the client, newest first.
    pub deliveries: Vec<DeliveryEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClinicContact {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub email: String,
    pub timezone: Zone,
    pub locale: String,
    pub planned_sessions: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Preferences {
    pub timezone: Zone,
    pub reminder_time: ReminderTime,
    pub channels: Channels,
    pub spf_reminders: SpfFrequency,
    pub locale: String,
    pub muted: Vec<ReminderKind>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionEntry {
    /// 1-based, in date order.
    pub number: usize,
    pub date: NaiveDate,
    /// The session that starts the 30-day healing window.
    #[serde(rename = "final")]
    pub is_final: bool,
    pub marked_final: bool,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub status: InvitationStatus,
    pub error: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: String,
    pub endpoint: String,
    /// `active`, or `disabled` (the push service said it is gone).
    pub status: &'static str,
    pub expiration_time: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CalendarFeed {
    pub active: bool,
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryEntry {
    pub local_date: NaiveDate,
    pub kind: String,
    pub channel: Channel,
    /// The push subscription it went to; null for email.
    pub subscription_id: Option<String>,
    pub status: DeliveryStatus,
    pub correction: bool,
    pub title: String,
    pub body: String,
    pub send_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub last_error: Option<String>,
}

impl From<&PushSubscription> for Subscription {
    fn from(s: &PushSubscription) -> Self {
        Subscription {
            id: s.id.clone(),
            endpoint: s.endpoint.clone(),
            status: if s.disabled_at.is_some() {
                "disabled"
            } else {
                "active"
            },
            expiration_time: s.expiration_time.map(utc),
            disabled_at: s.disabled_at.map(utc),
            disabled_reason: s.disabled_reason.clone(),
            created_at: utc(s.created_at),
            updated_at: utc(s.updated_at),
        }
    }
}

impl From<Delivery> for DeliveryEntry {
    fn from(d: Delivery) -> Self {
        DeliveryEntry {
            subscription_id: (d.channel == Channel::Push).then(|| d.target.clone()),
            local_date: d.local_date,
            kind: d.kind.to_string(),
            channel: d.channel,
            status: d.status,
            correction: d.correction,
            title: d.title,
            body: d.body,
            send_at: utc(d.send_at),
            sent_at: d.sent_at.map(utc),
            attempts: d.attempts,
            last_error: d.last_error,
        }
    }
}

fn profile(client: &Client) -> Profile {
    Profile {
        id: client.id.clone(),
        name: client.name.clone(),
        email: client.email.clone(),
        timezone: client.timezone,
        locale: client.locale.clone(),
        planned_sessions: client.planned_sessions,
        created_at: utc(client.created_at),
        updated_at: utc(client.updated_at),
    }
}

fn sessions(bundle: &ClientBundle) -> Vec<SessionEntry> {
    let final_date = bundle
        .plan()
        .ok()
        .and_then(|plan| plan.final_session())
        .map(|s| s.date);
    bundle
        .sessions
        .iter()
        .enumerate()
        .map(|(i, s)| SessionEntry {
            number: i + 1,
            date: s.date,
            is_final: Some(s.date) == final_date,
            marked_final: s.marked_final,
            notes: s.notes.clone(),
        })
        .collect()
}

/// Every reminder row of the client, newest first (the history's order and paging).
fn all_deliveries(conn: &mut db::DbConnection, client_id: &str) -> Result<Vec<Delivery>, Error> {
    let mut all: Vec<Delivery> = Vec::new();
    loop {
        let filter = HistoryFilter {
            after: all.last().map(|d| (d.local_date, d.id.clone())),
            ..HistoryFilter::default()
        };
        let page = deliveries::history_page(conn, client_id, &filter, CHUNK)?;
        let last = (page.len() as i64) < CHUNK;
        all.extend(page);
        if last {
            return Ok(all);
        }
    }
}

/// Everything held about `client` (authenticated by their token), recorded in their
/// clinic's audit log as the client.
pub async fn client_data(s: &Services, client: Authenticated) -> Result<ClientData, Error> {
    let client = client.into_row();
    let now = s.now();
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let clinic = clinics::find(conn, &client.clinic_id)?
                .ok_or_else(|| Error::NotFound("no such clinic".into()))?;
            let subscriptions = push_subscriptions::list_for_client(conn, &client.id)?;
            let feed = calendar_feeds::for_client(conn, &client.id)?;
            let deliveries = all_deliveries(conn, &client.id)?;
            let bundle = ClientBundle::load(conn, client)?;
            let client = &bundle.client;
            let actor = ClinicRef {
                id: clinic.id.clone(),
                name: clinic.name.clone(),
                email: clinic.email.clone(),
                actor: Actor::Client {
                    id: client.id.clone(),
                },
            };
            let subject = Subject::client(&client.id, &client.name);
            let action = Action::ClientDataExported;
            audit::record(conn, &actor, action, &subject, "as JSON", now)?;
            let prefs = bundle.preferences();
            Ok(ClientData {
                format: FORMAT,
                version: VERSION,
                exported_at: now,
                local_date: bundle.today(now),
                clinic: ClinicContact {
                    email: clinic.reply_address().to_string(),
                    name: clinic.name.clone(),
                },
                profile: profile(client),
                preferences: Preferences {
                    timezone: client.timezone,
                    reminder_time: client.reminder_time,
                    channels: prefs.channels,
                    spf_reminders: prefs.spf_reminders,
                    locale: client.locale.clone(),
                    muted: prefs.muted,
                },
                sessions: sessions(&bundle),
                invitation: Invitation {
                    status: client.invitation_status,
                    error: client.invitation_error.clone(),
                    expires_at: client.invitation_expires_at.map(utc),
                },
                push_subscriptions: subscriptions.iter().map(Subscription::from).collect(),
                calendar_feed: CalendarFeed {
                    active: feed.is_some(),
                    created_at: feed.map(|f| utc(f.created_at)),
                },
                deliveries: deliveries.into_iter().map(DeliveryEntry::from).collect(),
            })
        })
    })
    .await
}
