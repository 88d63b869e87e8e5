//! A client's reminder history, for the client and for their clinic: cursor pages,
//! newest first, filtered by status, channel and local-date range.

use chrono::{DateTime, NaiveDate, Utc};

use super::clients::load_for_clinic;
use super::{ClinicRef, Error, Services};
use crate::db::deliveries::{self, Delivery, HistoryFilter};
use crate::domain::{Channel, DeliveryKind, DeliveryStatus};

/// Whose history.
pub enum Whose {
    Me(String),
    OfClinic(ClinicRef, String),
}

/// What the caller asked for, as sent (validated here, naming the field at fault).
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// 1-1000, default 100.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Comma-separated statuses, e.g. `failed,dead`.
    pub status: Option<String>,
    pub channel: Option<String>,
    /// Local dates `YYYY-MM-DD`, both included.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One page and the cursor of the next (None on the last page).
pub struct HistoryPage {
    pub items: Vec<DeliveryRecord>,
    pub next_cursor: Option<String>,
}

/// A reminder as its history shows it: what was sent, to whom, and how it went,
/// without the row's internals (payload, lease, idempotency key).
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    pub id: String,
    pub kind: DeliveryKind,
    pub channel: Channel,
    /// The push subscription's id, or `email`.
    pub target: String,
    pub local_date: NaiveDate,
    pub title: String,
    pub status: DeliveryStatus,
    /// A same-day correction rather than the day's regular message.
    pub correction: bool,
    pub attempts: i32,
    pub send_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl From<Delivery> for DeliveryRecord {
    fn from(d: Delivery) -> Self {
        DeliveryRecord {
            id: d.id,
            kind: d.kind,
            channel: d.channel,
            target: d.target,
            local_date: d.local_date,
            title: d.title,
            status: d.status,
            correction: d.correction,
            attempts: d.attempts,
            send_at: d.send_at.and_utc(),
            sent_at: d.sent_at.map(|t| t.and_utc()),
            last_error: d.last_error,
        }
    }
}

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

pub async fn page(s: &Services, whose: Whose, query: HistoryQuery) -> Result<HistoryPage, Error> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let filter = HistoryFilter {
        statuses: statuses(query.status.as_deref())?,
        channel: query
            .channel
            .as_deref()
            .map(|c| {
                c.parse::<Channel>()
                    .map_err(|e| Error::invalid("channel", e.to_string()))
            })
            .transpose()?,
        from: date("from", query.from.as_deref())?,
        to: date("to", query.to.as_deref())?,
        after: query.cursor.as_deref().map(decode_cursor).transpose()?,
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from > to {
            return Err(Error::invalid("from", "must not be after `to`"));
        }
    }
    s.db(move |conn| {
        let client_id = match whose {
            Whose::Me(id) => id,
            Whose::OfClinic(clinic, id) => load_for_clinic(conn, &clinic.id, &id)?.client.id,
        };
        let mut items = deliveries::history_page(conn, &client_id, &filter, i64::from(limit) + 1)?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = more
            .then(|| items.last().map(|d| encode_cursor(d.local_date, &d.id)))
            .flatten();
        let items = items.into_iter().map(DeliveryRecord::from).collect();
        Ok(HistoryPage { items, next_cursor })
    })
    .await
}

fn statuses(raw: Option<&str>) -> Result<Vec<DeliveryStatus>, Error> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(|s| s.trim().parse::<DeliveryStatus>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid("status", e.to_string()))
}

fn date(field: &str, raw: Option<&str>) -> Result<Option<NaiveDate>, Error> {
    raw.map(|d| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| Error::invalid(field, "must be a date, YYYY-MM-DD"))
    })
    .transpose()
}

/// The cursor names the last row shown: its local date and id, opaque to callers.
fn encode_cursor(date: NaiveDate, id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{date}|{id}"))
}

fn decode_cursor(cursor: &str) -> Result<(NaiveDate, String), Error> {
    use base64::Engine;
    let bad = || Error::invalid("cursor", "not a cursor returned by this API");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (date, id) = text.split_once('|').ok_or_else(bad)?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| bad())?;
    if id.is_empty() {
        return Err(bad());
    }
    Ok((date, id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let cursor = encode_cursor(date, "0190-abc");
        assert_eq!(
            decode_cursor(&cursor).unwrap(),
            (date, "0190-abc".to_string())
        );
        for bad in ["", "!!", "bm9waXBl", "MjAyNi0xMy0wMXx4"] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses_are_a_comma_list_of_known_ids() {
        assert_eq!(
            statuses(Some("failed, dead")).unwrap(),
            [DeliveryStatus::Failed, DeliveryStatus::Dead]
        );
        assert!(statuses(Some("failed,lost")).is_err());
        assert!(statuses(None).unwrap().is_empty());
    }
}
