//! Health probes, request ids, problem bodies for unknown routes and wrong methods,
//! and recovery from a database outage.

use crate::db_test;
use crate::helpers::*;

db_test!(healthz_and_readyz_answer, |app| {
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    let request_id = health.headers().get("x-request-id").expect("request id");
    assert!(!request_id.to_str().unwrap().is_empty());

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    let expected = match app.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
    };
    assert_eq!(body["database"], expected);
    assert_eq!(body["push"], "configured");
});

// Without a VAPID subject the service is still ready, and says push is off.
db_test!(readyz_says_when_push_is_not_configured, |app| {
    let mut settings = app.settings.clone();
    settings.push.vapid_subject = None;
    let clock = std::sync::Arc::new(app.clock.clone());
    let services =
        smp_aftercare::service::Services::with_pool(settings, clock, app.pool.clone()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = smp_aftercare::app::Application::with_listener(services, listener).unwrap();
    tokio::spawn(server.run_until_stopped());
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert!(
        body["push"].as_str().unwrap().starts_with("not configured"),
        "{body}"
    );
});

db_test!(every_response_gets_its_own_request_id, |app| {
    let a = app.get("/healthz").await;
    let b = app.get("/nope").await;
    let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(id(&a), id(&b));
});

db_test!(unknown_routes_and_wrong_methods_get_problem_bodies, |app| {
    let body = assert_problem(app.get("/v1/nothing-here").await, 404).await;
    assert_eq!(body["type"], "/problems/not-found");
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("/v1/nothing-here"));

    let wrong_method = app.client.delete(app.url("/healthz")).send().await.unwrap();
    let body = assert_problem(wrong_method, 405).await;
    assert_eq!(body["type"], "/problems/method-not-allowed");
});

/// PostgreSQL stops accepting connections and every pooled connection is cut.
fn cut_off_postgres(app: &TestApp) {
    let TestDatabase::Postgres { admin_url, name } = &app.db else {
        unreachable!()
    };
    use diesel::{Connection, RunQueryDsl};
    let mut admin = diesel::PgConnection::establish(admin_url).unwrap();
    diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .execute(&mut admin)
        .unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .execute(&mut admin)
    .unwrap();
}

fn reconnect_postgres(app: &TestApp) {
    let TestDatabase::Postgres { admin_url, name } = &app.db else {
        unreachable!()
    };
    use diesel::{Connection, RunQueryDsl};
    let mut admin = diesel::PgConnection::establish(admin_url).unwrap();
    diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .unwrap();
}

/// During an outage /readyz says 503 with a problem body, then recovers by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_reports_a_postgres_outage_and_recovers() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
        return;
    };
    cut_off_postgres(&app);
    let body = assert_problem(app.get("/readyz").await, 503).await;
    assert_eq!(body["type"], "/problems/service-unavailable");
    // The address of the database is for the log, not for whoever asks.
    let port = url::Url::parse(&app.database_url)
        .unwrap()
        .port()
        .unwrap()
        .to_string();
    let detail = body["detail"].as_str().unwrap();
    assert!(
        !detail.contains(&port) && !detail.contains("127.0.0.1"),
        "{body}"
    );

    reconnect_postgres(&app);
    let mut recovered = false;
    for _ in 0..20 {
        if app.get("/readyz").await.status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        recovered,
        "readyz did not recover after the database came back"
    );
}

/// /readyz has its own bound (READY_TIMEOUT, 1 s), not the pool's connect timeout
/// (30 s here): a health checker with a 2 s timeout sees our 503, not its timeout.
/// The bound is structural; the test checks the 503 says which bound it hit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_gives_up_on_a_down_postgres_after_its_own_timeout() {
    let Some(app) =
        spawn_app_with(Backend::Postgres, |s| s.database.connect_timeout_secs = 30).await
    else {
        eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
        return;
    };
    assert_eq!(smp_aftercare::service::health::READY_TIMEOUT.as_secs(), 1);
    cut_off_postgres(&app);
    let body = assert_problem(app.get("/readyz").await, 503).await;
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("did not answer within 1 s"), "{body}");
    reconnect_postgres(&app);
}

/// /openapi.json is a valid OpenAPI 3.1 document (checked by an independent
/// validator, Python's openapi-spec-validator) and /docs serves a page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_validates_and_docs_are_served() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let spec: serde_json::Value = response.json().await.unwrap();
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        spec["openapi"]
    );
    for path in [
        "/v1/clients",
        "/v1/me/today",
        "/v1/invitations/{token}/accept",
        "/v1/me/push-subscriptions",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} is documented");
    }
    let file = app.db.scratch_dir().join("openapi.json");
    std::fs::write(&file, spec.to_string()).unwrap();
    let check = std::process::Command::new("python3")
        .args([
            "-c",
            "import json,sys; from openapi_spec_validator import validate; \
             from openapi_spec_validator.validation import OpenAPIV31SpecValidator; \
             validate(json.load(open(sys.argv[1])), cls=OpenAPIV31SpecValidator); print('valid')",
        ])
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(
        check.status.success(),
        "openapi-spec-validator: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    let docs = app.get("/docs").await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("openapi"));
}
