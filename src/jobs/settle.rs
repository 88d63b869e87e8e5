//! Writing the outcome of each send as soon as it returns, and keeping the outcomes
//! that could not be written (the database went away) to write them again before
//! anything new is claimed. This is what bounds duplicates: a message is sent twice
//! only when its outcome is lost, and an outcome is lost only with the process.
//!
//! - `kill -9`: at most the sends in flight at that instant (`jobs.concurrency`), plus
//!   outcomes still waiting here for the database (none while it is up).
//! - SIGTERM: none; claiming stops, in-flight sends finish and are settled, claimed
//!   rows not yet started are released.
//! - A database outage: none; outcomes wait here (at most one claimed batch), the
//!   rest of the batch is released rather than sent, and all of it is written when the
//!   database answers again, before the next claim.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::NaiveDateTime;

use super::dispatcher::Settled;
use crate::db::deliveries::{self, Delivery, Settlement, INVITATION_KIND};
use crate::db::{self, push_subscriptions, DbPool, StoreError};
use crate::domain::DeliveryStatus;
use crate::metrics::Metrics;

/// An outcome to write: the row, how it ended, and when.
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

impl Unsettled {
    pub fn new(metrics: Metrics) -> Unsettled {
        Unsettled {
            queue: Mutex::default(),
            metrics,
        }
    }

    /// An outcome is in the database: count it.
    fn stored(&self, outcome: &Outcome) {
        let (delivery, status) = (&outcome.delivery, outcome.settled.settlement.status);
        self.metrics
            .delivery_settled(&delivery.kind, delivery.channel, status);
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

    /// Writes the waiting outcomes in order; stops at the first that fails again.
    pub async fn flush(&self, pool: &DbPool, worker: &str) -> Result<usize, StoreError> {
        let mut written = 0;
        loop {
            let Some(outcome) = self.lock().pop_front() else {
                return Ok(written);
            };
            match write(pool, worker, &outcome).await {
                Ok(stored) => {
                    if stored {
                        self.stored(&outcome);
                    }
                    written += 1;
                }
                Err(e) => {
                    self.lock().push_front(outcome);
                    return Err(e);
                }
            }
        }
    }

    /// Writes `outcome` now, or keeps it for `flush` when the database fails.
    pub(super) async fn settle(&self, pool: &DbPool, worker: &str, outcome: Outcome) -> Written {
        match write(pool, worker, &outcome).await {
            Ok(true) => {
                self.stored(&outcome);
                let settlement = outcome.settled.settlement;
                Written::Stored(settlement.status, settlement.last_error)
            }
            Ok(false) => Written::LostLease,
            Err(e) => {
                tracing::warn!(delivery = %outcome.delivery.id, error = %e,
                    "could not record a send's outcome; kept to write again before claiming more");
                self.lock().push_back(outcome);
                Written::Kept
            }
        }
    }
}

/// Records the outcome, only while `worker` still holds the row, with what follows
/// from it (an invitation's status on the client, a gone push subscription).
async fn write(pool: &DbPool, worker: &str, outcome: &Outcome) -> Result<bool, StoreError> {
    let (delivery, settlement) = (outcome.delivery.clone(), outcome.settled.settlement.clone());
    let disable = outcome.settled.disable_subscription.clone();
    let (owner, at) = (worker.to_string(), outcome.at);
    db::run(pool, move |conn| -> Result<bool, StoreError> {
        db::write_transaction(conn, |conn| {
            let stored = deliveries::settle(conn, &delivery.id, &owner, &settlement, at)?;
            if stored && delivery.kind == INVITATION_KIND {
                super::invitation::record_outcome(conn, &delivery, &settlement, at)?;
            }
            if let (true, Some(reason)) = (stored, disable) {
                push_subscriptions::disable(conn, &delivery.target, &reason, at)?;
                deliveries::cancel_for_target(conn, &delivery.target, &reason, at)?;
            }
            Ok(stored)
        })
    })
    .await
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
