//! What the benchmarks share: a fresh database per backend, bulk seeding, the release
//! binary as a child process (with its peak RSS), a fast local push sink, and medians.
//! Never part of the service: benches are compiled on their own.
#![allow(dead_code)] // each bench uses part of it

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use secrecy::SecretString;
use smp_aftercare::config::Settings;
use smp_aftercare::db::api_keys::{self, ApiKey};
use smp_aftercare::db::clients::{self, NewClient, SessionRow};
use smp_aftercare::db::clinics::{self, NewClinic};
use smp_aftercare::db::push_subscriptions::{self, PushSubscription};
use smp_aftercare::db::{DbConnection, DbPool};
use smp_aftercare::domain::{InvitationStatus, SpfFrequency};

/// The release binary cargo built for this bench.
pub const BINARY: &str = env!("CARGO_BIN_EXE_smp-aftercare");

/// The binary the bench runs: [`BINARY`], or `BENCH_BINARY` (a copy of an earlier
/// build, to measure a change against the build before it on the same seeded data).
pub fn binary() -> String {
    std::env::var("BENCH_BINARY").unwrap_or_else(|_| BINARY.to_string())
}

/// A VAPID subject push services would accept (not a reserved domain).
pub const VAPID_SUBJECT: &str = "mailto:ops@smp-aftercare.dev";

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace(['_', ','], "").parse().ok())
        .unwrap_or(default)
}

/// The backends to run: SQLite always, PostgreSQL when `BENCH_DATABASE_URL` names a
/// server on which the bench may create (and drop) a database of its own.
/// `BENCH_BACKENDS=postgres` (or `sqlite`) runs only one.
pub fn backends() -> Vec<Backend> {
    let only = std::env::var("BENCH_BACKENDS").unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|b| b.trim() == name);
    let mut out = Vec::new();
    if wanted("sqlite") {
        out.push(Backend::Sqlite);
    }
    match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() && wanted("postgres") => out.push(Backend::Postgres(url)),
        _ => println!("(PostgreSQL skipped: set BENCH_DATABASE_URL=postgres://USER@HOST/postgres)"),
    }
    out
}

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The admin URL of a server.
    Postgres(String),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }
}

/// A database that lives as long as this value, with a scratch folder for the rest.
pub struct BenchDatabase {
    pub url: String,
    pub scratch: tempfile::TempDir,
    drop_pg: Option<(String, String)>,
}

impl BenchDatabase {
    pub fn create(backend: &Backend) -> BenchDatabase {
        let scratch = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => BenchDatabase {
                url: format!("sqlite://{}", scratch.path().join("bench.db").display()),
                scratch,
                drop_pg: None,
            },
            Backend::Postgres(admin) => {
                let name = format!("smp_bench_{}", uuid::Uuid::new_v4().simple());
                let mut conn =
                    PgConnection::establish(admin).expect("BENCH_DATABASE_URL reachable");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create the bench database");
                let mut url = url::Url::parse(admin).expect("BENCH_DATABASE_URL is a URL");
                url.set_path(&format!("/{name}"));
                BenchDatabase {
                    url: url.to_string(),
                    scratch,
                    drop_pg: Some((admin.clone(), name)),
                }
            }
        }
    }

    /// The service's settings on this database (defaults otherwise), files in scratch.
    pub fn settings(&self) -> Settings {
        let mut settings =
            Settings::load(Path::new("/nonexistent"), None).expect("default settings");
        settings.database.url = SecretString::from(self.url.clone());
        settings.email.file_dir = self.scratch.path().join("mail");
        settings.push.vapid_key_file = self.scratch.path().join("vapid.pem");
        settings.push.vapid_subject = Some(VAPID_SUBJECT.into());
        settings.push.allowed_insecure_endpoints = vec!["http://127.0.0.1:*".parse().unwrap()];
        settings
    }

    /// The environment that gives the binary the same settings.
    pub fn env(&self) -> Vec<(String, String)> {
        let path = |p: PathBuf| p.to_string_lossy().into_owned();
        vec![
            ("SMP__DATABASE__URL".into(), self.url.clone()),
            (
                "SMP__EMAIL__FILE_DIR".into(),
                path(self.scratch.path().join("mail")),
            ),
            (
                "SMP__PUSH__VAPID_KEY_FILE".into(),
                path(self.scratch.path().join("vapid.pem")),
            ),
            ("SMP__PUSH__VAPID_SUBJECT".into(), VAPID_SUBJECT.into()),
            (
                "SMP__PUSH__ALLOWED_INSECURE_ENDPOINTS".into(),
                "http://127.0.0.1:*".into(),
            ),
            ("SMP_ENV".into(), "bench".into()),
        ]
    }

    pub fn is_postgres(&self) -> bool {
        self.drop_pg.is_some()
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.drop_pg {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

/// The clinic every seeded client belongs to.
pub const CLINIC: &str = "bench-clinic";

/// How seeded clients look.
pub struct Seed {
    /// Created at, and due for planning at.
    pub at: NaiveDateTime,
    pub sessions: Vec<NaiveDate>,
    pub push: bool,
    pub email: bool,
    /// Each client's push endpoint is `{endpoint_base}/{n}` (push only).
    pub endpoint_base: String,
    pub p256dh: String,
    pub auth: String,
}

/// Inserts the clinic (with `key_id`/`key_hash` as its API key) and `n` clients: one
/// template client written by the service's own repository code, then copied by one
/// `INSERT ... SELECT` per table, so the stored formats are the service's and a
/// million clients take seconds.
pub fn seed(pool: &DbPool, n: usize, seed: &Seed, key: (&str, &str)) -> Duration {
    let started = Instant::now();
    let mut conn = pool.get().expect("connection");
    clinics::insert(
        &mut conn,
        &NewClinic {
            id: CLINIC,
            name: "Bench Clinic",
            email: "front@bench-clinic.dev",
            created_at: seed.at,
            timezone: "Europe/London".parse().unwrap(),
            reminder_time: "08:00".into(),
        },
    )
    .expect("clinic");
    api_keys::insert(
        &mut conn,
        &ApiKey {
            id: key.0.into(),
            clinic_id: CLINIC.into(),
            name: "bench".into(),
            key_hash: key.1.into(),
            created_at: seed.at,
            created_by: "bench".into(),
            last_used_at: None,
            revoked_at: None,
        },
    )
    .expect("api key");
    let template = "template";
    clients::insert(
        &mut conn,
        &NewClient {
            id: template.into(),
            clinic_id: CLINIC.into(),
            email: "template@client.dev".into(),
            name: "Client".into(),
            timezone: "Europe/London".parse().unwrap(),
            locale: "en".into(),
            planned_sessions: 3,
            reminder_time: "08:00".into(),
            push_enabled: seed.push,
            email_enabled: seed.email,
            spf_reminders: SpfFrequency::Daily,
            muted: "[]".into(),
            invitation_status: InvitationStatus::Accepted,
            created_at: seed.at,
            updated_at: seed.at,
            next_plan_at: Some(seed.at),
        },
    )
    .expect("template client");
    for (i, date) in seed.sessions.iter().enumerate() {
        clients::insert_session(
            &mut conn,
            &SessionRow {
                id: format!("template-s{i}"),
                client_id: template.into(),
                date: *date,
                marked_final: false,
                notes: None,
                created_at: seed.at,
            },
        )
        .expect("template session");
    }
    if seed.push {
        push_subscriptions::upsert(
            &mut conn,
            PushSubscription {
                id: "template-p".into(),
                client_id: template.into(),
                endpoint: format!("{}/template", seed.endpoint_base),
                p256dh: seed.p256dh.clone(),
                auth: seed.auth.clone(),
                expiration_time: None,
                created_at: seed.at,
                updated_at: seed.at,
                disabled_at: None,
                disabled_reason: None,
            },
        )
        .expect("template subscription");
    }
    let postgres = matches!(&*conn, DbConnection::Postgresql(_));
    // n(i) = 0..n-1, and a zero-padded number per row.
    let (numbers, pad) = if postgres {
        (
            format!("SELECT generate_series(0, {}) AS i", n as i64 - 1),
            "lpad(n.i::text, 7, '0')",
        )
    } else {
        (
            format!(
                "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {}) \
                 SELECT i FROM s",
                n as i64 - 1
            ),
            "printf('%07d', n.i)",
        )
    };
    let client_columns = "clinic_id, name, timezone, locale, planned_sessions, reminder_time, \
        push_enabled, email_enabled, spf_reminders, muted, invitation_status, created_at, \
        updated_at, next_plan_at";
    let mut sql = format!(
        "INSERT INTO clients (id, email, {client_columns}) \
         SELECT 'client-' || {pad}, 'c' || {pad} || '@client.dev', {client_columns} \
         FROM clients, ({numbers}) n WHERE clients.id = '{template}';\n\
         INSERT INTO sessions (id, client_id, date, marked_final, notes, created_at) \
         SELECT sessions.id || '-' || {pad}, 'client-' || {pad}, date, marked_final, notes, \
         created_at FROM sessions, ({numbers}) n WHERE sessions.client_id = '{template}';\n"
    );
    if seed.push {
        sql.push_str(&format!(
            "INSERT INTO push_subscriptions (id, client_id, endpoint, p256dh, auth, \
             expiration_time, created_at, updated_at, disabled_at, disabled_reason) \
             SELECT 'p-' || {pad}, 'client-' || {pad}, '{base}/' || {pad}, p256dh, auth, \
             expiration_time, created_at, updated_at, disabled_at, disabled_reason \
             FROM push_subscriptions, ({numbers}) n WHERE push_subscriptions.client_id = '{template}';\n",
            base = seed.endpoint_base
        ));
    }
    sql.push_str(&format!("DELETE FROM clients WHERE id = '{template}';\n"));
    // PostgreSQL's autovacuum would analyze the new rows soon; SQLite never does by itself.
    if postgres {
        sql.push_str("ANALYZE;");
    }
    conn.batch_execute(&sql).expect("bulk seed");
    started.elapsed()
}

/// A child process of the release binary.
pub fn command(db: &BenchDatabase, args: &[&str]) -> Command {
    let mut command = Command::new(binary());
    command
        .args(args)
        .envs(db.env())
        .current_dir(db.scratch.path());
    command
}

/// How a child ended: wall time and its peak resident set.
#[derive(Debug, Clone, Copy)]
pub struct Finished {
    pub elapsed: Duration,
    pub peak_rss_kib: u64,
    pub success: bool,
}

/// Starts `command` and returns at once; `wait_rss` collects it.
pub fn spawn(mut command: Command, log: &Path) -> (Child, Instant) {
    let stderr = std::fs::File::create(log).expect("log file");
    let child = command
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start the release binary");
    (child, Instant::now())
}

/// Waits for the child and reads its peak RSS from the kernel (`wait4`'s rusage), so
/// what is measured is that process alone.
pub fn wait_rss(child: Child, started: Instant) -> (Finished, String) {
    use std::io::Read;
    let pid = child.id() as libc::pid_t;
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout {
        let _ = out.read_to_string(&mut stdout);
    }
    let mut status = 0;
    // SAFETY: a plain syscall on our own child; `usage` is a valid out-parameter.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 failed");
    let finished = Finished {
        elapsed: started.elapsed(),
        // Linux reports ru_maxrss in KiB.
        peak_rss_kib: usage.ru_maxrss as u64,
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
    };
    (finished, stdout)
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// A push service that accepts everything as fast as it can: `201 Created` for every
/// POST, counting them. Runs on its own thread (one actix worker).
pub struct Sink {
    pub port: u16,
    pub received: Arc<AtomicU64>,
}

impl Sink {
    pub fn start() -> Sink {
        use actix_web::{web, App, HttpResponse, HttpServer};
        let received = Arc::new(AtomicU64::new(0));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the sink");
        let port = listener.local_addr().unwrap().port();
        let counter = received.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let counter = web::Data::new(counter);
                HttpServer::new(move || {
                    App::new()
                        .app_data(counter.clone())
                        .default_service(web::to(
                            |counter: web::Data<Arc<AtomicU64>>, _body: web::Bytes| async move {
                                counter.fetch_add(1, Ordering::Relaxed);
                                HttpResponse::Created().finish()
                            },
                        ))
                })
                .workers(1)
                .listen(listener)
                .expect("sink listens")
                .run()
                .await
                .expect("sink runs")
            })
        });
        Sink { port, received }
    }

    pub fn count(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    pub fn endpoint_base(&self) -> String {
        format!("http://127.0.0.1:{}/push", self.port)
    }
}

/// The peak RSS of a process from /proc (for a child still running), in KiB.
pub fn peak_rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown cpu".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    format!("{cores} cores ({cpu}), load average {load} at start")
}

/// The status of a plain `GET url` (http://127.0.0.1:PORT/...), None if it fails.
pub fn http_status(url: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_at(rest.find('/')?);
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.split_whitespace().nth(1)?.parse().ok()
}

/// "met" or "NOT MET", for the goal column of a bench's table.
pub fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT MET"
    }
}

/// A whole number with thousands separators: 50000.4 -> "50,000".
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if value < -0.5 {
        out.insert(0, '-');
    }
    out
}

/// Waits until `base`/readyz answers 200 (the server has its database).
pub fn wait_ready(base: &str) {
    for _ in 0..200 {
        if http_status(&format!("{base}/readyz")) == Some(200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server did not become ready");
}
