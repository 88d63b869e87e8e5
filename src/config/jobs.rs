//! `[jobs]`: when the engine wakes and how it sends.

use serde::Deserialize;

/// `[jobs]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// Six-field UTC cron expressions (seconds first); "" disables the job.
    pub plan_cron: String,
    pub dispatch_cron: String,
    pub prune_cron: String,
    pub batch_size: u32,
    /// Planning transactions at once per worker on PostgreSQL; SQLite plans one at a time.
    pub planners: usize,
    pub lease_secs: u64,
    pub max_attempts: u32,
    pub backoff_base_secs: u64,
    pub backoff_max_secs: u64,
    pub concurrency: usize,
    pub push_timeout_secs: u64,
    /// Settled deliveries older than this are pruned.
    pub retention_days: u32,
}

impl JobSettings {
    pub fn validate(&self, email_timeout_secs: u64) -> Result<(), String> {
        for (key, cron) in [
            ("jobs.plan_cron", &self.plan_cron),
            ("jobs.dispatch_cron", &self.dispatch_cron),
            ("jobs.prune_cron", &self.prune_cron),
        ] {
            if !cron.trim().is_empty() && cron.split_whitespace().count() != 6 {
                return Err(format!(
                    "{key}: {cron:?} must have six fields, seconds first (e.g. \"0 * * * * *\")"
                ));
            }
        }
        if self.batch_size == 0
            || self.planners == 0
            || self.max_attempts == 0
            || self.concurrency == 0
            || self.push_timeout_secs == 0
        {
            return Err(
                "jobs.batch_size, jobs.planners, jobs.max_attempts, jobs.concurrency \
                 and jobs.push_timeout_secs must be at least 1"
                    .into(),
            );
        }
        // A lease shorter than a send would let a second worker send the same message.
        let longest_send = self.push_timeout_secs.max(email_timeout_secs);
        if self.lease_secs < 2 * longest_send {
            return Err(format!(
                "jobs.lease_secs: {} must be at least twice the longest send timeout ({longest_send} s)",
                self.lease_secs
            ));
        }
        Ok(())
    }
}
