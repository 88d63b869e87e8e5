//! The morning rush: at 08:00 the engine sends a push to every client while clients
//! open their day. The release binary's `serve --no-scheduler` answers `GET
//! /v1/me/today` (what the app's `/today` asks) at a fixed rate while `jobs run-once`,
//! a second process on the same database (one SQLite file, as the README allows),
//! plans and dispatches N pushes to a local sink. Run with:
//!
//!     cargo bench --bench rush                                    # SQLite, 50,000 clients
//!     BENCH_DATABASE_URL=postgres://USER@HOST/postgres cargo bench --bench rush
//!
//! The load is an open loop: request i is due at start + i / rate whatever the answers
//! before it did, and its latency runs from that due time, so a stall counts against
//! every request it delays (no coordinated omission) and the load does not take more of
//! the cores when the server slows down, as a closed loop would. Each round measures
//! `/v1/me/today` alone for `BENCH_SECONDS`, the pass alone, and the pass with the
//! load on (only requests due while the pass runs count); the table gives medians
//! over the rounds. `BENCH_CLIENTS` (50,000), `BENCH_RATE` (500 requests/s),
//! `BENCH_SECONDS` (10), `BENCH_ROUNDS` (3), `BENCH_SIGNED_IN` (256 clients whose
//! tokens the load takes in turn). `BENCH_CONTROL=1` adds a control to each round: the
//! same pass on a second database of its own (another file, another PostgreSQL
//! database) with the load on, which shares the cores but not the database, so the
//! table tells what the pass costs `/v1/me/today` through the cores from what it costs
//! through the database.

#[path = "support/morning.rs"]
mod morning;
#[path = "support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use morning::BrowserKeys;
use smp_aftercare::app;
use smp_aftercare::db::schema::clients;
use smp_aftercare::db::DbPool;
use smp_aftercare::tokens;
use support::{Backend, BenchDatabase, Sink};

/// `/v1/me/today`'s p99 during the pass at most this many times its p99 alone.
const P99_GOAL: f64 = 2.0;
/// The pass's rate with the load on at least this share of its rate alone.
const RATE_GOAL: f64 = 0.8;

struct Config {
    clients: usize,
    rate: f64,
    seconds: u64,
    rounds: usize,
    signed_in: usize,
    control: bool,
}

fn main() {
    let config = Config {
        clients: support::env_usize("BENCH_CLIENTS", 50_000),
        rate: support::env_usize("BENCH_RATE", 500).max(1) as f64,
        seconds: support::env_usize("BENCH_SECONDS", 10).max(1) as u64,
        rounds: support::env_usize("BENCH_ROUNDS", 3).max(1),
        signed_in: support::env_usize("BENCH_SIGNED_IN", 256).max(1),
        control: support::env_usize("BENCH_CONTROL", 0) == 1,
    };
    println!("machine: {}", support::machine());
    println!(
        "load: {} clients due at 08:00, one push each; GET /v1/me/today at {} requests/s \
         (open loop) from {} signed-in clients; {} s alone; {} rounds",
        support::thousands(config.clients as f64),
        config.rate,
        config.signed_in,
        config.seconds,
        config.rounds
    );
    let sink = Sink::start();
    let keys = BrowserKeys::generate();
    let mut rows = Vec::new();
    for backend in support::backends() {
        rows.extend(run(&backend, &sink, &keys, &config));
    }
    println!();
    println!("| backend | measure | alone | during the pass | ratio | goal |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for row in rows {
        println!("{row}");
    }
}

/// One round's figures.
struct Round {
    alone: Latencies,
    during: Latencies,
    pass_alone: morning::Pass,
    pass_during: morning::Pass,
    /// The load while the pass runs on the second database (`BENCH_CONTROL=1`).
    control: Option<Latencies>,
}

fn run(backend: &Backend, sink: &Sink, keys: &BrowserKeys, config: &Config) -> Vec<String> {
    let db = BenchDatabase::create(backend);
    let pool = app::prepare_database(&db.settings()).expect("database");
    let seeded = morning::seed(&pool, config.clients, sink, keys);
    let tokens = sign_in(&pool, config.signed_in.min(config.clients));
    let other = config.control.then(|| {
        let db = BenchDatabase::create(backend);
        let pool = app::prepare_database(&db.settings()).expect("the control's database");
        morning::seed(&pool, config.clients, sink, keys);
        (db, pool)
    });
    println!(
        "\n== {}: seeded {} clients in {seeded:.2?}",
        backend.name(),
        config.clients
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = support::command(&db, &["serve", "--no-scheduler"]);
    command.env("SMP__SERVER__PORT", port.to_string());
    let (mut server, _) = support::spawn(command, &db.scratch.path().join("serve.log"));
    let base = format!("http://127.0.0.1:{port}");
    support::wait_ready(&base);
    let url = format!("{base}/v1/me/today");
    let tokens = Arc::new(tokens);

    // Warm the server's pool and the load's connections.
    let warm = Load::start(&url, &tokens, config.rate);
    std::thread::sleep(Duration::from_secs(2));
    let warm = warm.stop();
    assert_eq!(warm.failed, 0, "/v1/me/today failed during the warm-up");

    let mut rounds = Vec::new();
    for round in 1..=config.rounds {
        let load = Load::start(&url, &tokens, config.rate);
        std::thread::sleep(Duration::from_secs(config.seconds));
        let alone = load.stop();

        let pass_alone = morning::run_once(&db, sink, config.clients, &format!("alone{round}"));
        morning::reset(&pool);

        let (during, pass_during) = with_load(&url, &tokens, config.rate, || {
            morning::run_once(&db, sink, config.clients, &format!("during{round}"))
        });
        morning::reset(&pool);
        let control = other.as_ref().map(|(other, other_pool)| {
            let (control, _) = with_load(&url, &tokens, config.rate, || {
                morning::run_once(other, sink, config.clients, &format!("control{round}"))
            });
            morning::reset(other_pool);
            println!(
                "round {round}: during the pass on the second database {}",
                control.summary()
            );
            control
        });
        println!(
            "round {round}: /v1/me/today alone {}; during the pass {}",
            alone.summary(),
            during.summary()
        );
        for (name, pass) in [("alone", &pass_alone), ("during", &pass_during)] {
            println!(
                "  pass {name}: {} msg/s in {:.2?}, peak RSS {:.0} MB",
                support::thousands(pass.rate(config.clients)),
                pass.elapsed,
                pass.peak_rss_kib as f64 / 1024.0
            );
            for line in &pass.lines {
                println!("    {line}");
            }
        }
        rounds.push(Round {
            alone,
            during,
            pass_alone,
            pass_during,
            control,
        });
    }
    let _ = server.kill();
    let _ = server.wait();
    rows(backend, config, &rounds)
}

/// Runs `pass` with the load on: the load starts a second before it and stops when it
/// ends; only requests due while it runs count.
fn with_load(
    url: &str,
    tokens: &Arc<Vec<String>>,
    rate: f64,
    pass: impl FnOnce() -> morning::Pass,
) -> (Latencies, morning::Pass) {
    let load = Load::start(url, tokens, rate);
    std::thread::sleep(Duration::from_secs(1));
    let started = Instant::now();
    let pass = pass();
    let ended = Instant::now();
    (load.stop().between(started, ended), pass)
}

/// The table's rows for one backend: medians over the rounds.
fn rows(backend: &Backend, config: &Config, rounds: &[Round]) -> Vec<String> {
    let median =
        |f: &dyn Fn(&Round) -> f64| support::median(&mut rounds.iter().map(f).collect::<Vec<_>>());
    let name = backend.name();
    let p50 = (
        median(&|r| r.alone.percentile(0.50)),
        median(&|r| r.during.percentile(0.50)),
    );
    let p99 = (
        median(&|r| r.alone.percentile(0.99)),
        median(&|r| r.during.percentile(0.99)),
    );
    let rate = (
        median(&|r| r.pass_alone.rate(config.clients)),
        median(&|r| r.pass_during.rate(config.clients)),
    );
    let failed: usize = rounds
        .iter()
        .map(|r| r.alone.failed + r.during.failed)
        .sum();
    let requests = format!("`/v1/me/today` at {} req/s", config.rate);
    let mut rows = vec![
        format!(
            "| {name} | {requests}: p50 | {:.2} ms | {:.2} ms | {:.2} | |",
            p50.0,
            p50.1,
            p50.1 / p50.0
        ),
        format!(
            "| {name} | {requests}: p99 | {:.2} ms | {:.2} ms | {:.2} | <= {P99_GOAL}x alone: {} |",
            p99.0,
            p99.1,
            p99.1 / p99.0,
            support::verdict(p99.1 <= P99_GOAL * p99.0 && failed == 0)
        ),
        format!(
            "| {name} | {} pushes: `jobs run-once` | {} msg/s | {} msg/s | {:.2} | >= {RATE_GOAL}x alone: {} |",
            support::thousands(config.clients as f64),
            support::thousands(rate.0),
            support::thousands(rate.1),
            rate.1 / rate.0,
            support::verdict(rate.1 >= RATE_GOAL * rate.0)
        ),
    ];
    if rounds.iter().all(|r| r.control.is_some()) {
        let control = median(&|r| r.control.as_ref().map_or(f64::NAN, |c| c.percentile(0.99)));
        rows.push(format!(
            "| {name} | {requests}: p99, the pass on a second database (control) | {:.2} ms | {control:.2} ms \
             | {:.2} | no goal: the cores' share |",
            p99.0,
            control / p99.0
        ));
    }
    rows
}

/// Gives `count` clients an access token each, as accepting an invitation stores it.
fn sign_in(pool: &DbPool, count: usize) -> Vec<String> {
    let mut conn = pool.get().expect("connection");
    conn.transaction(|conn| {
        (0..count)
            .map(|i| {
                let access = tokens::issue(tokens::TokenKind::ClientAccess);
                diesel::update(clients::table.find(format!("client-{i:07}")))
                    .set((
                        clients::access_token_id.eq(Some(&access.id)),
                        clients::access_token_hash.eq(Some(&access.hash)),
                    ))
                    .execute(conn)?;
                Ok(access.token)
            })
            .collect::<Result<Vec<_>, diesel::result::Error>>()
    })
    .expect("access tokens")
}

/// The answered requests' due times and latencies from then, and how many failed.
struct Latencies {
    samples: Vec<(Instant, Duration)>,
    failed: usize,
}

impl Latencies {
    /// Only the requests due in `[from, to]`.
    fn between(self, from: Instant, to: Instant) -> Latencies {
        Latencies {
            samples: self
                .samples
                .into_iter()
                .filter(|(due, _)| *due >= from && *due <= to)
                .collect(),
            failed: self.failed,
        }
    }

    /// The latency in ms at quantile `q` (nearest rank).
    fn percentile(&self, q: f64) -> f64 {
        let mut ms: Vec<f64> = self
            .samples
            .iter()
            .map(|(_, l)| l.as_secs_f64() * 1e3)
            .collect();
        if ms.is_empty() {
            return f64::NAN;
        }
        ms.sort_by(|a, b| a.total_cmp(b));
        let rank = ((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len());
        ms[rank - 1]
    }

    fn summary(&self) -> String {
        format!(
            "{} requests, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {} failed",
            self.samples.len(),
            self.percentile(0.50),
            self.percentile(0.99),
            self.percentile(1.0),
            self.failed
        )
    }
}

/// The open-loop load: a thread that sleeps until each request's due time and hands it
/// to a one-thread tokio runtime, which sends it on a keep-alive connection (a new one
/// when all are busy). Sleeping on a plain thread keeps the schedule to the OS timer's
/// precision; tokio's timer wheel rounds to whole milliseconds, half the period at 500/s.
struct Load {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Latencies>,
}

impl Load {
    fn start(url: &str, tokens: &Arc<Vec<String>>, rate: f64) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let (url, tokens, stopped) = (url.to_string(), tokens.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("the load's runtime");
            // reqwest builds each request's timeout in the runtime it is sent from.
            let _context = runtime.enter();
            let http = reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("the load's client");
            let period = Duration::from_secs_f64(1.0 / rate);
            let start = Instant::now();
            let mut requests = Vec::new();
            for i in 0u32.. {
                let due = start + period * i;
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                let request = http
                    .get(&url)
                    .bearer_auth(&tokens[i as usize % tokens.len()])
                    .send();
                requests.push(runtime.spawn(async move {
                    let ok = match request.await {
                        Ok(response) => {
                            response.status().is_success() && response.bytes().await.is_ok()
                        }
                        Err(_) => false,
                    };
                    (due, due.elapsed(), ok)
                }));
            }
            let mut latencies = Latencies {
                samples: Vec::with_capacity(requests.len()),
                failed: 0,
            };
            for request in requests {
                let (due, latency, ok) = runtime.block_on(request).expect("a request's task");
                if ok {
                    latencies.samples.push((due, latency));
                } else {
                    latencies.failed += 1;
                }
            }
            latencies
        });
        Load { stop, thread }
    }

    /// Stops sending, waits for the answers still due, and returns every latency.
    fn stop(self) -> Latencies {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the load's thread")
    }
}
