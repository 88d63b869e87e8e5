//! Backups that restore: `backup` taken by the binary while a `worker` process is in
//! the middle of a morning fan-out, `restore` into a new folder by the binary, then
//! `serve` there finds every client, session and delivery, and the copy is consistent
//! (integrity check, no row pointing at a missing row, the counts the backup reported).
//! On PostgreSQL both commands refuse and print the pg_dump / pg_restore commands.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use serde_json::Value;
use smp_aftercare::db::clients::{self, NewClient, SessionRow};
use smp_aftercare::db::push_subscriptions::PushSubscription;
use smp_aftercare::db::schema;
use smp_aftercare::domain::{InvitationStatus, SpfFrequency};

use crate::helpers::*;
use crate::peers::PushPeer;

const CLIENTS: usize = 60;

/// `CLIENTS` clients with a session today and a push subscription each (answered
/// after a short stall, so the fan-out takes a while), due for planning. Returns the
/// clinic's API key.
async fn seed(app: &TestApp, push: &PushPeer) -> String {
    let (clinic_id, key) = app.create_clinic("Northside SMP", "front@northside.test");
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
    key
}

/// The binary's `worker` on the test's database, its clock at 08:00 on the session day.
fn spawn_worker(app: &TestApp) -> Child {
    let log = std::fs::File::create(app.db.scratch_dir().join("worker.log")).unwrap();
    let vapid = app
        .settings
        .push
        .vapid_key_file
        .to_string_lossy()
        .to_string();
    Command::new(env!("CARGO_BIN_EXE_smp-aftercare"))
        .args([
            "worker",
            "--clock-start",
            "2026-03-02T08:00:00Z",
            "--clock-speed",
            "1",
        ])
        .current_dir(std::env::temp_dir())
        .env_remove("RUST_LOG")
        .env("SMP__LOG__LEVEL", "info")
        .env("SMP__DATABASE__URL", &app.database_url)
        .env("SMP__PUSH__VAPID_KEY_FILE", vapid)
        .env("SMP__PUSH__VAPID_SUBJECT", "mailto:ops@smp-aftercare.dev")
        .env(
            "SMP__PUSH__ALLOWED_INSECURE_ENDPOINTS",
            "http://127.0.0.1:*",
        )
        .env(
            "SMP__EMAIL__FILE_DIR",
            app.settings.email.file_dir.to_string_lossy().to_string(),
        )
        .env("SMP__JOBS__CONCURRENCY", "2")
        .env("SMP__JOBS__PUSH_TIMEOUT_SECS", "5")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("worker starts")
}

/// Pushes the peer has received so far.
async fn received(push: &PushPeer) -> usize {
    let messages: Vec<Value> = reqwest::get(push.url("/messages"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    messages.len()
}

async fn wait_for_pushes(push: &PushPeer, at_least: usize, app: &TestApp) {
    let start = Instant::now();
    while received(push).await < at_least {
        let log =
            std::fs::read_to_string(app.db.scratch_dir().join("worker.log")).unwrap_or_default();
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "only {} pushes; worker log: {log}",
            received(push).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The counts `backup` and `restore` print: "N clinics, N clients, N sessions, ...".
fn counts(stdout: &str) -> Vec<(String, i64)> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("backup written to ") || l.starts_with("restored "))
        .unwrap_or_else(|| panic!("no counts in {stdout}"));
    let list = line.rsplit(": ").next().unwrap();
    let names = [
        "clinics",
        "clients",
        "sessions",
        "deliveries",
        "push subscriptions",
    ];
    list.split(", ")
        .zip(names)
        .map(|(part, name)| {
            let (n, _) = part.split_once(' ').unwrap();
            (name.to_string(), n.parse().unwrap())
        })
        .collect()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

fn count(conn: &mut SqliteConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

/// Checks a database file as SQLite and our schema see it; returns its counts in the
/// order `backup` prints them.
fn check_database(path: &Path) -> Vec<(String, i64)> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    let integrity: Vec<Line> =
        diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check")
            .load(&mut conn)
            .unwrap();
    assert_eq!(integrity.len(), 1);
    assert_eq!(integrity[0].line, "ok");
    let dangling = count(
        &mut conn,
        "SELECT count(*) AS n FROM pragma_foreign_key_check",
    );
    assert_eq!(dangling, 0, "rows pointing at missing rows");
    // The same, spelt out for the rows this test is about.
    let orphans = count(
        &mut conn,
        "SELECT (SELECT count(*) FROM deliveries WHERE client_id NOT IN (SELECT id FROM clients)) \
         + (SELECT count(*) FROM sessions WHERE client_id NOT IN (SELECT id FROM clients)) \
         + (SELECT count(*) FROM clients WHERE clinic_id NOT IN (SELECT id FROM clinics)) AS n",
    );
    assert_eq!(orphans, 0);
    [
        "clinics",
        "clients",
        "sessions",
        "deliveries",
        "push_subscriptions",
    ]
    .iter()
    .map(|table| {
        let n = count(&mut conn, &format!("SELECT count(*) AS n FROM {table}"));
        (table.replace('_', " "), n)
    })
    .collect()
}

fn sidecar(database: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// Adds a clinic to `database` through its write-ahead log and leaves that log beside
/// it, as a process that stopped without a checkpoint does.
fn leave_a_stale_wal(database: &Path) {
    let mut conn = SqliteConnection::establish(&database.to_string_lossy()).unwrap();
    diesel::sql_query("PRAGMA journal_mode = WAL")
        .execute(&mut conn)
        .ok();
    diesel::sql_query("PRAGMA wal_autocheckpoint = 0")
        .execute(&mut conn)
        .ok();
    diesel::sql_query(
        "INSERT INTO clinics (id, name, email, created_at, timezone, reminder_time) \
         SELECT 'stale', 'Stale Clinic', 'stale@clinic.test', created_at, timezone, reminder_time \
         FROM clinics LIMIT 1",
    )
    .execute(&mut conn)
    .unwrap();
    let wal = std::fs::read(sidecar(database, "-wal")).unwrap();
    assert!(!wal.is_empty(), "the change is in the log");
    drop(conn);
    std::fs::write(sidecar(database, "-wal"), wal).unwrap();
}

/// `serve --no-scheduler` in `dir` on the restored database; its port, from its log.
struct Served {
    child: Child,
    port: u16,
}

impl Served {
    fn start(dir: &Path, url: &str) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_smp-aftercare"))
            .args(["serve", "--no-scheduler"])
            .current_dir(dir)
            .env_remove("RUST_LOG")
            .env("SMP__DATABASE__URL", url)
            .env("SMP__SERVER__PORT", "0")
            .env("SMP__SERVER__PUBLIC_URL", "http://app.test")
            .env("SMP__PUSH__VAPID_SUBJECT", "mailto:ops@smp-aftercare.dev")
            .env("SMP__LOG__FORMAT", "json")
            .env("SMP__LOG__LEVEL", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary runs");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut port = 0;
        for line in lines.by_ref().map_while(Result::ok) {
            let parsed: Value = serde_json::from_str(&line).unwrap_or_default();
            if let Some(p) = parsed["fields"]["port"].as_u64() {
                port = p as u16;
                break;
            }
        }
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
        assert_ne!(port, 0, "serve did not start in {}", dir.display());
        Served { child, port }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_mid_fan_out_restores_whole_sqlite() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let push = PushPeer::start_with_stall(0.2);
    let key = seed(&app, &push).await;
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("smp-backup.db");
    let file_arg = file.to_str().unwrap();

    let mut worker = spawn_worker(&app);
    // Some pushes are out: the engine is sending. The backup is taken now.
    wait_for_pushes(&push, 10, &app).await;
    let out = app.cli(&["backup", "--to", file_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains("backup written to"), "{stdout}");
    let reported = counts(&stdout);
    let sent_before_backup_ended = received(&push).await;
    wait_for_pushes(&push, CLIENTS, &app).await;
    worker.kill().unwrap();
    let _ = worker.wait();

    // What the backup holds is what it reported, and consistent.
    assert_eq!(check_database(&file), reported);
    let spoken = format!(": 1 clinic, {CLIENTS} clients, {CLIENTS} sessions, ");
    assert!(stdout.contains(&spoken), "{stdout}");
    let of = |what: &str| reported.iter().find(|(w, _)| w == what).unwrap().1;
    assert_eq!(of("clinics"), 1);
    assert_eq!(of("clients"), CLIENTS as i64);
    assert_eq!(of("sessions"), CLIENTS as i64);
    assert_eq!(of("push subscriptions"), CLIENTS as i64);
    // At least every delivery the peer had seen before the backup began was planned.
    assert!(
        (10..=CLIENTS as i64).contains(&of("deliveries")),
        "{reported:?}"
    );
    {
        let mut copy = SqliteConnection::establish(&file.to_string_lossy()).unwrap();
        let sent = count(
            &mut copy,
            "SELECT count(*) AS n FROM deliveries WHERE status = 'sent'",
        );
        assert!(
            sent as usize <= sent_before_backup_ended,
            "{sent} sent in the copy"
        );
        eprintln!(
            "backup mid fan-out: {} deliveries, {sent} of them sent",
            of("deliveries")
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "a backup is private: {mode:o}");
    }

    // A backup never replaces a file.
    let again = app.cli(&["backup", "--to", file_arg]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    // Restored into a new folder by the binary...
    let site = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        site.path().join("data/smp-aftercare.db").display()
    );
    let env = [("SMP__DATABASE__URL", url.as_str())];
    let out = run_cli(&["restore", "--from", file_arg], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let restored_out = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(counts(&restored_out), reported, "{restored_out}");
    let database = site.path().join("data/smp-aftercare.db");
    assert_eq!(check_database(&database), reported);

    // ...refuses to replace it unless forced.
    let refused = run_cli(&["restore", "--from", file_arg], &env);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    // Forced, over a database whose write-ahead log still holds a change: that log
    // belongs to the file being replaced, and must not be replayed into the backup.
    leave_a_stale_wal(&database);
    let forced = run_cli(&["restore", "--from", file_arg, "--force"], &env);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(check_database(&database), reported);

    // The service started there finds every client with their session.
    let served = Served::start(site.path(), &url);
    let base = format!("http://127.0.0.1:{}", served.port);
    let http = reqwest::Client::new();
    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let page: Value = http
        .get(format!("{base}/v1/clients?limit=200"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), CLIENTS, "{page}");
    for item in items {
        assert_eq!(item["sessions"].as_array().unwrap().len(), 1, "{item}");
    }
    drop(served);
    assert_eq!(check_database(&database), reported);
}

#[test]
fn restore_refuses_what_is_not_our_backup() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("data/smp.db").display());
    let env = [("SMP__DATABASE__URL", url.as_str())];

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database at all, just some words").unwrap();
    let out = run_cli(&["restore", "--from", text.to_str().unwrap()], &env);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not an SQLite database"),
        "{}",
        stderr(&out)
    );

    let foreign = dir.path().join("other.db");
    let mut conn = SqliteConnection::establish(&foreign.to_string_lossy()).unwrap();
    diesel::sql_query("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let out = run_cli(&["restore", "--from", foreign.to_str().unwrap()], &env);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a backup of smp-aftercare"),
        "{}",
        stderr(&out)
    );

    let other = tempfile::tempdir().unwrap();
    let live = other.path().join("smp.db");
    let live_url = format!("sqlite://{}", live.display());
    let live_env = [("SMP__DATABASE__URL", live_url.as_str())];
    assert!(run_cli(&["migrate"], &live_env).status.success());
    let onto_itself = run_cli(
        &["restore", "--from", live.to_str().unwrap(), "--force"],
        &live_env,
    );
    assert_eq!(onto_itself.status.code(), Some(2));
    assert!(
        stderr(&onto_itself).contains("is the database itself"),
        "{}",
        stderr(&onto_itself)
    );

    let missing = run_cli(&["restore", "--from", "/nonexistent/smp.db"], &env);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    // Nothing was put in place, and no partial copy was left.
    let data = dir.path().join("data");
    let left: Vec<_> = std::fs::read_dir(&data)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn backup_without_a_database_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("data/smp.db").display());
    let to = dir.path().join("backup.db");
    let out = run_cli(
        &["backup", "--to", to.to_str().unwrap()],
        &[("SMP__DATABASE__URL", url.as_str())],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no database at"), "{}", stderr(&out));
    assert!(
        !dir.path().join("data").exists(),
        "a backup created an empty database"
    );
}

/// PostgreSQL is backed up with its own tools: both commands refuse and print the
/// command to run, with the password redacted.
#[test]
fn on_postgres_backup_and_restore_print_the_pg_tools_commands() {
    let Some((_db, url)) = TestDatabase::create(Backend::Postgres) else {
        eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
        return;
    };
    let out = run_cli(
        &["backup", "--to", "/srv/backups/smp.dump"],
        &[("SMP__DATABASE__URL", url.as_str())],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "pg_dump --format=custom --no-owner --file=/srv/backups/smp.dump '{url}'"
        )),
        "{err}"
    );
    let out = run_cli(
        &["restore", "--from", "/srv/backups/smp.dump"],
        &[("SMP__DATABASE__URL", url.as_str())],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "pg_restore --clean --if-exists --no-owner --dbname='{url}' /srv/backups/smp.dump"
        )),
        "{}",
        stderr(&out)
    );

    // A password never reaches the terminal (no server needed: it refuses first).
    let secret = "postgres://smp:secret-pw@db.internal:5432/smp";
    let out = run_cli(
        &["backup", "--to", "smp.dump"],
        &[("SMP__DATABASE__URL", secret)],
    );
    let err = stderr(&out);
    assert!(
        err.contains("'postgres://smp:***@db.internal:5432/smp'"),
        "{err}"
    );
    assert!(!err.contains("secret-pw"), "{err}");
}
