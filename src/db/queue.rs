//! What the delivery queue looks like as a whole: the aggregates behind the metrics'
//! gauges and `jobs status`. Every query here rides the `deliveries_due` index
//! (`status, next_attempt_at`): unsettled rows by status, and settled rows by the
//! time they were settled (a settlement writes `next_attempt_at`), so a look at the
//! queue costs the size of the queue or of the window, never of the history.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, min};
use diesel::prelude::*;

use super::schema::{deliveries, push_subscriptions};
use super::DbConnection;
use crate::domain::{Channel, DeliveryStatus};

/// Statuses of rows not yet settled.
pub const UNSETTLED: [DeliveryStatus; 3] = [
    DeliveryStatus::Pending,
    DeliveryStatus::Retry,
    DeliveryStatus::Sending,
];

/// Statuses a delivery ends in.
pub const SETTLED: [DeliveryStatus; 5] = [
    DeliveryStatus::Sent,
    DeliveryStatus::Failed,
    DeliveryStatus::Dead,
    DeliveryStatus::Expired,
    DeliveryStatus::Cancelled,
];

/// Statuses whose `last_error` says something went wrong (a cancellation's reason is
/// a change of plan, not an error).
const TROUBLED: [DeliveryStatus; 4] = [
    DeliveryStatus::Retry,
    DeliveryStatus::Failed,
    DeliveryStatus::Dead,
    DeliveryStatus::Expired,
];

/// Unsettled rows by status (the metrics' queue depth).
pub fn depth(conn: &mut DbConnection) -> QueryResult<Vec<(DeliveryStatus, i64)>> {
    deliveries::table
        .filter(deliveries::status.eq_any(UNSETTLED))
        .group_by(deliveries::status)
        .select((deliveries::status, count_star()))
        .load(conn)
}

/// The due time of the oldest row that is due at `now` and not handed to a sender.
pub fn oldest_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    deliveries::table
        .filter(deliveries::status.eq_any([DeliveryStatus::Pending, DeliveryStatus::Retry]))
        .filter(deliveries::next_attempt_at.le(now))
        .select(min(deliveries::next_attempt_at))
        .get_result(conn)
}

/// Unsettled rows of one status and channel: how many, and the earliest
/// `next_attempt_at`.
pub type UnsettledGroup = (DeliveryStatus, Channel, i64, Option<NaiveDateTime>);

/// Unsettled rows by status and channel.
pub fn unsettled_by_channel(conn: &mut DbConnection) -> QueryResult<Vec<UnsettledGroup>> {
    deliveries::table
        .filter(deliveries::status.eq_any(UNSETTLED))
        .group_by((deliveries::status, deliveries::channel))
        .select((
            deliveries::status,
            deliveries::channel,
            count_star(),
            min(deliveries::next_attempt_at),
        ))
        .load(conn)
}

/// Rows settled since `since`, by status and channel.
pub fn settled_since(
    conn: &mut DbConnection,
    since: NaiveDateTime,
) -> QueryResult<Vec<(DeliveryStatus, Channel, i64)>> {
    deliveries::table
        .filter(deliveries::status.eq_any(SETTLED))
        .filter(deliveries::next_attempt_at.ge(since))
        .group_by((deliveries::status, deliveries::channel))
        .select((deliveries::status, deliveries::channel, count_star()))
        .load(conn)
}

/// The errors of rows retried, failed, dead or expired since `since`, grouped by
/// status, channel and reason, most frequent first.
pub fn errors_since(
    conn: &mut DbConnection,
    since: NaiveDateTime,
) -> QueryResult<Vec<(DeliveryStatus, Channel, String, i64)>> {
    let mut groups: Vec<(DeliveryStatus, Channel, Option<String>, i64)> = deliveries::table
        .filter(deliveries::status.eq_any(TROUBLED))
        .filter(deliveries::next_attempt_at.ge(since))
        .filter(deliveries::last_error.is_not_null())
        .group_by((
            deliveries::status,
            deliveries::channel,
            deliveries::last_error,
        ))
        .select((
            deliveries::status,
            deliveries::channel,
            deliveries::last_error,
            count_star(),
        ))
        .load(conn)?;
    groups.sort_by(|a, b| b.3.cmp(&a.3).then_with(|| a.2.cmp(&b.2)));
    Ok(groups
        .into_iter()
        .filter_map(|(status, channel, reason, n)| Some((status, channel, reason?, n)))
        .collect())
}

/// A push subscription the push service reported gone.
#[derive(Debug, Clone, Queryable)]
pub struct DisabledSubscription {
    pub id: String,
    pub client_id: String,
    pub disabled_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
}

/// Subscriptions disabled since `since`, newest first.
pub fn disabled_since(
    conn: &mut DbConnection,
    since: NaiveDateTime,
) -> QueryResult<Vec<DisabledSubscription>> {
    push_subscriptions::table
        .filter(push_subscriptions::disabled_at.ge(since))
        .order(push_subscriptions::disabled_at.desc())
        .select((
            push_subscriptions::id,
            push_subscriptions::client_id,
            push_subscriptions::disabled_at,
            push_subscriptions::disabled_reason,
        ))
        .load(conn)
}
