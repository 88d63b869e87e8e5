//! Writing the outcomes of sends as they return, a small group per transaction, and
//! keeping the outcomes that could not be written (the database went away) to write
//! them again before anything new is claimed. This is what bounds duplicates: a
//! message is sent twice only when its outcome is lost, and an outcome is lost only
//! with the process.
//!
//! The dispatcher hands over the outcomes that are ready whenever it is not writing,
//! at most `jobs.concurrency` at a time, and one transaction records them all: one
//! commit per group instead of one per message. While a group is written, at most
//! `jobs.concurrency` other sends are in flight or returned and waiting. So:
//!
//! - `kill -9`: at most `2 x jobs.concurrency` messages (32 by default) are sent again:
//!   those in flight or returned but waiting, and the group being written, plus
//!   outcomes still waiting here for the database (none while it is up).
//! - SIGTERM: none; claiming stops, in-flight sends finish and are settled, claimed
//!   rows not yet started are released.
//! - A database outage: none; outcomes wait here (at most one claimed batch), the
//!   rest of the batch is released rather than sent, and all of it is written when the
//!   database answers again, before the next claim.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;

use super::dispatcher::Settled;
use crate::db::deliveries::{self, Delivery, Settlement, INVITATION_KIND};
use crate::db::{self, push_subscriptions, DbConnection, DbPool, StoreError};
use crate::domain::{Channel, DeliveryKind, DeliveryStatus};
use crate::metrics::Metrics;

/// An outcome to write: the row, how it ended, and when.
#[derive(Clone)]
pub(super) struct Outcome {
    pub(super) delivery: Delivery,
    pub(super) settled: Settled,
    pub(super) at: NaiveDateTime,
}

/// Whether an outcome was written, with which status and why (when not sent).
pub enum Written {
    Stored(DeliveryStatus, Option<String>),
    /// Another worker holds the row now (our lease ran out): it was not ours to settle.
    LostLease,
    /// The database did not take it; it waits in `Unsettled`.
    Kept,
}

/// Outcomes waiting for the database. Never more than one claimed batch: nothing is
/// claimed while any are waiting. Every outcome stored passes through here, so this is
/// where the metrics count them.
pub struct Unsettled {
    queue: Mutex<VecDeque<Outcome>>,
    metrics: Metrics,
}

/// What the metrics need of an outcome: its kind, channel and status.
type Counted = (DeliveryKind, Channel, DeliveryStatus);

fn counted(outcome: &Outcome) -> Counted {
    let delivery = &outcome.delivery;
    (
        delivery.kind,
        delivery.channel,
        outcome.settled.settlement.status,
    )
}

impl Unsettled {
    pub fn new(metrics: Metrics) -> Unsettled {
        Unsettled {
            queue: Mutex::default(),
            metrics,
        }
    }

    /// Outcomes are in the database: count those stored (not those another worker's
    /// lease had taken over).
    fn stored(&self, outcomes: &[Counted], stored: &[bool]) {
        for ((kind, channel, status), _) in outcomes.iter().zip(stored).filter(|(_, s)| **s) {
            self.metrics.delivery_settled(*kind, *channel, *status);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Outcome>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Writes the waiting outcomes, all in one transaction; they stay here if it fails.
    pub async fn flush(&self, pool: &DbPool, worker: &str) -> Result<usize, StoreError> {
        let waiting: Vec<Outcome> = self.lock().drain(..).collect();
        if waiting.is_empty() {
            return Ok(0);
        }
        let count = waiting.len();
        let counts: Vec<Counted> = waiting.iter().map(counted).collect();
        match write(pool, worker, waiting).await {
            Ok(stored) => {
                self.stored(&counts, &stored);
                Ok(count)
            }
            Err((e, waiting)) => {
                let mut queue = self.lock();
                for outcome in waiting.into_iter().rev() {
                    queue.push_front(outcome);
                }
                Err(e)
            }
        }
    }

    /// Writes `outcomes` now in one transaction, or keeps them all for `flush` when the
    /// database fails.
    pub(super) async fn settle(
        &self,
        pool: &DbPool,
        worker: &str,
        outcomes: Vec<Outcome>,
    ) -> Vec<Written> {
        let statuses: Vec<(DeliveryStatus, Option<String>)> = outcomes
            .iter()
            .map(|o| {
                let settlement = &o.settled.settlement;
                (settlement.status, settlement.last_error.clone())
            })
            .collect();
        let counts: Vec<Counted> = outcomes.iter().map(counted).collect();
        match write(pool, worker, outcomes).await {
            Ok(stored) => {
                self.stored(&counts, &stored);
                stored
                    .into_iter()
                    .zip(statuses)
                    .map(|(stored, (status, reason))| match stored {
                        true => Written::Stored(status, reason),
                        false => Written::LostLease,
                    })
                    .collect()
            }
            Err((e, outcomes)) => {
                tracing::warn!(outcomes = outcomes.len(), error = %e,
                    "could not record sends' outcomes; kept to write again before claiming more");
                let kept = outcomes.len();
                self.lock().extend(outcomes);
                (0..kept).map(|_| Written::Kept).collect()
            }
        }
    }
}

/// Records each outcome, only while `worker` still holds the row, with what follows
/// from it (an invitation's status on the client, a gone push subscription), all in one
/// transaction. Gives the outcomes back with the error when it fails.
async fn write(
    pool: &DbPool,
    worker: &str,
    outcomes: Vec<Outcome>,
) -> Result<Vec<bool>, (StoreError, Vec<Outcome>)> {
    let owner = worker.to_string();
    let group = Arc::new(outcomes);
    let shared = group.clone();
    let written = db::run(pool, move |conn| -> Result<Vec<bool>, StoreError> {
        // One statement is atomic on its own: a group of plain sends of one instant (the
        // common case) is written without BEGIN and COMMIT, two round trips fewer on
        // PostgreSQL for each group. On SQLite an UPDATE outside a transaction takes the
        // write lock as it starts, waiting busy_timeout like BEGIN IMMEDIATE.
        match one_statement(&shared) {
            true => write_group(conn, &owner, &shared),
            false => db::write_transaction(conn, |conn| write_group(conn, &owner, &shared)),
        }
    })
    .await;
    // The blocking task has ended (done, failed or panicked) and dropped its handle.
    let outcomes = Arc::try_unwrap(group).unwrap_or_else(|group| (*group).clone());
    written.map_err(|e| (e, outcomes))
}

/// Whether nothing else follows from a send: the row is sent and done. Only an
/// invitation's status, a gone subscription, a retry or a refunded attempt add writes.
fn plain_send(o: &Outcome) -> bool {
    let settlement = &o.settled.settlement;
    settlement.status == DeliveryStatus::Sent
        && !settlement.refund_attempt
        && settlement.next_attempt_at.is_none()
        && o.settled.disable_subscription.is_none()
        && o.delivery.kind != INVITATION_KIND
}

/// The statement's key in [`write_group`]: plain sends of one key share a statement.
fn instant(o: &Outcome) -> (NaiveDateTime, Option<NaiveDateTime>) {
    (o.at, o.settled.settlement.sent_at)
}

/// Whether [`write_group`] writes `outcomes` in one statement: all plain sends of one
/// instant.
fn one_statement(outcomes: &[Outcome]) -> bool {
    outcomes.first().is_some_and(|first| {
        outcomes
            .iter()
            .all(|o| plain_send(o) && instant(o) == instant(first))
    })
}

/// The group's writes: plain sends (nothing else follows from them, the common case)
/// in one statement per instant, every other outcome on its own.
fn write_group(
    conn: &mut DbConnection,
    owner: &str,
    outcomes: &[Outcome],
) -> Result<Vec<bool>, StoreError> {
    let mut by_instant: HashMap<(NaiveDateTime, Option<NaiveDateTime>), Vec<&str>> = HashMap::new();
    for o in outcomes.iter().filter(|o| plain_send(o)) {
        by_instant
            .entry(instant(o))
            .or_default()
            .push(o.delivery.id.as_str());
    }
    let mut sent = HashSet::new();
    for ((at, sent_at), ids) in by_instant {
        sent.extend(deliveries::settle_sent(conn, &ids, owner, sent_at, at)?);
    }
    outcomes
        .iter()
        .map(|o| match plain_send(o) {
            true => Ok(sent.contains(&o.delivery.id)),
            false => write_one(conn, owner, o),
        })
        .collect()
}

fn write_one(conn: &mut DbConnection, owner: &str, outcome: &Outcome) -> Result<bool, StoreError> {
    let (delivery, settlement, at) = (&outcome.delivery, &outcome.settled.settlement, outcome.at);
    let stored = deliveries::settle(conn, &delivery.id, owner, settlement, at)?;
    if stored && delivery.kind == INVITATION_KIND {
        super::invitation::record_outcome(conn, delivery, settlement, at)?;
    }
    if let (true, Some(reason)) = (stored, &outcome.settled.disable_subscription) {
        push_subscriptions::disable(conn, &delivery.target, reason, at)?;
        deliveries::cancel_for_target(conn, &delivery.target, reason, at)?;
    }
    Ok(stored)
}

/// Gives a claimed row back without sending it (stopping, or the database failed
/// mid-batch): claimable again at once, the attempt not spent.
pub fn release(delivery: &Delivery, at: NaiveDateTime) -> Settlement {
    let first_try = delivery.attempts <= 1;
    Settlement {
        status: if first_try {
            DeliveryStatus::Pending
        } else {
            DeliveryStatus::Retry
        },
        next_attempt_at: Some(at),
        last_error: delivery.last_error.clone(),
        sent_at: None,
        refund_attempt: true,
    }
}
