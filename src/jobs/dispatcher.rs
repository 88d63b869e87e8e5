//! The dispatcher: expires what is stale, claims due deliveries under a lease, sends
//! them, and settles each with an explicit outcome.
//!
//! Outcomes: push 2xx sent; 404/410 disable that subscription and stop; 400/401/403/
//! 413 permanent failure (logged loudly); 429 retry after `Retry-After` without
//! spending an attempt; 5xx and timeouts retry with exponential backoff and jitter.
//! SMTP 4xx, drops and stalls retry; 5xx is permanent. After `max_attempts` a
//! delivery is `dead`. A delivery whose local day is over is `expired`, never sent.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use futures_util::stream::{self, StreamExt};
use rand::Rng;

mod send;

use super::settle::{release, Outcome, Unsettled, Written};
use crate::db::deliveries::{self, Delivery, Settlement, INVITATION_KIND};
use crate::db::push_subscriptions::PushSubscription;
use crate::db::{self, push_subscriptions, DbPool, StoreError};
use crate::domain::{Channel, DeliveryStatus};
use crate::links::Links;
use crate::metrics::Metrics;
use crate::notify::email::{Mailer, OutgoingEmail, SendError, SentEmail};
use crate::notify::push::{PushMessage, PushOutcome, PushSender, PushTarget};
use send::{send_email, send_push};

const SENT: DeliveryStatus = DeliveryStatus::Sent;
const RETRY: DeliveryStatus = DeliveryStatus::Retry;
const FAILED: DeliveryStatus = DeliveryStatus::Failed;
const DEAD: DeliveryStatus = DeliveryStatus::Dead;
const CANCELLED: DeliveryStatus = DeliveryStatus::Cancelled;
const PENDING: DeliveryStatus = DeliveryStatus::Pending;

/// Why push deliveries wait while push is off.
pub const PUSH_NOT_CONFIGURED: &str =
    "push is not configured: set push.vapid_subject to a real mailto: or https: contact";

/// How the dispatcher behaves; from `[jobs]`.
#[derive(Debug, Clone)]
pub struct DispatchPolicy {
    pub batch_size: i32,
    pub lease: Duration,
    pub max_attempts: i32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub concurrency: usize,
    pub links: Links,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DispatchReport {
    pub expired: usize,
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub dead: usize,
    pub cancelled: usize,
    /// Settlements refused because another worker took the row over (lease ran out).
    pub lost_lease: usize,
    /// Claimed rows given back unsent (shutdown, or the database failed mid-batch).
    pub released: usize,
    /// Outcomes kept in memory because the database did not take them.
    pub unsettled: usize,
    /// What was not sent, by status and reason, for operators (`jobs run-once`).
    pub not_sent: BTreeMap<(DeliveryStatus, String), usize>,
}

impl DispatchReport {
    /// Adds another pass's counts to these.
    pub fn add(&mut self, other: DispatchReport) {
        self.expired += other.expired;
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.retried += other.retried;
        self.failed += other.failed;
        self.dead += other.dead;
        self.cancelled += other.cancelled;
        self.lost_lease += other.lost_lease;
        self.released += other.released;
        self.unsettled += other.unsettled;
        for (key, count) in other.not_sent {
            *self.not_sent.entry(key).or_default() += count;
        }
    }
}

/// The channels, as the dispatcher needs them. `push` is None while push is not
/// configured (placeholder VAPID subject): push deliveries then wait and retry.
#[derive(Clone)]
pub struct Channels {
    pub mailer: Mailer,
    pub push: Option<PushSender>,
    pub metrics: Metrics,
}

impl Channels {
    /// Sends an email, timed for the metrics.
    pub(super) async fn email(&self, email: &OutgoingEmail) -> Result<SentEmail, SendError> {
        let started = std::time::Instant::now();
        let sent = self.mailer.send(email).await;
        self.metrics.send_took(Channel::Email, started.elapsed());
        sent
    }

    /// Sends a push message, timed and its answer counted for the metrics.
    async fn push(
        &self,
        sender: &PushSender,
        to: &PushTarget,
        message: &PushMessage,
    ) -> PushOutcome {
        let started = std::time::Instant::now();
        let outcome = sender.send(to, message).await;
        self.metrics.send_took(Channel::Push, started.elapsed());
        self.metrics.push_answered(outcome.status());
        outcome
    }
}

/// What one pass needs besides the channels and the policy.
pub struct Pass<'a> {
    pub worker: &'a str,
    pub unsettled: &'a Unsettled,
    /// Set on shutdown: claim nothing more, release what has not started.
    pub stopping: &'a AtomicBool,
}

/// The start of a dispatch pass: write any outcomes still waiting, then expire every
/// unsent row whose local day is over at `now` (and rows whose crashed sender's lease
/// ran out on such a day). Once a pass, not before every batch: `now` is the pass's,
/// so a second look would find only rows other workers wrote meanwhile, which the next
/// tick expires, and no claim takes a stale row. Before every batch it was the pass's
/// costliest statement on PostgreSQL: with statistics that saw no row unsent (months
/// of sent history say so), its plan reads every pending row, 30 ms a batch at 50,000
/// due.
pub async fn expire_stale(
    pool: &DbPool,
    channels: &Channels,
    pass: &Pass<'_>,
    now: DateTime<Utc>,
) -> Result<DispatchReport, StoreError> {
    // An outcome waiting for the database is written first: a sent row must be
    // recorded as sent, not expired under it.
    pass.unsettled.flush(pool, pass.worker).await?;
    let at = now.naive_utc();
    let expired = db::run(pool, move |conn| -> Result<_, StoreError> {
        Ok(deliveries::expire_stale(conn, at)?)
    })
    .await?;
    for (kind, channel) in &expired {
        channels
            .metrics
            .delivery_settled(*kind, *channel, DeliveryStatus::Expired);
    }
    Ok(DispatchReport {
        expired: expired.len(),
        ..DispatchReport::default()
    })
}

/// One batch: write any outcomes still waiting, claim a batch, read what its sends
/// need in one go, send it (`jobs.concurrency` at a time), and write the outcomes as
/// they come back, those ready together in one transaction (see `settle` for what that
/// bounds).
pub async fn dispatch_once(
    pool: &DbPool,
    channels: &Channels,
    policy: &DispatchPolicy,
    pass: &Pass<'_>,
    now: DateTime<Utc>,
) -> Result<DispatchReport, StoreError> {
    // Outcomes of earlier sends first: nothing new goes out while the database has not
    // heard how the last ones ended.
    pass.unsettled.flush(pool, pass.worker).await?;
    if pass.stopping.load(Ordering::Acquire) {
        return Ok(DispatchReport::default());
    }
    let at = now.naive_utc();
    let lease_until = (now + policy.lease).naive_utc();
    let (batch_size, owner) = (policy.batch_size, pass.worker.to_string());
    let claimed = db::run(pool, move |conn| -> Result<_, StoreError> {
        Ok(deliveries::claim_due(
            conn,
            at,
            &owner,
            lease_until,
            batch_size,
        )?)
    })
    .await?;
    let mut report = DispatchReport {
        claimed: claimed.len(),
        ..DispatchReport::default()
    };
    let subscriptions = subscriptions_of(pool, &claimed).await;
    let concurrency = policy.concurrency.max(1);
    let mut groups = stream::iter(claimed)
        .map(|delivery| {
            // Stopping, or the database stopped taking outcomes: give the row back
            // instead of sending a message whose outcome could not be recorded.
            let hold = pass.stopping.load(Ordering::Acquire)
                || !pass.unsettled.is_empty()
                || subscriptions.is_none();
            let subscription = subscriptions
                .as_ref()
                .and_then(|found| found.get(&delivery.target).cloned());
            let send = Send {
                delivery,
                subscription,
                hold,
                now,
            };
            send.start(pool, channels, policy)
        })
        .buffer_unordered(concurrency)
        // What has come back meanwhile, written together while the next sends run.
        .ready_chunks(concurrency);
    while let Some(group) = groups.next().await {
        for written in pass.unsettled.settle(pool, pass.worker, group).await {
            report.count(written);
        }
    }
    if !pass.unsettled.is_empty() {
        return Err(StoreError::Unavailable(format!(
            "{} outcomes wait for the database; they are written before anything new is claimed",
            pass.unsettled.len()
        )));
    }
    Ok(report)
}

impl DispatchReport {
    fn count(&mut self, written: Written) {
        if let Written::Stored(status, Some(reason)) = &written {
            if *status != PENDING {
                *self.not_sent.entry((*status, reason.clone())).or_default() += 1;
            }
        }
        match written {
            Written::Stored(SENT, _) => self.sent += 1,
            Written::Stored(RETRY, _) => self.retried += 1,
            Written::Stored(FAILED, _) => self.failed += 1,
            Written::Stored(DEAD, _) => self.dead += 1,
            Written::Stored(PENDING, _) => self.released += 1,
            Written::Stored(..) => self.cancelled += 1,
            Written::LostLease => self.lost_lease += 1,
            Written::Kept => self.unsettled += 1,
        }
    }
}

/// The push subscriptions the batch's push deliveries go to, in one query; None when
/// the database failed (the batch is then given back unsent).
async fn subscriptions_of(
    pool: &DbPool,
    claimed: &[Delivery],
) -> Option<HashMap<String, PushSubscription>> {
    let ids: Vec<String> = claimed
        .iter()
        .filter(|d| d.channel == Channel::Push)
        .map(|d| d.target.clone())
        .collect();
    if ids.is_empty() {
        return Some(HashMap::new());
    }
    let found = db::run(pool, move |conn| -> Result<_, StoreError> {
        Ok(push_subscriptions::find_many(conn, &ids)?)
    })
    .await;
    found
        .inspect_err(|e| tracing::warn!(error = %e, "cannot read the batch's push subscriptions; giving it back"))
        .ok()
        .map(|rows| rows.into_iter().map(|s| (s.id.clone(), s)).collect())
}

/// One claimed delivery on its way out.
struct Send {
    delivery: Delivery,
    /// Its push subscription, as read for the batch (None: removed, or not push).
    subscription: Option<PushSubscription>,
    /// Give it back unsent instead.
    hold: bool,
    now: DateTime<Utc>,
}

impl Send {
    /// Runs the send as a task of its own, so it goes on while a group of outcomes is
    /// written; resolves to its outcome.
    fn start<'a>(
        self,
        pool: &DbPool,
        channels: &Channels,
        policy: &'a DispatchPolicy,
    ) -> impl std::future::Future<Output = Outcome> + 'a {
        let (pool, channels, task_policy) = (pool.clone(), channels.clone(), policy.clone());
        let (delivery, now, at) = (self.delivery.clone(), self.now, self.now.naive_utc());
        let task = tokio::spawn(async move {
            let Send {
                delivery,
                subscription,
                hold,
                now,
            } = self;
            let settled = if hold {
                settled(release(&delivery, at))
            } else {
                send_one(&pool, &channels, &task_policy, &delivery, subscription, now).await
            };
            Outcome {
                delivery,
                settled,
                at,
            }
        });
        async move {
            // A send that panicked is retried later like any internal failure.
            task.await.unwrap_or_else(|e| {
                let reason = format!("internal: the send failed: {e}");
                Outcome {
                    settled: settled(retry(policy, &delivery, now, reason, None, false)),
                    delivery,
                    at,
                }
            })
        }
    }
}

#[derive(Clone)]
pub(super) struct Settled {
    pub(super) settlement: Settlement,
    /// Push 404/410: the subscription is gone.
    pub(super) disable_subscription: Option<String>,
}

pub(super) fn settled(settlement: Settlement) -> Settled {
    Settled {
        settlement,
        disable_subscription: None,
    }
}

pub(super) fn done(
    status: DeliveryStatus,
    error: Option<String>,
    sent_at: Option<NaiveDateTime>,
) -> Settlement {
    Settlement {
        status,
        next_attempt_at: None,
        last_error: error,
        sent_at,
        refund_attempt: false,
    }
}

/// A retry after `after`, or `dead` once the attempts are spent.
pub(super) fn retry(
    policy: &DispatchPolicy,
    delivery: &Delivery,
    now: DateTime<Utc>,
    reason: String,
    after: Option<Duration>,
    refund: bool,
) -> Settlement {
    let attempts = delivery.attempts - i32::from(refund);
    if !refund && attempts >= policy.max_attempts {
        return done(
            DEAD,
            Some(format!("gave up after {attempts} attempts: {reason}")),
            None,
        );
    }
    let wait = after.unwrap_or_else(|| backoff(policy, attempts));
    Settlement {
        status: RETRY,
        next_attempt_at: Some((now + wait).naive_utc()),
        last_error: Some(reason),
        sent_at: None,
        refund_attempt: refund,
    }
}

/// Exponential backoff with +-25% jitter, so a burst of failures does not come back
/// as a burst.
pub fn backoff(policy: &DispatchPolicy, attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 20) - 1;
    let base = policy.backoff_base.num_milliseconds().max(1) as f64 * 2f64.powi(exponent);
    let capped = base.min(policy.backoff_max.num_milliseconds() as f64);
    let jitter = rand::thread_rng().gen_range(0.75..=1.25);
    Duration::milliseconds((capped * jitter) as i64)
}

async fn send_one(
    pool: &DbPool,
    channels: &Channels,
    policy: &DispatchPolicy,
    delivery: &Delivery,
    subscription: Option<PushSubscription>,
    now: DateTime<Utc>,
) -> Settled {
    let result = match delivery.channel {
        Channel::Push => Ok(send_push(channels, policy, delivery, subscription, now).await),
        Channel::Email if delivery.kind == INVITATION_KIND => {
            super::invitation::send(pool, channels, policy, delivery, now).await
        }
        Channel::Email => send_email(pool, channels, policy, delivery, now).await,
    };
    match result {
        Ok(settled) => {
            if settled.settlement.status == SENT {
                let (id, channel, kind) = (&delivery.id, delivery.channel, &delivery.kind);
                tracing::info!(delivery = %id, %channel, %kind, "reminder sent");
            } else {
                let (id, channel, status) =
                    (&delivery.id, delivery.channel, settled.settlement.status);
                let error = &settled.settlement.last_error;
                tracing::warn!(delivery = %id, %channel, %status, ?error, "reminder not sent");
            }
            settled
        }
        // Our own database failed mid-send: try again later, like any transient error.
        Err(e) => settled(retry(
            policy,
            delivery,
            now,
            format!("internal: {e}"),
            None,
            false,
        )),
    }
}
