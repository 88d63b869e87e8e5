//! Engine throughput: planning N due clients, dispatching N email reminders (file
//! transport), and the cost of a planning tick when nobody is due (it must not grow
//! with the number of clients). Run with:
//!
//!     cargo bench --features bench --bench engine         # SQLite, 2,000 clients
//!     BENCH_CLIENTS=10000 cargo bench --features bench --bench engine
//!     BENCH_DATABASE_URL=postgres://... cargo bench --features bench --bench engine  # an empty database
//!
//! Figures are wall-clock on whatever machine runs it; compare runs on one machine.

use std::sync::Arc;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use smp_aftercare::app;
use smp_aftercare::clock::FixedClock;
use smp_aftercare::config::Settings;
use smp_aftercare::db::clients::{self, NewClient, SessionRow};
use smp_aftercare::db::clinics::{self, NewClinic};
use smp_aftercare::domain::{InvitationStatus, SpfFrequency};
use smp_aftercare::jobs::Engine;
use smp_aftercare::notify::email::Mailer;
use smp_aftercare::notify::vapid::VapidKeys;

fn main() {
    let clients: usize = std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let scratch = tempfile::tempdir().expect("temp dir");
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", scratch.path().join("bench.db").display()));
    let mut settings =
        Settings::load(std::path::Path::new("/nonexistent"), None).expect("defaults");
    settings.database.url = SecretString::from(url.clone());
    settings.email.file_dir = scratch.path().join("mail");
    settings.push.vapid_key_file = scratch.path().join("vapid.pem");
    let pool = app::prepare_database(&settings).expect("database");
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 7, 0, 0).unwrap();

    // N clients of one clinic, each with a session today, email only.
    let mut conn = pool.get().unwrap();
    let at = start.naive_utc();
    clinics::insert(
        &mut conn,
        &NewClinic {
            id: "bench",
            name: "Bench",
            email: "bench@clinic.test",
            created_at: at,
            timezone: "Europe/London".parse().unwrap(),
            reminder_time: "08:00".to_string(),
        },
    )
    .unwrap();
    let seeding = Instant::now();
    for i in 0..clients {
        let id = format!("client-{i:06}");
        clients::insert(
            &mut conn,
            &NewClient {
                id: id.clone(),
                clinic_id: "bench".into(),
                email: format!("c{i}@client.test"),
                name: format!("Client {i}"),
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
                next_plan_at: Some(at),
            },
        )
        .unwrap();
        clients::insert_session(
            &mut conn,
            &SessionRow {
                id: format!("s-{i:06}"),
                client_id: id,
                date: start.date_naive(),
                marked_final: false,
                notes: None,
                created_at: at,
            },
        )
        .unwrap();
    }
    drop(conn);
    println!(
        "backend: {}",
        if url.starts_with("postgres") {
            "postgresql"
        } else {
            "sqlite"
        }
    );
    println!("seeded {clients} clients in {:.2?}", seeding.elapsed());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let clock = FixedClock::new(start);
    let mailer = Mailer::new(&settings.email).unwrap();
    let vapid = VapidKeys::generate();
    let metrics = smp_aftercare::metrics::Metrics::new();
    let engine = Engine::new(
        &settings,
        pool.clone(),
        Arc::new(clock),
        mailer,
        vapid,
        metrics,
    );

    runtime.block_on(async {
        let t = Instant::now();
        let planned = engine.plan(start).await.unwrap();
        let elapsed = t.elapsed();
        println!(
            "plan:     {} clients, {} deliveries in {:.2?} ({:.0} clients/s)",
            planned.clients,
            planned.inserted,
            elapsed,
            planned.clients as f64 / elapsed.as_secs_f64()
        );

        let send_time = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 1).unwrap();
        let t = Instant::now();
        let sent = engine.dispatch(send_time).await.unwrap();
        let elapsed = t.elapsed();
        println!(
            "dispatch: {} emails sent (file transport) in {:.2?} ({:.0} deliveries/s)",
            sent.sent,
            elapsed,
            sent.sent as f64 / elapsed.as_secs_f64()
        );

        // Nobody is due until tomorrow 07:30: an idle tick must cost the same whatever N.
        let idle_at = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
        // The 07:00 pass planned for 07:30 (the lead before 08:00); this one moves every
        // client on to tomorrow 07:30.
        engine.plan(idle_at).await.unwrap();
        let rounds = 200;
        let t = Instant::now();
        for _ in 0..rounds {
            let report = engine.plan(idle_at).await.unwrap();
            assert_eq!(report.clients, 0);
        }
        println!(
            "idle plan tick with {clients} clients, none due: {:.2?} per tick (mean of {rounds})",
            t.elapsed() / rounds
        );
        let t = Instant::now();
        for _ in 0..rounds {
            engine.dispatch(idle_at).await.unwrap();
        }
        println!(
            "idle dispatch tick, nothing due: {:.2?} per tick (mean of {rounds})",
            t.elapsed() / rounds
        );
    });
}
