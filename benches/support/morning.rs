//! What the morning benches (fan-out, rush) share: a browser's push keys, N clients due
//! at 08:00 with one push each, the reset to the state before the morning, and one
//! `jobs run-once` of the release binary against the local sink.
#![allow(dead_code)] // each bench uses part of it

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{NaiveDate, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use smp_aftercare::db::{DbConnection, DbPool};

use crate::support::{self, BenchDatabase, Seed, Sink};

/// The instant `jobs run-once` runs at: just after 08:00 in London on the session's day.
pub const RUN_AT: &str = "2026-03-02T08:00:01Z";

/// A browser's subscription keys (the sink does not decrypt; the encryption is real).
pub struct BrowserKeys {
    pub p256dh: String,
    pub auth: String,
}

impl BrowserKeys {
    pub fn generate() -> BrowserKeys {
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let point = secret.public_key().to_encoded_point(false);
        let auth: [u8; 16] = rand::random();
        BrowserKeys {
            p256dh: URL_SAFE_NO_PAD.encode(point.as_bytes()),
            auth: URL_SAFE_NO_PAD.encode(auth),
        }
    }
}

/// `clients` clients created at 07:00 with a session today, push only, each with a
/// subscription at the sink: all due for a push at 08:00.
pub fn seed(pool: &DbPool, clients: usize, sink: &Sink, keys: &BrowserKeys) -> Duration {
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 7, 0, 0).unwrap();
    support::seed(
        pool,
        clients,
        &Seed {
            at: start.naive_utc(),
            sessions: vec![NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()],
            push: true,
            email: false,
            endpoint_base: sink.endpoint_base(),
            p256dh: keys.p256dh.clone(),
            auth: keys.auth.clone(),
        },
        ("bench-key", "bench-hash"),
    )
}

/// Back to the state before the morning: no deliveries, everyone due. On PostgreSQL
/// the statistics are those a real morning meets: the last ANALYZE saw yesterday's
/// rows, all sent (as months of history would say, almost nothing pending), and
/// ANALYZE of the emptied table keeps them. A claim planned for "nothing pending" once
/// took a whole morning in one statement (`db::deliveries::claim_arms`); every run
/// after the first meets it here, not only when autovacuum happens to come first. The
/// deleted rows are vacuumed, as a day's autovacuum would have done: left in place,
/// their dead index entries made every third run dispatch at about 0.6x the first.
pub fn reset(pool: &DbPool) {
    let mut conn = pool.get().unwrap();
    let postgres = matches!(&*conn, DbConnection::Postgresql(_));
    if postgres {
        conn.batch_execute("ANALYZE deliveries").expect("analyze");
    }
    conn.batch_execute("DELETE FROM deliveries; UPDATE clients SET next_plan_at = created_at;")
        .expect("reset");
    if postgres {
        // One statement a call: several in one string run as one transaction, where
        // PostgreSQL refuses VACUUM.
        for table in ["deliveries", "clients"] {
            conn.batch_execute(&format!("VACUUM ANALYZE {table}"))
                .expect("vacuum");
        }
    }
}

/// How one `jobs run-once` went.
pub struct Pass {
    /// The process's wall time: start-up, planning and dispatching.
    pub elapsed: Duration,
    pub peak_rss_kib: u64,
    /// Its "planned: ..." and "dispatched: ..." lines.
    pub lines: Vec<String>,
}

impl Pass {
    /// Pushes a second over the whole pass.
    pub fn rate(&self, clients: usize) -> f64 {
        clients as f64 / self.elapsed.as_secs_f64()
    }
}

/// One `jobs run-once` of the release binary at [`RUN_AT`]; checks that the sink got
/// one push per client.
pub fn run_once(db: &BenchDatabase, sink: &Sink, clients: usize, name: &str) -> Pass {
    let before = sink.count();
    let log = db.scratch.path().join(format!("{name}.log"));
    let (child, started) = support::spawn(
        support::command(db, &["jobs", "run-once", "--at", RUN_AT]),
        &log,
    );
    let (finished, stdout) = support::wait_rss(child, started);
    assert!(
        finished.success,
        "run-once failed: {stdout}\nsee {}",
        log.display()
    );
    let received = sink.count() - before;
    assert_eq!(
        received as usize, clients,
        "the sink got {received} of {clients}:\n{stdout}"
    );
    Pass {
        elapsed: finished.elapsed,
        peak_rss_kib: finished.peak_rss_kib,
        lines: stdout
            .lines()
            .filter(|l| l.starts_with("planned") || l.starts_with("dispatched"))
            .map(str::to_string)
            .collect(),
    }
}
