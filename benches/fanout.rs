//! The morning fan-out: N clients due at once, one Web Push each, planned and
//! dispatched by the release binary (`jobs run-once`) against a fast local push sink,
//! beside a raw loop with no database that does the same work per message (aes128gcm,
//! a VAPID JWT signed once per audience, a POST, 16 in flight) to the same sink, run
//! back to back. Prints msg/s of both, the ratio, the service's peak RSS, and an idle
//! planning tick at N clients. Run with:
//!
//!     cargo bench --features bench --bench fanout                    # SQLite, 10,000 clients
//!     BENCH_CLIENTS=50000 cargo bench --features bench --bench fanout
//!     BENCH_DATABASE_URL=postgres://USER@HOST/postgres BENCH_CLIENTS=50000 \
//!         cargo bench --features bench --bench fanout
//!     BENCH_DATABASE_URL=... BENCH_BACKENDS=postgres BENCH_WORKERS=2 \
//!         cargo bench --features bench --bench fanout
//!     BENCH_CLIENTS=1000000 BENCH_RUNS=1 cargo bench --features bench --bench fanout
//!
//! `BENCH_RUNS` (3): runs of raw loop + service, medians reported. `BENCH_RAW` (20,000):
//! messages of each raw-loop run (it measures a rate). `BENCH_WORKERS=2`: after the
//! runs, the same fan-out by two `jobs run-once` processes at once (PostgreSQL).

#[path = "support/morning.rs"]
mod morning;
#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{TimeZone, Utc};
use futures_util::stream::{self, StreamExt};
use morning::BrowserKeys;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use smp_aftercare::app;
use smp_aftercare::clock::FixedClock;
use smp_aftercare::jobs::Engine;
use smp_aftercare::notify::email::Mailer;
use smp_aftercare::notify::vapid::VapidKeys;
use support::{Backend, BenchDatabase, Sink};
use web_push::{ContentEncoding, SubscriptionInfo, WebPushMessageBuilder};

const CONCURRENCY: usize = 16;

/// The goals: the service's pass at 0.7-0.8 of the raw loop's rate (met from 0.7), its
/// peak RSS flat in N and at most 150 MB up to 1,000,000 clients.
const RATIO_GOAL: f64 = 0.7;
const RSS_GOAL_MB: f64 = 150.0;

fn main() {
    let clients = support::env_usize("BENCH_CLIENTS", 10_000);
    let runs = support::env_usize("BENCH_RUNS", 3).max(1);
    let raw_messages = support::env_usize("BENCH_RAW", 20_000).min(clients).max(1);
    let workers = support::env_usize("BENCH_WORKERS", 1);
    println!("machine: {}", support::machine());
    println!(
        "load: {clients} clients due at once, one push each; {runs} runs; raw loop {raw_messages} \
         messages per run, {CONCURRENCY} in flight"
    );
    let sink = Sink::start();
    let keys = BrowserKeys::generate();
    let mut rows = Vec::new();
    for backend in support::backends() {
        rows.extend(run(
            &backend,
            &sink,
            &keys,
            clients,
            runs,
            raw_messages,
            workers,
        ));
    }
    println!();
    println!("| backend | clients | measure | figure | ratio | goal |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for row in rows {
        println!("{row}");
    }
}

fn run(
    backend: &Backend,
    sink: &Sink,
    keys: &BrowserKeys,
    clients: usize,
    runs: usize,
    raw_messages: usize,
    workers: usize,
) -> Vec<String> {
    let db = BenchDatabase::create(backend);
    let settings = db.settings();
    let pool = app::prepare_database(&settings).expect("database");
    let seeded = morning::seed(&pool, clients, sink, keys);
    println!(
        "\n== {}: seeded {clients} clients in {seeded:.2?}",
        backend.name()
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let vapid = VapidKeys::generate();

    let (mut raw_rates, mut service_rates, mut rss) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=runs {
        if round > 1 {
            morning::reset(&pool);
        }
        let raw = runtime.block_on(raw_loop(sink, keys, &vapid, raw_messages));
        let (rate, peak) = service_run(&db, sink, clients, &format!("run{round}"));
        println!(
            "run {round}: raw loop {raw:.0} msg/s; service {rate:.0} msg/s (ratio {:.2}), peak RSS {:.1} MB",
            rate / raw,
            peak as f64 / 1024.0
        );
        raw_rates.push(raw);
        service_rates.push(rate);
        rss.push(peak as f64);
    }
    let raw = support::median(&mut raw_rates);
    let service = support::median(&mut service_rates);
    let peak_rss = rss.iter().cloned().fold(0.0, f64::max);

    // Everyone is planned until tomorrow 07:30: a planning tick now finds nobody due.
    let idle_at = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
    let engine = Engine::new(
        &settings,
        pool.clone(),
        Arc::new(FixedClock::new(idle_at)),
        Mailer::new(&settings.email).unwrap(),
        vapid.clone(),
        smp_aftercare::metrics::Metrics::new(),
    );
    let (idle_plan, idle_dispatch) = runtime.block_on(async {
        let rounds = 200;
        let t = Instant::now();
        for _ in 0..rounds {
            assert_eq!(engine.plan(idle_at).await.unwrap().clients, 0);
        }
        let plan = t.elapsed() / rounds;
        let t = Instant::now();
        for _ in 0..rounds {
            engine.dispatch(idle_at).await.unwrap();
        }
        (plan, t.elapsed() / rounds)
    });
    println!(
        "idle tick at {clients} clients, none due: plan {idle_plan:.2?}, dispatch {idle_dispatch:.2?} (mean of 200)"
    );
    let (name, n) = (backend.name(), support::thousands(clients as f64));
    let ratio = service / raw;
    let peak_mb = peak_rss / 1024.0;
    let mut rows = vec![
        format!(
            "| {name} | {n} | raw push loop, no database | {} msg/s | 1.00 | the anchor |",
            support::thousands(raw)
        ),
        format!(
            "| {name} | {n} | `jobs run-once`: plan + dispatch | {} msg/s | {ratio:.2} | \
             {RATIO_GOAL}-0.8 of the raw loop: {} |",
            support::thousands(service),
            support::verdict(ratio >= RATIO_GOAL)
        ),
        format!(
            "| {name} | {n} | peak RSS of the pass | {peak_mb:.0} MB | | <= {RSS_GOAL_MB} MB, flat in N: {} |",
            support::verdict(peak_mb <= RSS_GOAL_MB)
        ),
        format!(
            "| {name} | {n} | idle tick, none due: plan / dispatch | {idle_plan:.2?} / {idle_dispatch:.2?} | | \
             flat in N: compare runs at other `BENCH_CLIENTS` |"
        ),
    ];
    if workers > 1 {
        morning::reset(&pool);
        let rate = parallel_run(&db, sink, clients, workers);
        println!(
            "{workers} worker processes: {rate:.0} msg/s, {:.2}x one worker ({service:.0} msg/s)",
            rate / service
        );
        rows.push(format!(
            "| {name} | {n} | {workers} `jobs run-once` at once | {} msg/s | {:.2}x one | no goal |",
            support::thousands(rate),
            rate / service
        ));
    }
    rows
}

/// One `jobs run-once` of the release binary: msg/s and its peak RSS (KiB).
fn service_run(db: &BenchDatabase, sink: &Sink, clients: usize, name: &str) -> (f64, u64) {
    let pass = morning::run_once(db, sink, clients, name);
    // Where the pass went: the "planned: ... in" and "dispatched: ... in" lines.
    for line in &pass.lines {
        println!("  {name} {line}");
    }
    (pass.rate(clients), pass.peak_rss_kib)
}

/// `workers` run-once processes at once on one database: msg/s until all are done.
fn parallel_run(db: &BenchDatabase, sink: &Sink, clients: usize, workers: usize) -> f64 {
    let before = sink.count();
    let started = Instant::now();
    let children: Vec<_> = (0..workers)
        .map(|w| {
            let log = db.scratch.path().join(format!("worker{w}.log"));
            support::spawn(
                support::command(db, &["jobs", "run-once", "--at", morning::RUN_AT]),
                &log,
            )
        })
        .collect();
    for (child, at) in children {
        let (finished, stdout) = support::wait_rss(child, at);
        assert!(finished.success, "a worker failed: {stdout}");
    }
    let elapsed = started.elapsed();
    let received = sink.count() - before;
    assert_eq!(
        received as usize, clients,
        "the sink got {received} of {clients}"
    );
    clients as f64 / elapsed.as_secs_f64()
}

/// The same work per message as the service's sender, with nothing else: encrypt
/// (aes128gcm), a VAPID JWT signed once for the sink's origin, POST; 16 in flight.
async fn raw_loop(sink: &Sink, keys: &BrowserKeys, vapid: &VapidKeys, messages: usize) -> f64 {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let audience = format!("http://127.0.0.1:{}", sink.port);
    let authorization = format!(
        "vapid t={}, k={}",
        vapid_jwt(vapid, &audience),
        vapid.public_key_base64url()
    );
    let payload = serde_json::json!({
        "title": "Your aftercare today (day 0)",
        "body": "Today's aftercare:\n- Do not wash your scalp.\n- Avoid heavy sweating.\n\
                 - Do not swim.\n- Keep out of the sun.",
        "kind": "daily_aftercare",
        "date": "2026-03-02",
        "day": 0,
        "stage": "session_day",
        "rules": ["no_washing", "no_heavy_sweating", "no_swimming", "avoid_sun"],
        "url": "http://127.0.0.1:8080/today"
    })
    .to_string();
    let before = sink.count();
    let started = Instant::now();
    let sent = stream::iter(0..messages)
        .map(|i| {
            let endpoint = format!("{}/raw/{i}", sink.endpoint_base());
            let (http, authorization, payload) = (&http, &authorization, &payload);
            async move {
                let info = SubscriptionInfo::new(&endpoint, &keys.p256dh, &keys.auth);
                let mut builder = WebPushMessageBuilder::new(&info);
                builder.set_ttl(57_600);
                builder.set_payload(ContentEncoding::Aes128Gcm, payload.as_bytes());
                let message = builder.build().expect("encrypt");
                let body = message.payload.expect("a payload").content;
                let response = http
                    .post(&endpoint)
                    .header("Authorization", authorization.as_str())
                    .header("TTL", "57600")
                    .header("Urgency", "normal")
                    .header("Content-Encoding", "aes128gcm")
                    .header("Content-Type", "application/octet-stream")
                    .body(body)
                    .send()
                    .await;
                response.is_ok_and(|r| r.status().is_success())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    let elapsed = started.elapsed();
    assert_eq!(sent, messages, "the raw loop lost messages");
    assert_eq!((sink.count() - before) as usize, messages);
    messages as f64 / elapsed.as_secs_f64()
}

/// ES256 VAPID JWT for `aud`, 12 hours ahead.
fn vapid_jwt(vapid: &VapidKeys, aud: &str) -> String {
    let scalar = URL_SAFE_NO_PAD
        .decode(vapid.private_key_base64url())
        .unwrap();
    let key = SigningKey::from_slice(&scalar).unwrap();
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let exp = Utc::now().timestamp() + 12 * 3600;
    let claims = serde_json::json!({ "aud": aud, "exp": exp, "sub": support::VAPID_SUBJECT });
    let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature: Signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}
