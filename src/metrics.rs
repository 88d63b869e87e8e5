//! The service's Prometheus metrics: one registry per `Services` (built in `app.rs`
//! and handed to the engine and the HTTP app), never a process-global recorder, so
//! two services in one process (the tests spawn many) never share a counter.
//!
//! Labels are small, closed sets: a delivery's kind, channel and status, a route
//! template (never a raw path: tokens travel in paths), a status class. No client id,
//! email address or token is ever a label.
//!
//! Counters and histograms move as things happen; the gauges that describe stored
//! state (queue depth, lag, pool, readiness) are set by `service::metrics::scrape`
//! just before each scrape is encoded.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::domain::{Channel, DeliveryKind, DeliveryStatus};

/// The content type of [`Metrics::encode`]'s output (OpenMetrics text, which
/// Prometheus scrapes natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

mod labels;
mod prime;

use labels::{
    method_label, status_class, ChannelLabels, ClassLabels, DeliveryLabels, JobLabels,
    OutcomeLabels, RequestLabels, ResultLabels, RouteLabels, StateLabels, StatusLabels,
};

/// Which engine job a tick belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Plan,
    Dispatch,
}

impl Job {
    fn as_str(self) -> &'static str {
        match self {
            Job::Plan => "plan",
            Job::Dispatch => "dispatch",
        }
    }
}

/// What the planner did with rows, as counted in one planning pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PlannedRows {
    pub inserted: usize,
    pub updated: usize,
    pub cancelled: usize,
    pub expired: usize,
}

/// How an invitation fared: queued, and what its link met when the client opened it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationOutcome {
    /// A link was issued and its email queued (onboarding or a resend).
    Issued,
    /// The client exchanged the link for an access token.
    Accepted,
    /// Unknown, replaced or mistyped link.
    Invalid,
    /// Used a second time.
    AlreadyAccepted,
    Expired,
    /// Refused by the per-address limit before it was looked at.
    RateLimited,
}

impl InvitationOutcome {
    fn as_str(self) -> &'static str {
        match self {
            InvitationOutcome::Issued => "issued",
            InvitationOutcome::Accepted => "accepted",
            InvitationOutcome::Invalid => "invalid",
            InvitationOutcome::AlreadyAccepted => "already_accepted",
            InvitationOutcome::Expired => "expired",
            InvitationOutcome::RateLimited => "rate_limited",
        }
    }
}

/// The stored state a scrape reports, read just before it is encoded.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct QueueGauges {
    /// Unsettled deliveries by status (`pending`, `retry`, `sending`).
    pub depth: Vec<(DeliveryStatus, i64)>,
    /// How long the oldest due, unsent delivery has waited (0 when none is due).
    pub oldest_due_age: Duration,
}

/// The connection pool, as r2d2 and `db::run` see it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PoolGauges {
    pub in_use: i64,
    pub idle: i64,
    pub max: i64,
    /// Callers waiting for a connection right now.
    pub waiting: i64,
    /// Checkouts that gave up (the pool's connect timeout) since start.
    pub timeouts: u64,
}

/// Every metric of one service. Cheap to clone (the families are shared).
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    deliveries: Family<DeliveryLabels, Counter>,
    retries: Family<ChannelLabels, Counter>,
    send_seconds: Family<ChannelLabels, Histogram>,
    push_responses: Family<ClassLabels, Counter>,
    queue_depth: Family<StatusLabels, Gauge>,
    oldest_due_age: Gauge<f64, std::sync::atomic::AtomicU64>,
    tick_seconds: Family<JobLabels, Histogram>,
    tick_rows: Family<JobLabels, Histogram>,
    planner_rows: Family<ResultLabels, Counter>,
    http_requests: Family<RequestLabels, Counter>,
    http_seconds: Family<RouteLabels, Histogram>,
    pool_connections: Family<StateLabels, Gauge>,
    pool_max: Gauge,
    pool_waiting: Gauge,
    pool_timeouts: Gauge,
    invitations: Family<OutcomeLabels, Counter>,
    ready: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn seconds_histogram() -> Histogram {
    // 1 ms .. ~33 s: a push or SMTP send, an HTTP request, an engine tick.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

fn rows_histogram() -> Histogram {
    // 0, 1, 2, 4 .. 4096 rows per tick.
    Histogram::new(std::iter::once(0.0).chain(exponential_buckets(1.0, 2.0, 13)))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("smp");
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "deliveries",
            "Deliveries that reached a final status (sent, failed, dead, cancelled, expired), by kind and channel",
            deliveries.clone(),
        );
        let retries = Family::<ChannelLabels, Counter>::default();
        registry.register(
            "delivery_retries",
            "Sends that failed transiently and were scheduled again",
            retries.clone(),
        );
        let send_seconds = Family::<ChannelLabels, Histogram>::new_with_constructor(
            seconds_histogram as fn() -> _,
        );
        registry.register(
            "send_duration_seconds",
            "Time one send took, from the claim to the channel's answer",
            send_seconds.clone(),
        );
        let push_responses = Family::<ClassLabels, Counter>::default();
        registry.register(
            "push_responses",
            "Push service answers by status class (2xx, 4xx, 5xx; none: no answer, timeout or refused)",
            push_responses.clone(),
        );
        let queue_depth = Family::<StatusLabels, Gauge>::default();
        registry.register(
            "queue_depth",
            "Unsettled deliveries by status, read at scrape time",
            queue_depth.clone(),
        );
        let oldest_due_age = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "queue_oldest_due_age_seconds",
            "How long the oldest due, unsent delivery has waited (0 when nothing is due): \
             reminders are late when this grows",
            oldest_due_age.clone(),
        );
        let tick_seconds =
            Family::<JobLabels, Histogram>::new_with_constructor(seconds_histogram as fn() -> _);
        registry.register(
            "engine_tick_duration_seconds",
            "Duration of one planning or dispatch pass",
            tick_seconds.clone(),
        );
        let tick_rows =
            Family::<JobLabels, Histogram>::new_with_constructor(rows_histogram as fn() -> _);
        registry.register(
            "engine_tick_rows",
            "Rows one pass handled: clients planned, or deliveries claimed plus expired",
            tick_rows.clone(),
        );
        let planner_rows = Family::<ResultLabels, Counter>::default();
        registry.register(
            "planner_rows",
            "Delivery rows the planner wrote, by result (inserted, updated, cancelled, expired)",
            planner_rows.clone(),
        );
        let http_requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route template, method and status",
            http_requests.clone(),
        );
        let http_seconds =
            Family::<RouteLabels, Histogram>::new_with_constructor(seconds_histogram as fn() -> _);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route template and method",
            http_seconds.clone(),
        );
        let pool_connections = Family::<StateLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections by state (in_use, idle)",
            pool_connections.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "database.pool_size",
            pool_max.clone(),
        );
        let pool_waiting = Gauge::default();
        registry.register(
            "db_pool_waiting",
            "Callers waiting for a database connection",
            pool_waiting.clone(),
        );
        let pool_timeouts = Gauge::default();
        registry.register(
            "db_pool_timeouts",
            "Connection checkouts that timed out since the process started",
            pool_timeouts.clone(),
        );
        let invitations = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "invitations",
            "Invitations issued, and what their links met (accepted, invalid, already_accepted, expired, \
             rate_limited); their emails are counted in smp_deliveries_total{kind=\"invitation\"}",
            invitations.clone(),
        );
        let ready = Gauge::default();
        registry.register(
            "ready",
            "1 when the database answered and accepted writes within 1 s at scrape time (as /readyz), else 0",
            ready.clone(),
        );
        let metrics = Metrics {
            registry: Arc::new(registry),
            deliveries,
            retries,
            send_seconds,
            push_responses,
            queue_depth,
            oldest_due_age,
            tick_seconds,
            tick_rows,
            planner_rows,
            http_requests,
            http_seconds,
            pool_connections,
            pool_max,
            pool_waiting,
            pool_timeouts,
            invitations,
            ready,
        };
        metrics.prime();
        metrics
    }

    /// A delivery's outcome was stored: final statuses count in `smp_deliveries_total`,
    /// a scheduled retry in `smp_delivery_retries_total`; a row given back unsent
    /// (`pending`) counts nowhere.
    pub fn delivery_settled(&self, kind: DeliveryKind, channel: Channel, status: DeliveryStatus) {
        match status {
            DeliveryStatus::Retry => {
                self.retries
                    .get_or_create(&ChannelLabels {
                        channel: channel_name(channel),
                    })
                    .inc();
            }
            DeliveryStatus::Pending | DeliveryStatus::Sending => {}
            _ => {
                self.deliveries
                    .get_or_create(&DeliveryLabels {
                        kind: kind.as_str(),
                        channel: channel_name(channel),
                        status: status.as_str(),
                    })
                    .inc();
            }
        }
    }

    /// How long a send took, whatever it ended with.
    pub fn send_took(&self, channel: Channel, took: Duration) {
        self.send_seconds
            .get_or_create(&ChannelLabels {
                channel: channel_name(channel),
            })
            .observe(took.as_secs_f64());
    }

    /// What the push service answered (`None`: it did not answer, or was not asked).
    pub fn push_answered(&self, status: Option<u16>) {
        let class = match status {
            Some(200..=299) => "2xx",
            Some(400..=499) => "4xx",
            Some(500..=599) => "5xx",
            Some(_) => "other",
            None => "none",
        };
        self.push_responses
            .get_or_create(&ClassLabels { class })
            .inc();
    }

    /// One planning or dispatch pass: how long it took and how many rows it handled.
    pub fn tick(&self, job: Job, took: Duration, rows: usize) {
        let labels = JobLabels { job: job.as_str() };
        self.tick_seconds
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        self.tick_rows.get_or_create(&labels).observe(rows as f64);
    }

    /// What one planning pass wrote.
    pub fn planned(&self, rows: PlannedRows) {
        for (result, count) in [
            ("inserted", rows.inserted),
            ("updated", rows.updated),
            ("cancelled", rows.cancelled),
            ("expired", rows.expired),
        ] {
            self.planner_rows
                .get_or_create(&ResultLabels { result })
                .inc_by(count as u64);
        }
    }

    /// One HTTP request; `route` is the matched template (`/v1/clients/{id}`), or
    /// `unmatched` for a path no route declares; `method` is mapped to a closed set.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let method = method_label(method);
        self.http_seconds
            .get_or_create(&RouteLabels {
                method,
                route: route.to_string(),
            })
            .observe(took.as_secs_f64());
        self.http_requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_string(),
                status: status_class(status),
            })
            .inc();
    }

    pub fn invitation(&self, outcome: InvitationOutcome) {
        self.invitations
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .inc();
    }

    /// The stored state, read for this scrape.
    pub fn set_queue(&self, queue: &QueueGauges) {
        for status in [
            DeliveryStatus::Pending,
            DeliveryStatus::Retry,
            DeliveryStatus::Sending,
        ] {
            let count = queue
                .depth
                .iter()
                .find(|(s, _)| *s == status)
                .map_or(0, |(_, n)| *n);
            self.queue_depth
                .get_or_create(&StatusLabels {
                    status: status.as_str(),
                })
                .set(count);
        }
        self.oldest_due_age.set(queue.oldest_due_age.as_secs_f64());
    }

    pub fn set_pool(&self, pool: PoolGauges) {
        for (state, count) in [("in_use", pool.in_use), ("idle", pool.idle)] {
            self.pool_connections
                .get_or_create(&StateLabels { state })
                .set(count);
        }
        self.pool_max.set(pool.max);
        self.pool_waiting.set(pool.waiting);
        self.pool_timeouts
            .set(i64::try_from(pool.timeouts).unwrap_or(i64::MAX));
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.set(i64::from(ready));
    }

    /// Every metric in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

fn channel_name(channel: Channel) -> &'static str {
    channel.as_str()
}

#[cfg(test)]
mod tests;
