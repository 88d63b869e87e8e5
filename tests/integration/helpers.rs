#![allow(dead_code)] // shared by every test module; not each uses every helper
//! `spawn_app()`: the real server on port 0 with a fresh database per test, on SQLite
//! or on PostgreSQL (a new database per test on the cluster of `TEST_DATABASE_URL`,
//! dropped afterwards).

use std::net::TcpListener;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use secrecy::SecretString;
use smp_aftercare::app::{self, Application};
use smp_aftercare::clock::{Clock, FixedClock};
use smp_aftercare::config::Settings;
use smp_aftercare::db::DbPool;
use smp_aftercare::service::Services;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The admin URL of the PostgreSQL cluster the tests may create databases on.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A database that exists for one test.
pub enum TestDatabase {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub fn create(backend: Backend) -> Option<(TestDatabase, String)> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("data/test.db").display());
                Some((TestDatabase::Sqlite(dir), url))
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url()?;
                let name = format!("smp_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("TEST_DATABASE_URL unreachable: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create test database");
                let url = with_database(&admin_url, &name);
                Some((TestDatabase::Postgres { admin_url, name }, url))
            }
        }
    }

    /// A folder for this test's files (mail, keys).
    pub fn scratch_dir(&self) -> std::path::PathBuf {
        match self {
            TestDatabase::Sqlite(dir) => dir.path().to_path_buf(),
            TestDatabase::Postgres { name, .. } => {
                let dir = std::env::temp_dir().join(name);
                std::fs::create_dir_all(&dir).expect("scratch dir");
                dir
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            if let Ok(mut admin) = PgConnection::establish(admin_url) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin);
            }
            let _ = std::fs::remove_dir_all(std::env::temp_dir().join(name.as_str()));
        }
    }
}

/// `admin_url` with its database name replaced.
pub fn with_database(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

pub struct TestApp {
    pub backend: Backend,
    pub address: String,
    pub client: reqwest::Client,
    pub clock: FixedClock,
    pub pool: DbPool,
    pub settings: Settings,
    pub database_url: String,
    pub db: TestDatabase,
    pub services: smp_aftercare::service::Services,
}

/// Test settings: the built-in defaults with this test's database, files in `scratch`
/// (mail, VAPID key), push endpoints on loopback allowed, and quiet logs.
pub fn test_settings(database_url: &str, scratch: &std::path::Path) -> Settings {
    let mut settings =
        Settings::load(std::path::Path::new("/nonexistent"), None).expect("default settings load");
    settings.database.url = SecretString::from(database_url.to_string());
    settings.database.connect_timeout_secs = 2;
    settings.server.port = 0;
    settings.server.workers = 1;
    settings.server.shutdown_timeout_secs = 1;
    settings.server.public_url = "http://app.test".parse().unwrap();
    settings.email.file_dir = scratch.join("mail");
    settings.email.send_timeout_secs = 5;
    settings.push.vapid_key_file = scratch.join("vapid.pem");
    settings.push.vapid_subject = Some("mailto:ops@smp-aftercare.dev".to_string());
    // The local push peer listens on a port chosen at random.
    settings.push.allowed_insecure_endpoints = vec!["http://127.0.0.1:*".parse().unwrap()];
    settings
}

/// Starts the real server. None when the backend is PostgreSQL and no
/// `TEST_DATABASE_URL` is set.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// `spawn_app` with settings adjusted first (e.g. SMTP pointed at a test peer).
pub async fn spawn_app_with(
    backend: Backend,
    adjust: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    spawn_app_on(backend, listener, adjust).await
}

/// `spawn_app_with`, with the links the service hands out (invitations, notifications)
/// pointing at the test server itself, so a browser can follow them.
pub async fn spawn_app_serving_links(
    backend: Backend,
    adjust: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let own = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    spawn_app_on(backend, listener, move |s| {
        s.server.public_url = own.parse().unwrap();
        adjust(s);
    })
    .await
}

async fn spawn_app_on(
    backend: Backend,
    listener: TcpListener,
    adjust: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let (db, database_url) = TestDatabase::create(backend)?;
    let mut settings = test_settings(&database_url, &db.scratch_dir());
    adjust(&mut settings);
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 7, 0, 0).unwrap());
    let pool = app::prepare_database(&settings).expect("database prepares");
    let port = listener.local_addr().unwrap().port();
    let services = Services::with_pool(settings.clone(), Arc::new(clock.clone()), pool.clone())
        .expect("services build");
    let application = Application::with_listener(services.clone(), listener).expect("app builds");
    tokio::spawn(application.run_until_stopped());
    Some(TestApp {
        backend,
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        clock,
        pool,
        settings,
        database_url,
        db,
        services,
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Runs the real binary against this test's database.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        let vapid = self
            .settings
            .push
            .vapid_key_file
            .to_string_lossy()
            .to_string();
        let mail = self.settings.email.file_dir.to_string_lossy().to_string();
        run_cli(
            args,
            &[
                ("SMP__DATABASE__URL", self.database_url.as_str()),
                ("SMP__PUSH__VAPID_KEY_FILE", vapid.as_str()),
                ("SMP__EMAIL__FILE_DIR", mail.as_str()),
                ("SMP__SERVER__PUBLIC_URL", "http://app.test"),
            ],
        )
    }

    /// .eml files the file transport wrote, oldest first.
    pub fn mail_files(&self) -> Vec<String> {
        let dir = &self.settings.email.file_dir;
        let mut files: Vec<(std::time::SystemTime, std::path::PathBuf)> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .map(|p| (p.metadata().unwrap().modified().unwrap(), p))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// Creates a clinic through the CLI and returns (id, api key).
    pub fn create_clinic(&self, name: &str, email: &str) -> (String, String) {
        let out = self.cli(&[
            "clinic",
            "create",
            "--name",
            name,
            "--email",
            email,
            "--owner-name",
            "Olive Owner",
            // Tests make several clinics for one address (chains, isolation checks).
            "--allow-duplicate",
        ]);
        assert!(
            out.status.success(),
            "clinic create failed: {}",
            stderr(&out)
        );
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let field = |label: &str| {
            stdout
                .lines()
                .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_string()))
                .unwrap_or_else(|| panic!("no {label} in {stdout}"))
        };
        (field("id:"), field("api key:"))
    }

    /// A reminder engine on this app's database, clock and channels (one "replica").
    pub fn engine(&self) -> smp_aftercare::jobs::Engine {
        self.services.engine()
    }

    /// Sends what the services queued (invitation emails) as the running service's
    /// engine would on its next wake-up, at this test's clock.
    pub async fn flush_outbox(&self) -> smp_aftercare::jobs::DispatchReport {
        self.engine()
            .dispatch(self.clock.now())
            .await
            .expect("outbox dispatch")
    }

    pub fn clinic_client(&self, key: &str) -> ApiClient<'_> {
        ApiClient {
            app: self,
            token: key.to_string(),
        }
    }
}

/// Requests with one bearer token.
pub struct ApiClient<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl ApiClient<'_> {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.app
            .client
            .get(self.app.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.app
            .client
            .delete(self.app.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.app
            .client
            .patch(self.app.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.app
            .client
            .put(self.app.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A raw body with a JSON content type (for malformed input).
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &str,
    ) -> reqwest::Response {
        self.app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }
}

pub fn run_cli(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_smp-aftercare"));
    // Run outside the repository so a default path can never write into it.
    command
        .args(args)
        .current_dir(std::env::temp_dir())
        .env("SMP__LOG__LEVEL", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("binary runs")
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Asserts an HTML page with `status` that says `text`, and returns it.
pub async fn assert_page(response: reqwest::Response, status: u16, text: &str) -> String {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(text), "{text:?} not in {html}");
    html
}

/// Asserts a problem+json answer and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status);
    assert!(
        body["type"].as_str().unwrap().starts_with("/problems/"),
        "{body}"
    );
    assert!(!body["title"].as_str().unwrap().is_empty());
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}

/// Declares one test per backend: `name::sqlite` always runs; `name::postgres` runs
/// against PostgreSQL when `TEST_DATABASE_URL` is set (CI sets it) and says so.
#[macro_export]
macro_rules! db_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite)
                    .await
                    .unwrap();
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) =
                    $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await
                else {
                    eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
                    return;
                };
                $body
            }
        }
    };
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Whether `needle` is anywhere in the database: SQLite's files byte by byte (the
/// write-ahead log too, after a checkpoint), every row of every PostgreSQL table as text.
pub fn database_contains(app: &TestApp, needle: &str) -> bool {
    match app.backend {
        Backend::Sqlite => {
            // Checkpointed first: what a delete freed is judged in the database file
            // itself, not in log frames written before the delete.
            let mut conn = app.pool.get().unwrap();
            if let smp_aftercare::db::DbConnection::Sqlite(lite) = &mut *conn {
                diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(lite)
                    .unwrap();
            }
            let file = app.database_url.strip_prefix("sqlite://").unwrap();
            [file.to_string(), format!("{file}-wal")]
                .iter()
                .any(|path| {
                    let bytes = std::fs::read(path).unwrap_or_default();
                    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
                })
        }
        Backend::Postgres => {
            let mut conn = app.pool.get().unwrap();
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema = 'public'",
            )
            .load(&mut conn)
            .unwrap();
            tables.iter().any(|t| {
                let found: Count = diesel::sql_query(format!(
                    "SELECT count(*) AS n FROM \"{}\" t WHERE strpos(t::text, $1) > 0",
                    t.name
                ))
                .bind::<diesel::sql_types::Text, _>(needle)
                .get_result(&mut conn)
                .unwrap();
                found.n > 0
            })
        }
    }
}
