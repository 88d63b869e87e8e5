//! A panic in one planning tick does not stop planning: the tick's "already running"
//! flag is cleared as the panic unwinds, and the next tick plans. The panic comes
//! through the engine's injected clock, which fails once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use smp_aftercare::clock::Clock;
use smp_aftercare::db::deliveries;

use crate::db_test;
use crate::engine::{onboard, utc};

/// 07:00 UTC on 2 March 2026, after failing the first time it is asked.
#[derive(Debug, Default)]
struct FailsOnce {
    failed: AtomicBool,
}

impl Clock for FailsOnce {
    fn now(&self) -> DateTime<Utc> {
        if !self.failed.swap(true, Ordering::SeqCst) {
            panic!("the clock fails once");
        }
        utc(2026, 3, 2, 7, 0)
    }
}

db_test!(the_engine_plans_again_after_a_tick_panicked, |app| {
    let (client_id, _) = onboard(
        &app,
        "ana@client.test",
        "Europe/London",
        json!(["2026-03-02"]),
    )
    .await;
    let mut engine = app.engine();
    engine.clock = Arc::new(FailsOnce::default());
    let engine = Arc::new(engine);

    let ticking = engine.clone();
    let failed = tokio::spawn(async move { ticking.tick_plan().await }).await;
    assert!(failed.unwrap_err().is_panic(), "the first tick panicked");

    let since = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let planned = || {
        let mut conn = app.pool.get().unwrap();
        deliveries::for_client_from(&mut conn, &client_id, since).unwrap()
    };
    assert!(planned().is_empty(), "nothing planned yet");

    engine.tick_plan().await;
    assert!(
        !planned().is_empty(),
        "the next tick planned the client's reminders"
    );
});
