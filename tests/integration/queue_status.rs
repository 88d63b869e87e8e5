//! `smp-aftercare jobs status` after a fault: a push service that answers 500 (the
//! delivery retries, then is dead), one that says the subscription is gone (410), and
//! a morning no worker dispatched. The real binary, on the test's database.

use serde_json::{json, Value};

use crate::db_test;
use crate::engine::{onboard, register_push, utc};
use crate::helpers::*;
use crate::peers::PushPeer;

fn status(app: &TestApp, at: &str, json: bool) -> (String, Option<Value>) {
    let mut args = vec!["jobs", "status", "--at", at];
    if json {
        args.push("--json");
    }
    let out = app.cli(&args);
    assert!(out.status.success(), "jobs status failed: {}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let parsed = json.then(|| serde_json::from_str(&stdout).expect("--json prints JSON"));
    (stdout, parsed)
}

async fn spawn_failing(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |s| {
        s.jobs.max_attempts = 2;
        s.jobs.backoff_base_secs = 1;
        s.jobs.backoff_max_secs = 1;
    })
    .await
}

async fn jobs_status_after_a_fault(backend: Backend) {
    let Some(app) = spawn_failing(backend).await else {
        eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
        return;
    };
    let push = PushPeer::start();
    let (client_id, token) = onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
    let failing = register_push(&app, &token, &push, "500").await;
    let gone = register_push(&app, &token, &push, "410").await;
    let engine = app.engine();
    engine.run_once(utc(2026, 3, 2, 8, 1)).await.unwrap();
    let report = engine.run_once(utc(2026, 3, 2, 8, 5)).await.unwrap();
    assert_eq!(report.dispatched.dead, 1, "{report:?}");

    let (_, parsed) = status(&app, "2026-03-02T08:06:00Z", true);
    let report = parsed.unwrap();
    assert_eq!(report["verdict"], "ok", "{report}");
    assert!(report["push_configured"].is_boolean());
    let settled = |status: &str, channel: &str| {
        report["settled"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["status"] == status && r["channel"] == channel)
            .map(|r| r["count"].as_i64().unwrap())
            .unwrap_or(0)
    };
    // The invitation and the morning email; the 410 push failed, the 500 one is dead.
    assert_eq!(settled("sent", "email"), 2, "{report}");
    assert_eq!(settled("failed", "push"), 1, "{report}");
    assert_eq!(settled("dead", "push"), 1, "{report}");
    let errors = report["errors"].as_array().unwrap();
    let reasons: Vec<&str> = errors
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("gave up after 2 attempts: push failed")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("subscription is gone (410)")),
        "{reasons:?}"
    );
    let disabled = report["disabled_subscriptions"].as_array().unwrap();
    assert_eq!(disabled.len(), 1, "{report}");
    assert_eq!(disabled[0]["id"], gone.as_str());
    assert_eq!(disabled[0]["client_id"], client_id.as_str());
    assert_ne!(disabled[0]["id"], failing.as_str());

    // The same, as an operator reads it.
    let (text, _) = status(&app, "2026-03-02T08:06:00Z", false);
    for expected in [
        "ok: nothing due is waiting",
        "settled since 2026-03-01T08:06:00+00:00:",
        "push subscriptions disabled since 2026-03-01T08:06:00+00:00: 1",
        gone.as_str(),
        "(410)",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    let dead_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("dead") && l.contains("gave up after 2 attempts"))
        .unwrap_or_else(|| panic!("no grouped dead error in\n{text}"));
    assert!(dead_line.contains("push"), "{dead_line}");

    // Next morning the rows are planned but no worker sends them: 20 minutes late.
    engine.plan(utc(2026, 3, 3, 7, 40)).await.unwrap();
    let (text, _) = status(&app, "2026-03-03T08:20:00Z", false);
    assert!(
        text.contains("LATE: the oldest due delivery has waited 20m 0s"),
        "{text}"
    );
    let pending_email = text
        .lines()
        .find(|l| l.trim_start().starts_with("pending") && l.contains("email"))
        .unwrap_or_else(|| panic!("no pending email line in\n{text}"));
    assert!(
        pending_email.contains("oldest due 20m 0s ago"),
        "{pending_email}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_status_summarises_a_fault_sqlite() {
    jobs_status_after_a_fault(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_status_summarises_a_fault_postgres() {
    jobs_status_after_a_fault(Backend::Postgres).await;
}

db_test!(jobs_status_on_an_empty_database_says_nothing_waits, |app| {
    let (text, _) = status(&app, "2026-03-02T08:00:00Z", false);
    assert!(text.contains("ok: nothing due is waiting"), "{text}");
    assert!(text.contains("not yet settled:\n  (none)"), "{text}");
});
