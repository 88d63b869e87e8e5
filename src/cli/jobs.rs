//! `jobs run-once` and `jobs status`: the reminder engine by hand, and its queue read.

use std::sync::Arc;

use clap::Subcommand;

use super::{runtime, status, Failure};
use crate::app;
use crate::clock::{Clock, FixedClock, SharedClock, SystemClock};
use crate::config::Settings;
use crate::service::Services;

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// One planning and dispatch pass, then exit; prints what it did. For deployments
    /// driven by an external cron, for backfills, and for checking the engine.
    RunOnce {
        /// Run as if it were this instant (RFC 3339) instead of now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// Whether reminders go out: the queue by status and channel with the oldest due
    /// age, what was settled and what failed (grouped by reason) in the last 24 hours,
    /// and the push subscriptions disabled in that time. Reads only.
    Status {
        /// As of this instant (RFC 3339) instead of now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<chrono::DateTime<chrono::FixedOffset>>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub fn command(settings: Settings, command: JobsCommand) -> Result<(), Failure> {
    match command {
        JobsCommand::RunOnce { at } => run_once(settings, at),
        JobsCommand::Status { at, json } => jobs_status(settings, at, json),
    }
}

fn run_once(
    settings: Settings,
    at: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> Result<(), Failure> {
    let clock: SharedClock = match at {
        Some(at) => Arc::new(FixedClock::new(at.with_timezone(&chrono::Utc))),
        None => Arc::new(SystemClock),
    };
    runtime()?.block_on(async move {
        let services = Services::build(settings, clock).map_err(Failure::runtime)?;
        let now = services.clock.now();
        let report = app::run_once(&services).await.map_err(Failure::runtime)?;
        let (p, d) = (report.planned, report.dispatched);
        println!("run at {}", now.to_rfc3339());
        println!(
            "planned: {} clients, {} new deliveries, {} updated, {} cancelled, {} recorded expired, in {:.2?}",
            p.clients, p.inserted, p.updated, p.cancelled, p.expired, report.planning_took
        );
        println!(
            "dispatched: {} claimed, {} sent, {} to retry, {} failed, {} dead, {} cancelled, {} expired, in {:.2?}",
            d.claimed, d.sent, d.retried, d.failed, d.dead, d.cancelled, d.expired, report.dispatching_took
        );
        if !d.not_sent.is_empty() {
            println!("not sent, by status and reason:");
        }
        for ((status, reason), count) in &d.not_sent {
            println!("  {status} ({count}): {reason}");
        }
        println!("push: {}", push_status(&services));
        Ok(())
    })
}

fn jobs_status(
    settings: Settings,
    at: Option<chrono::DateTime<chrono::FixedOffset>>,
    json: bool,
) -> Result<(), Failure> {
    let now = match at {
        Some(at) => at.with_timezone(&chrono::Utc),
        None => SystemClock.now(),
    };
    runtime()?.block_on(async move {
        let report = app::queue_status(&settings, now)
            .await
            .map_err(Failure::runtime)?;
        if json {
            let text = serde_json::to_string_pretty(&report).map_err(Failure::runtime)?;
            println!("{text}");
        } else {
            print!("{}", status::render(&report));
        }
        Ok(())
    })
}

/// Whether push reminders can go out, as an operator reads it.
fn push_status(services: &Services) -> &'static str {
    if services.settings.push.vapid_subject.is_some() {
        "configured"
    } else {
        "not configured (set push.vapid_subject to a real mailto: or https: contact)"
    }
}
