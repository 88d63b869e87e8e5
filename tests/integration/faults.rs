//! Faults: a worker killed (`kill -9`) or stopped (SIGTERM) in the middle of a morning
//! fan-out. Counted at the push peer per (client, day, channel, target): nothing may be
//! lost, a kill may double at most twice `jobs.concurrency` (the sends in flight or
//! returned and waiting, and the group of outcomes being written: `jobs::settle`), a
//! stop none.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::RunQueryDsl;
use serde_json::Value;
use smp_aftercare::db::clients::{self, NewClient, SessionRow};
use smp_aftercare::db::push_subscriptions::PushSubscription;
use smp_aftercare::db::schema;
use smp_aftercare::domain::{InvitationStatus, SpfFrequency};

use crate::helpers::*;
use crate::peers::PushPeer;

const CLIENTS: usize = 120;
const CONCURRENCY: usize = 4;

/// `CLIENTS` clients of one clinic with a session today and one push subscription each
/// (a peer subscription that answers after a short stall), due for planning.
async fn seed(app: &TestApp, push: &PushPeer) {
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let at = Utc
        .with_ymd_and_hms(2026, 3, 2, 7, 0, 0)
        .unwrap()
        .naive_utc();
    let mut subscriptions = Vec::new();
    for _ in 0..CLIENTS {
        subscriptions.push(push.subscribe("stall").await);
    }
    let mut conn = app.pool.get().unwrap();
    for (i, subscription) in subscriptions.into_iter().enumerate() {
        let id = format!("client-{i:04}");
        let client = NewClient {
            id: id.clone(),
            clinic_id: clinic_id.clone(),
            email: format!("c{i}@client.test"),
            name: format!("Client {i}"),
            timezone: "UTC".parse().unwrap(),
            locale: "en".into(),
            planned_sessions: 3,
            reminder_time: "08:00".into(),
            push_enabled: true,
            email_enabled: false,
            spf_reminders: SpfFrequency::Daily,
            muted: "[]".into(),
            invitation_status: InvitationStatus::Accepted,
            created_at: at,
            updated_at: at,
            next_plan_at: Some(at),
        };
        clients::insert(&mut conn, &client).unwrap();
        let session = SessionRow {
            id: format!("s-{i:04}"),
            client_id: id.clone(),
            date: at.date(),
            marked_final: false,
            notes: None,
            created_at: at,
        };
        clients::insert_session(&mut conn, &session).unwrap();
        let row = PushSubscription {
            id: format!("sub-{i:04}"),
            client_id: id,
            endpoint: subscription["endpoint"].as_str().unwrap().to_string(),
            p256dh: subscription["keys"]["p256dh"].as_str().unwrap().to_string(),
            auth: subscription["keys"]["auth"].as_str().unwrap().to_string(),
            expiration_time: None,
            created_at: at,
            updated_at: at,
            disabled_at: None,
            disabled_reason: None,
        };
        diesel::insert_into(schema::push_subscriptions::table)
            .values(&row)
            .execute(&mut *conn)
            .unwrap();
    }
}

/// A `worker` process on the test's database, its clock starting at `clock_start`
/// and running at real speed.
fn spawn_worker(app: &TestApp, clock_start: NaiveDateTime, name: &str) -> Child {
    let log = std::fs::File::create(app.db.scratch_dir().join(format!("{name}.log"))).unwrap();
    let start = clock_start.and_utc().to_rfc3339();
    // The push peer listens on loopback, on a port of its choosing.
    let allowed = "http://127.0.0.1:*";
    let vapid = app
        .settings
        .push
        .vapid_key_file
        .to_string_lossy()
        .to_string();
    Command::new(env!("CARGO_BIN_EXE_smp-aftercare"))
        .args(["worker", "--clock-start", &start, "--clock-speed", "1"])
        .current_dir(std::env::temp_dir())
        .env("SMP__LOG__LEVEL", "info")
        .env("SMP__DATABASE__URL", &app.database_url)
        .env("SMP__PUSH__VAPID_KEY_FILE", vapid)
        .env("SMP__PUSH__VAPID_SUBJECT", "mailto:ops@smp-aftercare.dev")
        .env("SMP__PUSH__ALLOWED_INSECURE_ENDPOINTS", allowed)
        .env(
            "SMP__EMAIL__FILE_DIR",
            app.settings.email.file_dir.to_string_lossy().to_string(),
        )
        .env("SMP__EMAIL__SEND_TIMEOUT_SECS", "5")
        .env("SMP__JOBS__CONCURRENCY", CONCURRENCY.to_string())
        .env("SMP__JOBS__PUSH_TIMEOUT_SECS", "5")
        .env("SMP__JOBS__LEASE_SECS", "10")
        .env("SMP__SERVER__SHUTDOWN_TIMEOUT_SECS", "10")
        .env("SMP__DATABASE__CONNECT_TIMEOUT_SECS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("worker starts")
}

/// Pushes received so far, per peer subscription.
async fn received(push: &PushPeer) -> HashMap<String, usize> {
    let messages: Vec<Value> = reqwest::get(push.url("/messages"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut per_target = HashMap::new();
    for message in messages {
        assert_eq!(message["status"], 201, "{message}");
        *per_target
            .entry(message["subscription_id"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    per_target
}

async fn wait_for(
    push: &PushPeer,
    what: &str,
    deadline: Duration,
    done: impl Fn(&HashMap<String, usize>) -> bool,
) {
    let start = Instant::now();
    loop {
        let got = received(push).await;
        if done(&got) {
            return;
        }
        assert!(
            start.elapsed() < deadline,
            "{what}: only {} targets reached",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

enum Fault {
    Kill,
    Terminate,
    /// PostgreSQL refuses connections and drops every open one, for a few seconds.
    DatabaseOutage,
}

/// Cuts the test's PostgreSQL database off for `outage`, then lets it back.
async fn cut_database_off(app: &TestApp, outage: Duration) {
    use diesel::Connection;
    let TestDatabase::Postgres { admin_url, name } = &app.db else {
        unreachable!("only PostgreSQL can be cut off")
    };
    let mut admin = diesel::PgConnection::establish(admin_url).unwrap();
    let sql = |admin: &mut diesel::PgConnection, sql: String| {
        diesel::sql_query(sql).execute(admin).unwrap();
    };
    sql(
        &mut admin,
        format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
    );
    sql(
        &mut admin,
        format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    );
    tokio::time::sleep(outage).await;
    sql(
        &mut admin,
        format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
    );
}

/// Seeds, starts a worker, interrupts it mid fan-out, lets a second worker finish,
/// and returns (targets that got nothing, extra copies received, the first worker's log).
async fn fan_out_interrupted(app: &TestApp, fault: Fault) -> (usize, usize, String) {
    let push = PushPeer::start_with_stall(0.25);
    seed(app, &push).await;
    let morning = Utc
        .with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
        .unwrap()
        .naive_utc();
    let started = Instant::now();
    let mut first = spawn_worker(app, morning, "first");
    let some = CONCURRENCY * 5;
    wait_for(&push, "first worker", Duration::from_secs(60), |got| {
        got.len() >= some
    })
    .await;
    if matches!(fault, Fault::DatabaseOutage) {
        // The same worker rides out the outage and finishes the fan-out.
        cut_database_off(app, Duration::from_secs(4)).await;
        wait_for(&push, "after the outage", Duration::from_secs(90), |got| {
            got.len() == CLIENTS
        })
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        first.kill().unwrap();
        let _ = first.wait();
        let got = received(&push).await;
        let log =
            std::fs::read_to_string(app.db.scratch_dir().join("first.log")).unwrap_or_default();
        return (CLIENTS - got.len(), got.values().map(|n| n - 1).sum(), log);
    }
    match fault {
        Fault::DatabaseOutage => unreachable!("handled above"),
        Fault::Kill => first.kill().unwrap(),
        Fault::Terminate => {
            let pid = first.id().to_string();
            let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
            assert!(status.success());
        }
    }
    let exited = first.wait().unwrap();
    if matches!(fault, Fault::Terminate) {
        assert!(
            exited.success(),
            "SIGTERM ends the worker cleanly: {exited:?}"
        );
    }
    // The second worker's clock goes on from where the first one's was.
    let elapsed = chrono::Duration::from_std(started.elapsed()).unwrap();
    let mut second = spawn_worker(app, morning + elapsed, "second");
    wait_for(&push, "second worker", Duration::from_secs(90), |got| {
        got.len() == CLIENTS
    })
    .await;
    // Let anything still claimed settle before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    second.kill().unwrap();
    let _ = second.wait();
    let got = received(&push).await;
    let log = std::fs::read_to_string(app.db.scratch_dir().join("first.log")).unwrap_or_default();
    let lost = CLIENTS - got.len();
    let doubled = got.values().map(|n| n - 1).sum();
    (lost, doubled, log)
}

async fn kill_doubles_at_most_the_sends_in_flight(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (lost, doubled, log) = fan_out_interrupted(&app, Fault::Kill).await;
    assert_eq!(lost, 0, "{log}");
    let bound = 2 * CONCURRENCY;
    assert!(
        doubled <= bound,
        "{doubled} pushes sent twice after kill -9 (bound {bound}); first worker:\n{log}"
    );
}

async fn sigterm_doubles_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (lost, doubled, log) = fan_out_interrupted(&app, Fault::Terminate).await;
    assert_eq!((lost, doubled), (0, 0), "{log}");
}

/// PostgreSQL gone for 4 s mid fan-out: outcomes wait in memory, the rest of the
/// batch is released, and nothing is sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_doubles_nothing_postgres() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let (lost, doubled, log) = fan_out_interrupted(&app, Fault::DatabaseOutage).await;
    assert!(
        log.contains("dispatch tick failed"),
        "the outage hit the fan-out: {log}"
    );
    assert_eq!((lost, doubled), (0, 0), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_doubles_at_most_the_sends_in_flight_sqlite() {
    kill_doubles_at_most_the_sends_in_flight(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_doubles_at_most_the_sends_in_flight_postgres() {
    kill_doubles_at_most_the_sends_in_flight(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_doubles_nothing_sqlite() {
    sigterm_doubles_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_doubles_nothing_postgres() {
    sigterm_doubles_nothing(Backend::Postgres).await;
}
