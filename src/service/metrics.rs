//! A metrics scrape: the stored state (queue depth, lag, pool, readiness) read now,
//! then every metric encoded.

use chrono::{DateTime, Utc};

use super::{health, Services};
use crate::db::{self, StoreError};
use crate::metrics::QueueGauges;

/// The metrics text for one scrape. While the database is not ready the queue gauges
/// keep their last values and `smp_ready` says 0, so a scrape stays as fast as
/// `/readyz` (1 s at most) during an outage.
pub async fn scrape(s: &Services) -> String {
    s.metrics.set_pool(db::pool_gauges(&s.pool));
    let ready = health::ready(s).await.is_ok();
    s.metrics.set_ready(ready);
    if ready {
        match queue_gauges(s, s.now()).await {
            Ok(queue) => s.metrics.set_queue(&queue),
            Err(e) => tracing::warn!(error = %e, "metrics: could not read the queue"),
        }
    }
    s.metrics.encode()
}

async fn queue_gauges(s: &Services, now: DateTime<Utc>) -> Result<QueueGauges, StoreError> {
    db::run(&s.pool, move |conn| -> Result<_, StoreError> {
        let depth = db::queue::depth(conn)?;
        let oldest = db::queue::oldest_due(conn, now.naive_utc())?;
        let oldest_due_age = oldest
            .and_then(|at| (now.naive_utc() - at).to_std().ok())
            .unwrap_or_default();
        Ok(QueueGauges {
            depth,
            oldest_due_age,
        })
    })
    .await
}
