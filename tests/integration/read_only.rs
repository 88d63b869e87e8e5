//! A database that answers but refuses writes (a read-only SQLite file in a writable
//! folder, a read-only PostgreSQL database) is not ready: the start fails with one
//! clear line, and /readyz says 503, instead of every write answering 500.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};
use smp_aftercare::app::{self, Application};
use smp_aftercare::clock::SystemClock;
use smp_aftercare::service::Services;

use crate::helpers::*;

/// The SQLite file made read-only; writable again when dropped. Root ignores file
/// modes, so as root the file is also made immutable (`chattr +i`).
struct ReadOnlyFile(PathBuf);

impl ReadOnlyFile {
    /// None when this machine cannot make the file read-only for us.
    fn make(path: &Path) -> Option<ReadOnlyFile> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let guard = ReadOnlyFile(path.to_path_buf());
        let writable = || std::fs::OpenOptions::new().write(true).open(path).is_ok();
        if writable() {
            let _ = Command::new("chattr").arg("+i").arg(path).status();
        }
        (!writable()).then_some(guard)
    }
}

impl Drop for ReadOnlyFile {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o644));
    }
}

/// The database as a first start leaves it: migrated, the deployment's key stored.
fn started_once(settings: &smp_aftercare::config::Settings) {
    use smp_aftercare::clock::Clock;
    let pool = app::prepare_database(settings).expect("database prepares");
    app::load_vapid_keys(settings, &pool, SystemClock.now()).expect("the key is stored");
}

/// A migrated SQLite database in `dir`, its URL and file.
fn sqlite_database(dir: &Path) -> (String, PathBuf) {
    let file = dir.join("data/smp.db");
    let url = format!("sqlite://{}", file.display());
    let settings = test_settings(&url, dir);
    started_once(&settings);
    (url, file)
}

/// `serve` on `url`; the process must end by itself (it is killed after 60 s).
fn serve(url: &str, scratch: &Path) -> std::process::Output {
    let vapid = scratch.join("vapid.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_smp-aftercare"))
        .arg("serve")
        .current_dir(std::env::temp_dir())
        .env("SMP__LOG__LEVEL", "warn")
        .env("SMP__DATABASE__URL", url)
        .env("SMP__SERVER__PORT", "0")
        .env("SMP__PUSH__VAPID_KEY_FILE", vapid)
        .env("SMP__EMAIL__FILE_DIR", scratch.join("mail"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve started on a database that refuses writes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn assert_refused_at_start(out: &std::process::Output) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(err.contains("does not accept writes"), "{err}");
}

#[test]
fn a_read_only_sqlite_file_fails_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (url, file) = sqlite_database(dir.path());
    let Some(_read_only) = ReadOnlyFile::make(&file) else {
        eprintln!("skipped: cannot make a file read-only here");
        return;
    };
    assert_refused_at_start(&serve(&url, dir.path()));
}

/// The database turns read-only for new sessions; existing ones are cut so the pool
/// reconnects into read-only sessions.
fn make_postgres_read_only(admin_url: &str, name: &str) {
    let mut admin = diesel::PgConnection::establish(admin_url).unwrap();
    diesel::sql_query(format!(
        "ALTER DATABASE {name} SET default_transaction_read_only = on"
    ))
    .execute(&mut admin)
    .unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .execute(&mut admin)
    .unwrap();
}

#[test]
fn a_read_only_postgres_database_fails_at_start() {
    let Some((db, url)) = TestDatabase::create(Backend::Postgres) else {
        eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
        return;
    };
    let scratch = db.scratch_dir();
    started_once(&test_settings(&url, &scratch));
    let TestDatabase::Postgres { admin_url, name } = &db else {
        unreachable!()
    };
    make_postgres_read_only(admin_url, name);
    assert_refused_at_start(&serve(&url, &scratch));
}

/// /readyz of a service whose database stopped accepting writes after the start.
async fn readyz_of(url: &str, scratch: &Path) -> serde_json::Value {
    let settings = test_settings(url, scratch);
    // The pool as it was before the database refused writes (connect checks that).
    let backend = settings.database.backend().unwrap();
    let manager = smp_aftercare::db::DbManager::new(backend, 1000);
    let pool = diesel::r2d2::Pool::builder().build_unchecked(manager);
    let services = Services::with_pool(settings, Arc::new(SystemClock), pool).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let application = Application::with_listener(services, listener).unwrap();
    tokio::spawn(application.run_until_stopped());
    let response = reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
        .await
        .unwrap();
    assert_problem(response, 503).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_says_503_when_sqlite_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (url, file) = sqlite_database(dir.path());
    let Some(_read_only) = ReadOnlyFile::make(&file) else {
        eprintln!("skipped: cannot make a file read-only here");
        return;
    };
    let body = readyz_of(&url, dir.path()).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("does not accept writes"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_says_503_when_postgres_refuses_writes() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
        return;
    };
    assert_eq!(app.get("/readyz").await.status(), 200);
    let TestDatabase::Postgres { admin_url, name } = &app.db else {
        unreachable!()
    };
    make_postgres_read_only(admin_url, name);
    let body = assert_problem(app.get("/readyz").await, 503).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("does not accept writes"),
        "{body}"
    );
}
