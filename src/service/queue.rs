//! `jobs status`: whether reminders go out, at a glance, for an operator on a server
//! with no dashboard: the queue by status and channel with the oldest due age, what
//! was settled and what went wrong in the last day, and the push subscriptions the
//! push services reported gone.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::Serialize;

use crate::db::{self, DbPool, StoreError};
use crate::domain::{Channel, DeliveryStatus};

/// The window of "recent" settlements, errors and disabled subscriptions.
pub const WINDOW: Duration = Duration::hours(24);

/// A due delivery older than this means reminders are late (the README's alert).
pub const LATE_AFTER: Duration = Duration::minutes(15);

/// How many error groups are listed.
const TOP_ERRORS: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct QueueStatus {
    pub at: DateTime<Utc>,
    pub database: &'static str,
    pub push_configured: bool,
    /// `ok`: nothing due has waited longer than 15 minutes; `late` otherwise.
    pub verdict: Verdict,
    /// Seconds the oldest due, unsent delivery has waited (0: none is due).
    pub oldest_due_age_secs: i64,
    /// Rows not yet settled, by status and channel.
    pub queue: Vec<QueueRow>,
    /// Since `at - 24 h`.
    pub since: DateTime<Utc>,
    pub settled: Vec<SettledRow>,
    pub errors: Vec<ErrorGroup>,
    pub disabled_subscriptions: Vec<DisabledSubscription>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    Late,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    pub status: DeliveryStatus,
    pub channel: Channel,
    pub count: i64,
    /// Seconds the oldest due row of this group has waited; `None` when none is due
    /// yet (then `next_due_at` says when the first one is).
    pub oldest_due_age_secs: Option<i64>,
    pub next_due_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SettledRow {
    pub status: DeliveryStatus,
    pub channel: Channel,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorGroup {
    pub status: DeliveryStatus,
    pub channel: Channel,
    pub reason: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DisabledSubscription {
    pub id: String,
    pub client_id: String,
    pub disabled_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// Reads the queue as of `now`.
pub async fn status(
    pool: &DbPool,
    now: DateTime<Utc>,
    database: &'static str,
    push_configured: bool,
) -> Result<QueueStatus, StoreError> {
    let since = now - WINDOW;
    let (at, from) = (now.naive_utc(), since.naive_utc());
    let (unsettled, settled, errors, disabled) =
        db::run(pool, move |conn| -> Result<_, StoreError> {
            Ok((
                db::queue::unsettled_by_channel(conn)?,
                db::queue::settled_since(conn, from)?,
                db::queue::errors_since(conn, from)?,
                db::queue::disabled_since(conn, from)?,
            ))
        })
        .await?;
    let age = |due: NaiveDateTime| (due <= at).then(|| (at - due).num_seconds());
    let mut queue: Vec<QueueRow> = unsettled
        .into_iter()
        .map(|(status, channel, count, first)| QueueRow {
            status,
            channel,
            count,
            oldest_due_age_secs: first.and_then(age),
            next_due_at: first.filter(|due| *due > at).map(|due| due.and_utc()),
        })
        .collect();
    queue.sort_by_key(|row| (row.status, row.channel));
    // A row being sent is not waiting; its lease bounds it.
    let oldest = queue
        .iter()
        .filter(|row| row.status != DeliveryStatus::Sending)
        .filter_map(|row| row.oldest_due_age_secs)
        .max()
        .unwrap_or(0);
    let mut settled: Vec<SettledRow> = settled
        .into_iter()
        .map(|(status, channel, count)| SettledRow {
            status,
            channel,
            count,
        })
        .collect();
    settled.sort_by_key(|row| (row.status, row.channel));
    Ok(QueueStatus {
        at: now,
        database,
        push_configured,
        verdict: if oldest > LATE_AFTER.num_seconds() {
            Verdict::Late
        } else {
            Verdict::Ok
        },
        oldest_due_age_secs: oldest,
        queue,
        since,
        settled,
        errors: errors
            .into_iter()
            .take(TOP_ERRORS)
            .map(|(status, channel, reason, count)| ErrorGroup {
                status,
                channel,
                reason,
                count,
            })
            .collect(),
        disabled_subscriptions: disabled
            .into_iter()
            .map(|d| DisabledSubscription {
                id: d.id,
                client_id: d.client_id,
                disabled_at: d.disabled_at.map(|t| t.and_utc()),
                reason: d.reason,
            })
            .collect(),
    })
}
