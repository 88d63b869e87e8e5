//! The client's subscribable calendar: a secret feed URL the client creates, rotates
//! and revokes, and the feed itself, read by calendar apps with nothing but the URL.
//!
//! Reading the feed never changes anything (calendar apps and link scanners poll it).
//! Each event keeps one `uid` for as long as what it hangs on exists: a session's
//! events carry the session's id (moving the session moves them), the plan's events
//! (next-session window, healing complete, touch-up) the client's id. A calendar app
//! that polls the feed after the clinic edits sessions updates its events in place.

use chrono::{DateTime, Utc};

use super::{ClientBundle, Error, Links, Services};
use crate::db::{self, calendar_feeds, clients, clinics};
use crate::domain::calendar::{self, Anchor, CalendarEvent};

/// Whether the client has an active feed URL, and since when.
#[derive(Debug, Clone)]
pub struct FeedStatus {
    pub created_at: Option<DateTime<Utc>>,
}

/// A newly issued feed URL: shown once (only a hash of its token is kept).
#[derive(Debug, Clone)]
pub struct IssuedFeed {
    pub url: String,
    /// The same URL as `webcal://`, which phones open as a calendar subscription.
    pub webcal_url: String,
    pub created_at: DateTime<Utc>,
}

/// The feed's content, ready to be rendered as iCalendar.
#[derive(Debug, Clone)]
pub struct Feed {
    pub name: String,
    pub clinic_name: String,
    pub events: Vec<FeedEvent>,
}

/// An event with its stable identity.
#[derive(Debug, Clone)]
pub struct FeedEvent {
    pub uid: String,
    pub event: CalendarEvent,
    /// The client app's page of the event's first day.
    pub url: String,
}

/// The domain part of every event's `UID` (RFC 5545 suggests `id@domain`); fixed, so a
/// change of `server.public_url` does not make calendar apps see new events.
const UID_DOMAIN: &str = "smp-aftercare";

pub async fn status(s: &Services, client_id: String) -> Result<FeedStatus, Error> {
    let feed = s
        .db(move |conn| Ok(calendar_feeds::for_client(conn, &client_id)?))
        .await?;
    Ok(FeedStatus {
        created_at: feed.map(|f| f.created_at.and_utc()),
    })
}

/// Issues a new feed URL for the client; any earlier URL stops working.
pub async fn issue(s: &Services, client_id: String) -> Result<IssuedFeed, Error> {
    let now = s.now();
    let (token, feed) = s
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                Ok(calendar_feeds::replace(conn, &client_id, now.naive_utc())?)
            })
        })
        .await?;
    Ok(IssuedFeed {
        url: s.links.calendar_feed(&token),
        webcal_url: s.links.calendar_subscription(&token),
        created_at: feed.created_at.and_utc(),
    })
}

/// Revokes the client's feed URL (also when there is none: the outcome is the same).
pub async fn revoke(s: &Services, client_id: String) -> Result<(), Error> {
    s.db(move |conn| {
        calendar_feeds::revoke(conn, &client_id)?;
        Ok(())
    })
    .await
}

/// The feed a URL token opens; `NotFound` for a token that is unknown, revoked or
/// replaced (or whose client was erased).
pub async fn feed(s: &Services, token: String) -> Result<Feed, Error> {
    let gone = || Error::NotFound("this calendar link is not valid".to_string());
    let loaded = s
        .db(move |conn| {
            let Some(client_id) = calendar_feeds::find_client(conn, &token)? else {
                return Ok(None);
            };
            let Some(client) = clients::find(conn, &client_id)? else {
                return Ok(None);
            };
            let clinic_name = clinics::find(conn, &client.clinic_id)?
                .map(|c| c.name)
                .unwrap_or_default();
            Ok(Some((ClientBundle::load(conn, client)?, clinic_name)))
        })
        .await?;
    let (bundle, clinic_name) = loaded.ok_or_else(gone)?;
    feed_of(&bundle, clinic_name, &s.links)
}

fn feed_of(bundle: &ClientBundle, clinic_name: String, links: &Links) -> Result<Feed, Error> {
    let plan = bundle.plan()?;
    let locale = bundle.client.locale.as_str();
    let events = calendar::events(&plan, &bundle.protocol, locale)
        .into_iter()
        .map(|event| {
            let owner = match event.anchor {
                Anchor::Session(date) => bundle
                    .sessions
                    .iter()
                    .find(|s| s.date == date)
                    .map(|s| s.id.as_str())
                    .ok_or_else(|| {
                        Error::Internal(format!("no stored session on {date} for an event"))
                    })?,
                Anchor::Plan => bundle.client.id.as_str(),
            };
            Ok(FeedEvent {
                uid: format!("{}.{owner}@{UID_DOMAIN}", event.kind.as_str()),
                url: links.day(event.first),
                event,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Feed {
        name: bundle.protocol.phrase("calendar_name", locale).to_string(),
        clinic_name,
        events,
    })
}
