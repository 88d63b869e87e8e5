//! The calendar feed as iCalendar (RFC 5545, with RFC 7986's NAME and
//! REFRESH-INTERVAL), written by the `icalendar` crate.

use chrono::{DateTime, Days, Utc};
use icalendar::{Calendar, Component, Event, EventLike, Property};
use sha2::{Digest, Sha256};

use crate::service::calendar::Feed;

/// How often calendar apps should poll (REFRESH-INTERVAL, X-PUBLISHED-TTL), an RFC 5545
/// duration: a session the clinic moves shows within the hour; a poll that finds
/// nothing new is a 304. Written as text: the crate's `Calendar::ttl` prints a chrono
/// duration as `PT3600S`, valid but not what calendar apps are used to read.
pub const REFRESH_INTERVAL: &str = "PT1H";

/// `Cache-Control` of the feed: only the client's own calendar app may keep it (the
/// URL is a secret), and only briefly, so a poll after a change sees the change.
pub const CACHE_CONTROL: &str = "private, max-age=300";

pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

const PRODUCT_ID: &str = "-//smp-aftercare//calendar feed//EN";

/// A text value as one line: control characters become spaces. Validation refuses
/// them in protocol and clinic texts; this holds for anything stored before it did.
/// Hand-written beside the `icalendar` crate because the crate escapes only the
/// properties it types as TEXT (not RFC 7986's NAME) and never a CR, so a raw CR/LF
/// in a text would start a property of its own (`BEGIN:VALARM`).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// RFC 5545 3.3.11's TEXT escaping, for the properties the crate writes raw (NAME).
fn escape_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
}

/// The feed with every event stamped `stamp` (DTSTAMP: when this copy was made).
pub fn render(feed: &Feed, stamp: DateTime<Utc>) -> String {
    // `Calendar::empty`, not `new`: `new` adds the crate's own PRODID.
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODUCT_ID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .name(&escape_text(&one_line(&feed.name)))
        .append_property(
            Property::new("REFRESH-INTERVAL", REFRESH_INTERVAL)
                .append_parameter(("VALUE", "DURATION"))
                .done(),
        )
        .append_property(Property::new("X-PUBLISHED-TTL", REFRESH_INTERVAL));
    if !feed.clinic_name.is_empty() {
        calendar.description(&one_line(&feed.clinic_name));
    }
    for item in &feed.events {
        let e = &item.event;
        let mut event = Event::new();
        // UID and DTSTAMP are always set here: without them the crate writes a random
        // UID and the wall clock's time.
        event
            .uid(&item.uid)
            .timestamp(stamp)
            .summary(&one_line(&e.title))
            .description(&one_line(&e.description))
            // All-day DATE values with DTEND the day after the last day (exclusive, RFC
            // 5545 3.6.1); not the crate's `all_day`, which writes DTEND = DTSTART, an
            // event of no length.
            .starts(e.first)
            .ends(e.last + Days::new(1))
            .url(&item.url)
            .add_property("TRANSP", "TRANSPARENT");
        calendar.push(event.done());
    }
    calendar.to_string()
}

/// A weak entity tag of the feed's content: the same while nothing in the feed
/// changes, whatever the time (DTSTAMP, which changes with every copy, is left out;
/// hence weak).
pub fn etag(feed: &Feed) -> String {
    let fixed = render(feed, DateTime::UNIX_EPOCH);
    let digest = hex::encode(Sha256::digest(fixed.as_bytes()));
    format!("W/\"{}\"", &digest[..32])
}

/// Whether an `If-None-Match` header value names `etag` (weak comparison, RFC 9110
/// 13.1.2: the `W/` prefix is ignored on both sides), or is `*`.
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    let ours = opaque(etag);
    if_none_match
        .split(',')
        .any(|candidate| candidate.trim() == "*" || opaque(candidate) == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly() {
        let tag = "W/\"abc\"";
        assert!(matches("W/\"abc\"", tag));
        assert!(matches("\"abc\"", tag));
        assert!(matches("\"x\", W/\"abc\"", tag));
        assert!(matches("*", tag));
        assert!(!matches("W/\"abd\"", tag));
        assert!(!matches("", tag));
    }

    /// Texts with CR/LF (stored before validation refused them) stay inside their
    /// property: no line of the feed starts a component or property of its own.
    #[test]
    fn line_breaks_in_texts_cannot_inject_properties() {
        use crate::domain::calendar::{Anchor, CalendarEvent, CalendarEventKind};
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let evil = "Wash\r\nBEGIN:VALARM\r\nTRIGGER:-PT5M\nEND:VALARM\r";
        let feed = Feed {
            name: format!("Aftercare{evil}; a, b"),
            clinic_name: evil.to_string(),
            events: vec![crate::service::calendar::FeedEvent {
                uid: "a@smp-aftercare".into(),
                url: "https://app.example/day".into(),
                event: CalendarEvent {
                    kind: CalendarEventKind::Session,
                    anchor: Anchor::Session(day),
                    first: day,
                    last: day,
                    title: evil.to_string(),
                    description: evil.to_string(),
                },
            }],
        };
        let text = render(&feed, DateTime::UNIX_EPOCH);
        let lines: Vec<&str> = text.split("\r\n").collect();
        for line in &lines {
            assert!(!line.contains('\r') && !line.contains('\n'), "{line:?}");
            assert!(
                !line.starts_with("BEGIN:VALARM") && !line.starts_with("TRIGGER"),
                "{text}"
            );
        }
        assert!(
            lines.iter().any(|l| l.starts_with("NAME:Aftercare")),
            "{text}"
        );
        assert!(text.contains("\\; a\\, b"), "NAME escaped as TEXT: {text}");
    }
}
