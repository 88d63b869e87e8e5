//! The reminder engine. The database is the truth; cron ticks only wake it.
//!
//! - `planner`: due clients -> delivery rows (unique per client, local date, channel,
//!   target; conflict-ignore, so any number of replicas may plan at once).
//! - `dispatcher`: due rows -> claimed under a lease -> sent -> settled.
//! - `scheduler`: tokio-cron-scheduler wake-ups in UTC. A tick missed while the
//!   service was down is caught up by the next one, because what is due comes from
//!   `next_plan_at` and `next_attempt_at`, not from the tick.

pub(crate) mod dispatcher;
mod invitation;
pub(crate) mod planner;
pub(crate) mod scheduler;
mod settle;
pub mod standing;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Days, Duration, NaiveTime, Utc};

use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db::{self, DbPool, StoreError};
use crate::links::Links;
use crate::metrics::{self, Metrics};
use crate::notify::email::Mailer;
use crate::notify::push::PushSender;
use crate::notify::vapid::VapidKeys;
pub use dispatcher::{DispatchPolicy, DispatchReport};
pub use planner::PlanReport;

/// What one `run_once` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub planned: PlanReport,
    pub dispatched: DispatchReport,
    /// How long each half took (a stopwatch, for operators and the fan-out benchmark).
    pub planning_took: StdDuration,
    pub dispatching_took: StdDuration,
}

/// The engine: everything a tick needs.
pub struct Engine {
    pub pool: DbPool,
    pub clock: SharedClock,
    pub channels: dispatcher::Channels,
    pub policy: DispatchPolicy,
    pub worker_id: String,
    pub plan_batch: i64,
    /// Batches planned at once (`jobs.planners` on PostgreSQL, 1 on SQLite).
    pub planners: usize,
    pub retention_days: u32,
    /// Console sessions and sign-in links past their limits are pruned too.
    pub console: crate::config::ConsoleSettings,
    planning: AtomicBool,
    dispatching: AtomicBool,
    /// Outcomes the database did not take yet (see `settle`).
    unsettled: settle::Unsettled,
    /// Shutdown asked: claim nothing more.
    stopping: AtomicBool,
    pub metrics: Metrics,
}

impl Engine {
    pub fn new(
        settings: &Settings,
        pool: DbPool,
        clock: SharedClock,
        mailer: Mailer,
        vapid: VapidKeys,
        metrics: Metrics,
    ) -> Engine {
        let jobs = &settings.jobs;
        // Push services check the VAPID token against real time, even when the engine
        // runs on a demo clock.
        // No subject (the embedded default): push is off; `Services::build` said so once.
        let push = settings.push.vapid_subject.as_deref().and_then(|subject| {
            let sender = PushSender::with_insecure_origins(
                vapid,
                subject,
                StdDuration::from_secs(jobs.push_timeout_secs),
                Arc::new(SystemClock),
                &settings.push.allowed_insecure_endpoints,
            );
            sender
                .inspect_err(|e| tracing::error!(error = %e, "push reminders are off: the push sender cannot start"))
                .ok()
        });
        Engine {
            pool,
            clock,
            channels: dispatcher::Channels {
                mailer,
                push,
                metrics: metrics.clone(),
            },
            policy: DispatchPolicy {
                batch_size: jobs.batch_size as i32,
                lease: Duration::seconds(jobs.lease_secs as i64),
                max_attempts: jobs.max_attempts as i32,
                backoff_base: Duration::seconds(jobs.backoff_base_secs as i64),
                backoff_max: Duration::seconds(jobs.backoff_max_secs as i64),
                concurrency: jobs.concurrency,
                links: Links::from_settings(settings),
            },
            worker_id: format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple()),
            plan_batch: i64::from(jobs.batch_size),
            // SQLite's single writer would run a second planner's transaction after the
            // first anyway, and hold a pool connection waiting for the lock.
            planners: match settings.database.backend() {
                Ok(crate::config::DatabaseUrl::Postgres(_)) => jobs.planners,
                _ => 1,
            },
            retention_days: jobs.retention_days,
            console: settings.console.clone(),
            planning: AtomicBool::new(false),
            dispatching: AtomicBool::new(false),
            unsettled: settle::Unsettled::new(metrics.clone()),
            stopping: AtomicBool::new(false),
            metrics,
        }
    }

    /// Plans every client due at `now`, batch after batch; counted in the metrics.
    pub async fn plan(&self, now: DateTime<Utc>) -> Result<PlanReport, StoreError> {
        // A stopwatch for the metrics, not a reading of "now".
        let started = std::time::Instant::now();
        let planned = match self.plan_batches(now).await {
            Ok(report) => self.renew_standings(now).await.map(|()| report),
            Err(e) => Err(e),
        };
        if let Ok(report) = &planned {
            self.metrics.planned(metrics::PlannedRows {
                inserted: report.inserted,
                updated: report.updated,
                cancelled: report.cancelled,
                expired: report.expired,
            });
            let took = started.elapsed();
            self.metrics.tick(metrics::Job::Plan, took, report.clients);
        }
        planned
    }

    /// Renews every standing gone stale at `now`, batch after batch (see `standing`).
    async fn renew_standings(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        loop {
            let batch = self.plan_batch;
            let renewed = db::run(&self.pool, move |conn| {
                standing::renew_stale(conn, now, batch)
            })
            .await?;
            if renewed < batch as usize {
                return Ok(());
            }
        }
    }

    /// `planners` loops at once, each planning batch after batch until a batch comes
    /// back short. On PostgreSQL their claims (`FOR UPDATE SKIP LOCKED`) take disjoint
    /// batches, as two workers' do: one batch's statements run on the server while
    /// another's reminders are computed here.
    async fn plan_batches(&self, now: DateTime<Utc>) -> Result<PlanReport, StoreError> {
        let loops = (0..self.planners.max(1)).map(|_| self.plan_loop(now));
        let mut total = PlanReport::default();
        for report in futures_util::future::try_join_all(loops).await? {
            total.add(report);
        }
        Ok(total)
    }

    async fn plan_loop(&self, now: DateTime<Utc>) -> Result<PlanReport, StoreError> {
        let mut total = PlanReport::default();
        loop {
            let (batch, links) = (self.plan_batch, self.policy.links.clone());
            let report = db::run(&self.pool, move |conn| -> Result<_, StoreError> {
                planner::plan_due(conn, now, &links, batch)
            })
            .await?;
            total.add(report);
            // A batch of only already-claimed clients plans nothing: stop, don't spin.
            if report.clients < self.plan_batch as usize {
                return Ok(total);
            }
        }
    }

    /// Dispatches everything due at `now`, batch after batch; timed in the metrics
    /// (each outcome is counted where it is stored).
    pub async fn dispatch(&self, now: DateTime<Utc>) -> Result<DispatchReport, StoreError> {
        let started = std::time::Instant::now();
        let dispatched = self.dispatch_batches(now).await;
        if let Ok(report) = &dispatched {
            let rows = report.claimed + report.expired;
            let took = started.elapsed();
            self.metrics.tick(metrics::Job::Dispatch, took, rows);
        }
        dispatched
    }

    async fn dispatch_batches(&self, now: DateTime<Utc>) -> Result<DispatchReport, StoreError> {
        let pass = dispatcher::Pass {
            worker: &self.worker_id,
            unsettled: &self.unsettled,
            stopping: &self.stopping,
        };
        let mut total = dispatcher::expire_stale(&self.pool, &self.channels, &pass, now).await?;
        loop {
            let report =
                dispatcher::dispatch_once(&self.pool, &self.channels, &self.policy, &pass, now)
                    .await?;
            let claimed = report.claimed;
            total.add(report);
            if claimed < self.policy.batch_size as usize || self.stopping.load(Ordering::Acquire) {
                return Ok(total);
            }
        }
    }

    /// One plan and dispatch pass at `now`.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<RunReport, StoreError> {
        let started = std::time::Instant::now();
        let planned = self.plan(now).await?;
        let planning_took = started.elapsed();
        let dispatched = self.dispatch(now).await?;
        Ok(RunReport {
            planned,
            dispatched,
            planning_took,
            dispatching_took: started.elapsed() - planning_took,
        })
    }

    /// Deletes settled deliveries older than the retention period with the unsubscribe
    /// links their emails carried, and console
    /// sessions and sign-in links that can no longer be used (links a day after they
    /// expired, so a late click still hears "expired" rather than "not valid").
    pub async fn prune(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let before = now.date_naive() - Days::new(u64::from(self.retention_days));
        let at = now.naive_utc();
        let idle_before = at - self.console.idle_timeout();
        let started_before = at - self.console.max_session();
        let links_before = at - Duration::days(1);
        db::run(&self.pool, move |conn| -> Result<_, StoreError> {
            let deliveries = crate::db::deliveries::prune(conn, before)?;
            let links =
                crate::db::unsubscribe_tokens::prune(conn, before.and_time(NaiveTime::MIN))?;
            let console = crate::db::staff::prune(conn, idle_before, started_before, links_before)?;
            Ok(deliveries + links + console)
        })
        .await
    }

    /// Graceful stop: claim nothing more, let the sends in flight finish and record
    /// their outcomes, give back claimed rows not yet started, and write outcomes still
    /// waiting for the database, for at most `limit`. Returns how many outcomes could
    /// not be written (their messages may be sent again once their lease ends).
    pub async fn stop(&self, limit: StdDuration) -> usize {
        self.stopping.store(true, Ordering::SeqCst);
        let waited = tokio::time::timeout(limit, async {
            while self.dispatching.load(Ordering::SeqCst) {
                tokio::time::sleep(StdDuration::from_millis(20)).await;
            }
            while self
                .unsettled
                .flush(&self.pool, &self.worker_id)
                .await
                .is_err()
            {
                tokio::time::sleep(StdDuration::from_millis(200)).await;
            }
        })
        .await;
        let left = self.unsettled.len();
        if waited.is_err() {
            tracing::error!(
                in_flight = self.dispatching.load(Ordering::Acquire),
                unwritten = left,
                "stopped before every outcome was recorded; those messages may be sent again"
            );
        }
        left
    }

    /// A cron tick: skipped if the previous planning tick is still running.
    pub async fn tick_plan(&self) {
        let Some(_running) = Running::take(&self.planning) else {
            return;
        };
        let now = self.clock.now();
        match self.plan(now).await {
            Ok(report) if report.clients > 0 => tracing::info!(?report, "planned"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "planning tick failed; the next tick retries"),
        }
    }

    /// A cron tick: skipped if the previous dispatch tick is still running.
    pub async fn tick_dispatch(&self) {
        let Some(_running) = Running::take(&self.dispatching) else {
            return;
        };
        // Checked after taking the flag (both SeqCst, as `stop` does the reverse): either
        // this tick sees the stop, or `stop` sees this tick and waits for it.
        if self.stopping.load(Ordering::SeqCst) {
            return;
        }
        let now = self.clock.now();
        match self.dispatch(now).await {
            Ok(report) if report.claimed > 0 || report.expired > 0 => {
                tracing::info!(?report, "dispatched")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "dispatch tick failed; the next tick retries"),
        }
    }

    pub async fn tick_prune(&self) {
        match self.prune(self.clock.now()).await {
            Ok(n) if n > 0 => {
                tracing::info!(
                    pruned = n,
                    "pruned old deliveries, console sessions and sign-in links"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "prune failed"),
        }
    }
}

/// A tick's "already running" flag, held: cleared when dropped, at the end of the tick
/// or while a panic unwinds through it (the task's future is dropped), so one failed
/// tick never stops every later one.
struct Running<'a>(&'a AtomicBool);

impl<'a> Running<'a> {
    /// The flag, unless another tick holds it.
    fn take(flag: &'a AtomicBool) -> Option<Running<'a>> {
        // Built only when taken: a guard built and dropped here would clear the
        // flag of the tick that holds it.
        (!flag.swap(true, Ordering::SeqCst)).then(|| Running(flag))
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_flag_is_held_once_and_cleared_even_by_a_panic() {
        let flag = AtomicBool::new(false);
        let first = Running::take(&flag).expect("free");
        assert!(Running::take(&flag).is_none(), "a second tick is skipped");
        assert!(
            flag.load(Ordering::SeqCst),
            "and leaves the first tick's flag set"
        );
        assert!(Running::take(&flag).is_none(), "so a third is skipped too");
        drop(first);
        let unwound = std::panic::catch_unwind(|| {
            let _running = Running::take(&flag).expect("free again");
            panic!("a tick fails");
        });
        assert!(unwound.is_err());
        assert!(!flag.load(Ordering::SeqCst), "the panic cleared the flag");
        assert!(Running::take(&flag).is_some(), "the next tick runs");
    }

    #[tokio::test]
    async fn a_panicking_tick_task_leaves_the_flag_clear() {
        let flag: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
        let task = tokio::spawn(async move {
            let _running = Running::take(flag).expect("free");
            tokio::task::yield_now().await;
            panic!("a tick fails after an await");
        });
        assert!(task.await.unwrap_err().is_panic());
        assert!(!flag.load(Ordering::SeqCst));
    }
}
