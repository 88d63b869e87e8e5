//! The console at clinic scale: one clinic of N clients (1,000, 10,000, 50,000) with one
//! session each, and the release binary's median time over sequential requests (one at
//! a time, on a fresh connection) for the clients list, a search, Today and the API's
//! client list. Run with:
//!
//!     cargo bench --bench console                                # SQLite
//!     BENCH_DATABASE_URL=postgres://USER@HOST/postgres cargo bench --bench console
//!
//! `BENCH_SIZES` (1000,10000,50000), `BENCH_REQUESTS` (15) per endpoint and size.
//! Sessions are spread over the last 60 days (client i's is i % 60 days ago), so the
//! list and Today's groups hold clients in every state a first session gives. The
//! goals (issue 31): the list and Today grow at most 1.5x from the smallest clinic to
//! the largest, and the list's median at the largest is at most 50 ms.

#[path = "support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use smp_aftercare::app;
use smp_aftercare::db::clients::{self, NewClient};
use smp_aftercare::db::{DbConnection, DbPool};
use smp_aftercare::domain::{InvitationStatus, SpfFrequency};
use smp_aftercare::service::clinics::{self, OwnerInput};
use support::{Backend, BenchDatabase};

/// The most the list and Today may grow from the smallest clinic to the largest.
const GROWTH_GOAL: f64 = 1.5;
/// The list's median at the largest clinic, in milliseconds.
const LIST_GOAL_MS: f64 = 50.0;

const ENDPOINTS: [&str; 4] = ["list", "search \"client 42\"", "Today", "API GET /v1/clients"];

fn main() {
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,50000".into())
        .split(',')
        .filter_map(|n| n.trim().replace('_', "").parse().ok())
        .collect();
    let requests = support::env_usize("BENCH_REQUESTS", 15).max(1);
    println!("machine: {}", support::machine());
    println!("{requests} sequential requests per endpoint, medians in ms; clinics of {sizes:?} clients");
    for backend in support::backends() {
        let medians: Vec<[f64; 4]> = sizes.iter().map(|n| run(&backend, *n, requests)).collect();
        report(&backend, &sizes, &medians);
    }
}

fn report(backend: &Backend, sizes: &[usize], medians: &[[f64; 4]]) {
    println!();
    println!("{}:", backend.name());
    println!();
    println!("| clients | {} |", ENDPOINTS.join(" | "));
    println!("| --- |{}", " --- |".repeat(ENDPOINTS.len()));
    for (n, m) in sizes.iter().zip(medians) {
        let cells: Vec<String> = m.iter().map(|ms| format!("{ms:.1} ms")).collect();
        println!("| {n} | {} |", cells.join(" | "));
    }
    let (Some(first), Some(last)) = (medians.first(), medians.last()) else {
        return;
    };
    let (small, large) = (sizes[0], sizes[sizes.len() - 1]);
    println!();
    println!("| goal | figure | met |");
    println!("| --- | --- | --- |");
    let met = |ok: bool| if ok { "yes" } else { "NO" };
    for (i, name) in ENDPOINTS.iter().enumerate() {
        let growth = last[i] / first[i];
        let goal = matches!(i, 0 | 1 | 2);
        let verdict = if goal { met(growth <= GROWTH_GOAL) } else { "(no goal)" };
        println!(
            "| {name}: at most {GROWTH_GOAL}x from {small} to {large} clients | {growth:.2}x | {verdict} |"
        );
    }
    println!(
        "| list: median at {large} clients at most {LIST_GOAL_MS} ms | {:.1} ms | {} |",
        last[0],
        met(last[0] <= LIST_GOAL_MS)
    );
}

/// Seeds a clinic of `n` clients, starts the server and times each endpoint.
fn run(backend: &Backend, n: usize, requests: usize) -> [f64; 4] {
    let db = BenchDatabase::create(backend);
    let pool = app::prepare_database(&db.settings()).expect("database");
    let started = Instant::now();
    let (clinic_id, api_key) = seed(&pool, n);
    let cookie = console_session(&pool, &clinic_id);
    let seeded = started.elapsed();
    drop(pool);
    println!("\n== {}: {n} clients seeded in {seeded:.2?}", backend.name());

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = support::command(&db, &["serve", "--no-scheduler"]);
    command.env("SMP__SERVER__PORT", port.to_string());
    let (mut server, _) = support::spawn(command, &db.scratch.path().join("serve.log"));
    let address = format!("127.0.0.1:{port}");
    wait_ready(&address);
    let cookie = format!("Cookie: smp_console={cookie}");
    let bearer = format!("Authorization: Bearer {api_key}");
    let targets: [(&str, &str); 4] = [
        ("/console/clients", &cookie),
        ("/console/clients?q=client+42", &cookie),
        ("/console", &cookie),
        ("/v1/clients?limit=50", &bearer),
    ];
    let mut medians = [0.0; 4];
    for (i, (path, header)) in targets.iter().enumerate() {
        // Two untimed requests warm the statement cache and the page cache.
        for _ in 0..2 {
            get(&address, path, header);
        }
        let mut times: Vec<f64> = (0..requests)
            .map(|_| {
                let at = Instant::now();
                get(&address, path, header);
                at.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        medians[i] = support::median(&mut times);
        println!("{:<24} {:>8.2} ms", ENDPOINTS[i], medians[i]);
    }
    let _ = server.kill();
    let _ = server.wait();
    medians
}

/// The clinic (with its owner and API key) and `n` clients, client i named "Client i"
/// with one session i % 60 days ago: one template client written by the service's own
/// repository code, copied by one `INSERT ... SELECT` per table; then every client's
/// standing renewed as the planning tick would.
fn seed(pool: &DbPool, n: usize) -> (String, String) {
    let mut conn = pool.get().expect("connection");
    let now = Utc::now();
    let at = now.naive_utc();
    let owner = OwnerInput {
        name: "Bench Owner".into(),
        email: "owner@bench-clinic.dev".into(),
    };
    let created = clinics::create(&mut conn, "Bench Clinic", "front@bench-clinic.dev", owner, at)
        .expect("clinic");
    let clinic_id = created.clinic.id.clone();
    let template = "template";
    clients::insert(&mut conn, &template_client(template, &clinic_id, at)).expect("template");
    let postgres = matches!(&*conn, DbConnection::Postgresql(_));
    let (numbers, session_date) = if postgres {
        (
            format!("SELECT generate_series(0, {}) AS i", n as i64 - 1),
            "CURRENT_DATE - (n.i % 60)",
        )
    } else {
        (
            format!(
                "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {}) \
                 SELECT i FROM s",
                n as i64 - 1
            ),
            "date('now', '-' || (n.i % 60) || ' days')",
        )
    };
    let columns = "clinic_id, timezone, locale, planned_sessions, reminder_time, push_enabled, \
        email_enabled, spf_reminders, muted, invitation_status, created_at, updated_at";
    let sql = format!(
        "INSERT INTO clients (id, name, email, {columns}) \
         SELECT 'client-' || n.i, 'Client ' || n.i, 'c' || n.i || '@client.dev', {columns} \
         FROM clients, ({numbers}) n WHERE clients.id = '{template}';\n\
         INSERT INTO sessions (id, client_id, date, marked_final, notes, created_at) \
         SELECT 'session-' || n.i, 'client-' || n.i, {session_date}, FALSE, NULL, created_at \
         FROM clients, ({numbers}) n WHERE clients.id = '{template}';\n\
         DELETE FROM clients WHERE id = '{template}';\n"
    );
    conn.batch_execute(&sql).expect("bulk seed");
    loop {
        let renewed = smp_aftercare::jobs::standing::renew_stale(&mut conn, now, 1000)
            .expect("renew standings");
        if renewed < 1000 {
            break;
        }
    }
    if postgres {
        // Autovacuum would analyze the new rows soon; SQLite never does by itself.
        conn.batch_execute("ANALYZE;").expect("analyze");
    }
    (clinic_id, created.api_key)
}

fn template_client(id: &str, clinic_id: &str, at: NaiveDateTime) -> NewClient {
    NewClient {
        id: id.into(),
        clinic_id: clinic_id.into(),
        email: "template@client.dev".into(),
        name: "Client".into(),
        timezone: "Europe/London".parse().unwrap(),
        locale: "en".into(),
        planned_sessions: 3,
        reminder_time: "08:00".into(),
        push_enabled: false,
        email_enabled: true,
        spf_reminders: SpfFrequency::Daily,
        muted: "[]".into(),
        invitation_status: InvitationStatus::Accepted,
        created_at: at,
        updated_at: at,
        // Not due: the server runs without its scheduler anyway.
        next_plan_at: None,
    }
}

/// A console session for the clinic's owner: the token its cookie carries.
fn console_session(pool: &DbPool, clinic_id: &str) -> String {
    let mut conn = pool.get().expect("connection");
    let owner = smp_aftercare::db::staff::of_clinic(&mut conn, clinic_id)
        .expect("staff")
        .into_iter()
        .next()
        .expect("an owner");
    let clinic = smp_aftercare::db::clinics::find(&mut conn, clinic_id)
        .expect("clinic")
        .expect("the clinic exists");
    smp_aftercare::service::staff::start_session(&mut conn, owner, &clinic, Utc::now())
        .expect("session")
        .token
}

fn wait_ready(address: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while support::http_status(&format!("http://{address}/healthz")) != Some(200) {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One `GET` on a fresh connection, read to its end; panics unless it is a 200.
fn get(address: &str, path: &str, header: &str) {
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\n{header}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read");
    let head = String::from_utf8_lossy(&answer[..answer.len().min(64)]).to_string();
    assert!(head.starts_with("HTTP/1.1 200"), "GET {path}: {head}");
}
