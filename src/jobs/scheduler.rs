//! Wake-ups: tokio-cron-scheduler fires UTC ticks that call the engine. It is only an
//! alarm clock: its time-zone jobs drift after DST changes and it never re-runs a
//! missed tick, so due times come from chrono-tz and the database instead.

use std::sync::Arc;

use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use super::Engine;
use crate::config::JobSettings;

/// Starts the ticks configured in `[jobs]`; a blank cron string disables that job.
pub async fn start(
    engine: Arc<Engine>,
    settings: &JobSettings,
) -> Result<JobScheduler, JobSchedulerError> {
    let scheduler = JobScheduler::new().await?;
    if !settings.plan_cron.trim().is_empty() {
        let engine = engine.clone();
        scheduler
            .add(Job::new_async(settings.plan_cron.trim(), move |_, _| {
                let engine = engine.clone();
                Box::pin(async move { engine.tick_plan().await })
            })?)
            .await?;
    }
    if !settings.dispatch_cron.trim().is_empty() {
        let engine = engine.clone();
        scheduler
            .add(Job::new_async(
                settings.dispatch_cron.trim(),
                move |_, _| {
                    let engine = engine.clone();
                    Box::pin(async move { engine.tick_dispatch().await })
                },
            )?)
            .await?;
    }
    if !settings.prune_cron.trim().is_empty() {
        let engine = engine.clone();
        scheduler
            .add(Job::new_async(settings.prune_cron.trim(), move |_, _| {
                let engine = engine.clone();
                Box::pin(async move { engine.tick_prune().await })
            })?)
            .await?;
    }
    scheduler.start().await?;
    Ok(scheduler)
}
