//! The reminder engine end to end: the real planner and dispatcher on a fixed clock,
//! the local push service (verifies VAPID, decrypts with http_ece), email through the
//! file transport or the scripted SMTP server.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use smp_aftercare::db::deliveries;
use smp_aftercare::domain::DeliveryStatus;
use smp_aftercare::notify::email::{EmailTransport, SmtpTls};

use crate::clients_api::accept_latest_invitation;
use crate::db_test;
use crate::helpers::*;
use crate::peers::{PushPeer, SmtpPeer};

pub fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// A client of a new clinic, invited and accepted; returns (client id, access token).
pub async fn onboard(
    app: &TestApp,
    email: &str,
    timezone: &str,
    sessions: Value,
) -> (String, String) {
    let (client_id, token, _) = onboard_with_key(app, email, timezone, sessions).await;
    (client_id, token)
}

/// `onboard`, also returning the clinic's API key.
pub async fn onboard_with_key(
    app: &TestApp,
    email: &str,
    timezone: &str,
    sessions: Value,
) -> (String, String, String) {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let created = clinic
        .post(
            "/v1/clients",
            json!({"email": email, "name": "Ana", "timezone": timezone, "sessions": sessions}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let token = accept_latest_invitation(app).await;
    (created["id"].as_str().unwrap().to_string(), token, key)
}

pub async fn register_push(app: &TestApp, token: &str, push: &PushPeer, behaviour: &str) -> String {
    let subscription = push.subscribe(behaviour).await;
    let response = app
        .clinic_client(token)
        .post("/v1/me/push-subscriptions", subscription)
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

pub async fn pushes(push: &PushPeer) -> Vec<Value> {
    reqwest::get(push.url("/messages"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn history(app: &TestApp, token: &str) -> Vec<Value> {
    let page: Value = app
        .clinic_client(token)
        .get("/v1/me/deliveries?limit=1000")
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

fn statuses(items: &[Value]) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = items
        .iter()
        .map(|d| {
            (
                d["local_date"].as_str().unwrap().to_string(),
                d["channel"].as_str().unwrap().to_string(),
                d["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

db_test!(the_morning_reminder_goes_out_once_on_both_channels, |app| {
    let push = PushPeer::start();
    // Session today in London (the test clock starts at 2026-03-02 07:00 UTC = 07:00 GMT).
    let (_, token) = onboard(
        &app,
        "ana@client.test",
        "Europe/London",
        json!(["2026-03-02"]),
    )
    .await;
    register_push(&app, &token, &push, "201").await;
    let mail_before = app.mail_files().len();
    let engine = app.engine();

    // 07:00: planned, not yet due.
    let report = engine.run_once(utc(2026, 3, 2, 7, 0)).await.unwrap();
    assert_eq!(report.planned.inserted, 2, "{report:?}");
    assert_eq!(report.dispatched.sent, 0);

    // 08:00:05 local: sent, once, on both channels.
    let report = engine
        .run_once(utc(2026, 3, 2, 8, 0) + chrono::Duration::seconds(5))
        .await
        .unwrap();
    assert_eq!(report.dispatched.sent, 2, "{report:?}");
    for _ in 0..3 {
        let again = engine.run_once(utc(2026, 3, 2, 9, 0)).await.unwrap();
        assert_eq!(again.dispatched.sent, 0);
        assert_eq!(again.planned.inserted, 0);
    }
    let received = pushes(&push).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let message = &received[0];
    assert_eq!(message["status"], 201, "{message}");
    assert_eq!(message["error"], Value::Null);
    assert_eq!(message["auth_scheme"], "vapid");
    assert_eq!(message["jwt_claims"]["sub"], "mailto:ops@smp-aftercare.dev");
    let payload = &message["payload_json"];
    assert_eq!(payload["kind"], "daily_aftercare");
    assert_eq!(payload["date"], "2026-03-02");
    assert_eq!(payload["day"], 0);
    assert_eq!(payload["stage"], "session_day");
    assert!(payload["rules"]
        .as_array()
        .unwrap()
        .contains(&json!("no_washing")));
    assert!(payload["title"].is_string() && payload["body"].is_string());
    // A session day has no milestones; the notification opens that day's page.
    assert_eq!(payload["milestones"], json!([]));
    assert_eq!(payload["url"], "http://app.test/days/2026-03-02");
    assert!(
        message["body_len"].as_u64().unwrap() < 3072,
        "payload well under 3 KB"
    );
    // TTL: seconds until the end of the local day (16 h from 08:00:05).
    let ttl = message["ttl"].as_u64().unwrap();
    assert!((57_000..=57_600).contains(&ttl), "ttl {ttl}");
    assert_eq!(message["topic"], "daily-aftercare");

    let mail = app.mail_files();
    assert_eq!(mail.len(), mail_before + 1);
    let reminder = mail.last().unwrap();
    assert!(
        reminder.contains("List-Unsubscribe: <http://app.test/unsubscribe/"),
        "{reminder}"
    );
    assert!(reminder.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));

    let items = history(&app, &token).await;
    assert_eq!(
        statuses(&items),
        [
            ("2026-03-02".into(), "email".into(), "sent".into()),
            ("2026-03-02".into(), "push".into(), "sent".into()),
        ]
    );
});

db_test!(
    downtime_across_the_morning_sends_late_that_day_and_expires_past_days,
    |app| {
        let (_, token) = onboard(
            &app,
            "ana@client.test",
            "Europe/London",
            json!(["2026-03-02"]),
        )
        .await;
        let engine = app.engine();
        engine.run_once(utc(2026, 3, 2, 8, 1)).await.unwrap();
        // Down from 2026-03-02 09:00 until 2026-03-03 15:00: the 3 March message (due
        // 08:00) still goes out that day, once.
        let report = engine.run_once(utc(2026, 3, 3, 15, 0)).await.unwrap();
        assert_eq!(report.dispatched.sent, 1, "{report:?}");
        // Down again until 2026-03-06 10:00: 4 and 5 March are over, recorded expired;
        // 6 March goes out.
        let report = engine.run_once(utc(2026, 3, 6, 10, 0)).await.unwrap();
        assert_eq!(report.dispatched.sent, 1, "{report:?}");
        let items = history(&app, &token).await;
        let email: Vec<(String, String)> = statuses(&items)
            .into_iter()
            .map(|(d, _, s)| (d, s))
            .collect();
        assert_eq!(
            email,
            [
                ("2026-03-02".to_string(), "sent".to_string()),
                ("2026-03-03".to_string(), "sent".to_string()),
                ("2026-03-04".to_string(), "expired".to_string()),
                ("2026-03-05".to_string(), "expired".to_string()),
                ("2026-03-06".to_string(), "sent".to_string()),
            ]
        );
    }
);

db_test!(
    a_planned_reminder_not_sent_by_the_end_of_its_day_expires,
    |app| {
        let (_, token) = onboard(
            &app,
            "ana@client.test",
            "America/New_York",
            json!(["2026-03-02"]),
        )
        .await;
        let engine = app.engine();
        // Planned at 07:30 EST (12:30 UTC), then the service stops before 08:00 EST and
        // only comes back after local midnight.
        engine.plan(utc(2026, 3, 2, 12, 30)).await.unwrap();
        let report = engine.dispatch(utc(2026, 3, 3, 5, 30)).await.unwrap();
        assert_eq!(report.sent, 0);
        assert_eq!(report.expired, 1, "{report:?}");
        let items = history(&app, &token).await;
        assert_eq!(items[0]["status"], "expired");
    }
);

db_test!(dst_change_days_send_once_at_the_local_time, |app| {
    // New York springs forward on 2026-03-08: 08:00 EDT is 12:00 UTC (13:00 UTC the day before).
    let (_, token) = onboard(
        &app,
        "ana@client.test",
        "America/New_York",
        json!(["2026-03-05"]),
    )
    .await;
    let engine = app.engine();
    for (day, hour) in [(7, 13), (8, 12), (9, 12)] {
        let before = engine
            .run_once(utc(2026, 3, day, hour - 1, 59))
            .await
            .unwrap();
        assert_eq!(
            before.dispatched.sent, 0,
            "nothing before 08:00 local on 3/{day}"
        );
        let at = engine.run_once(utc(2026, 3, day, hour, 0)).await.unwrap();
        assert_eq!(
            at.dispatched.sent, 1,
            "sent at 08:00 local on 3/{day}: {at:?}"
        );
    }
    let items = history(&app, &token).await;
    let march_8 = items
        .iter()
        .find(|d| d["local_date"] == "2026-03-08")
        .unwrap();
    assert_eq!(march_8["send_at"], "2026-03-08T12:00:00Z");
    assert_eq!(
        items
            .iter()
            .filter(|d| d["local_date"] == "2026-03-08")
            .count(),
        1
    );
});

db_test!(push_outcomes_are_mapped, |app| {
    let push = PushPeer::start();
    let (_, token) = onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
    // Email off: this test is about push.
    app.clinic_client(&token)
        .patch("/v1/me/preferences", json!({"channels": {"email": false}}))
        .await;
    let gone = register_push(&app, &token, &push, "410").await;
    let busy = register_push(&app, &token, &push, "429").await;
    let broken = register_push(&app, &token, &push, "500").await;
    let too_big = register_push(&app, &token, &push, "413").await;
    let engine = app.engine();
    let report = engine.run_once(utc(2026, 3, 2, 8, 0)).await.unwrap();
    assert_eq!(report.dispatched.claimed, 4, "{report:?}");
    assert_eq!(report.dispatched.failed, 2, "410 and 413: {report:?}");
    assert_eq!(report.dispatched.retried, 2, "429 and 500: {report:?}");

    let mut conn = app.pool.get().unwrap();
    let rows = deliveries::for_client_from(
        &mut conn,
        &crate::engine::client_id_of(&app, &token).await,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
    )
    .unwrap();
    let by_target = |t: &str| rows.iter().find(|r| r.target == t).unwrap().clone();
    assert_eq!(by_target(&gone).status, DeliveryStatus::Failed);
    assert_eq!(by_target(&too_big).status, DeliveryStatus::Failed);
    let busy_row = by_target(&busy);
    assert_eq!(busy_row.status, DeliveryStatus::Retry);
    assert_eq!(busy_row.attempts, 0, "a 429 does not spend an attempt");
    assert_eq!(
        (busy_row.next_attempt_at.and_utc() - utc(2026, 3, 2, 8, 0)).num_seconds(),
        1,
        "Retry-After honoured"
    );
    let broken_row = by_target(&broken);
    assert_eq!(broken_row.status, DeliveryStatus::Retry);
    assert_eq!(broken_row.attempts, 1);
    let wait = (broken_row.next_attempt_at.and_utc() - utc(2026, 3, 2, 8, 0)).num_seconds();
    assert!((22..=38).contains(&wait), "backoff 30 s +-25%: {wait}");

    // The gone subscription is disabled and not used again.
    let subs: Value = app
        .clinic_client(&token)
        .get("/v1/me/push-subscriptions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(subs["items"].as_array().unwrap().len(), 4);
    let next_day = engine.run_once(utc(2026, 3, 3, 8, 0)).await.unwrap();
    assert_eq!(
        next_day.planned.inserted, 3,
        "no row for the disabled subscription: {next_day:?}"
    );
});

pub async fn client_id_of(app: &TestApp, token: &str) -> String {
    let me: Value = app
        .clinic_client(token)
        .get("/v1/me")
        .await
        .json()
        .await
        .unwrap();
    me["id"].as_str().unwrap().to_string()
}

/// SMTP 451 retries, 550 fails for good, a dropped connection retries.
async fn smtp_outcomes(backend: Backend) {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpPeer::start(maildir.path());
    let port = smtp.peer.port;
    let Some(app) = spawn_app_with(backend, move |s| {
        s.email.transport = EmailTransport::Smtp;
        s.email.smtp.host = "127.0.0.1".into();
        s.email.smtp.port = port;
        s.email.smtp.tls = SmtpTls::None;
    })
    .await
    else {
        return;
    };
    let engine = app.engine();
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let mut ids = Vec::new();
    for email in [
        "tempfail@client.test",
        "permfail@client.test",
        "drop@client.test",
        "ok@client.test",
    ] {
        let created: Value = clinic
            .post(
                "/v1/clients",
                json!({"email": email, "name": "C", "timezone": "UTC", "sessions": ["2026-03-02"]}),
            )
            .await
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    // The invitations go out first (one sent, one refused, two to retry).
    let invitations = app.flush_outbox().await;
    assert_eq!(
        (invitations.sent, invitations.failed, invitations.retried),
        (1, 1, 2)
    );
    let report = engine.run_once(utc(2026, 3, 2, 8, 0)).await.unwrap();
    assert_eq!(report.dispatched.sent, 1, "{report:?}");
    assert_eq!(report.dispatched.failed, 1, "{report:?}");
    // Two reminders, and the two invitations whose 07:00 try failed, retried again.
    assert_eq!(report.dispatched.retried, 4, "{report:?}");
    let mut statuses = Vec::new();
    for id in &ids {
        let page: Value = clinic
            .get(&format!("/v1/clients/{id}/deliveries"))
            .await
            .json()
            .await
            .unwrap();
        statuses.push(page["items"][0]["status"].as_str().unwrap().to_string());
    }
    assert_eq!(statuses, ["retry", "failed", "retry", "sent"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_outcomes_sqlite() {
    smtp_outcomes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_outcomes_postgres() {
    smtp_outcomes(Backend::Postgres).await;
}

db_test!(
    one_click_unsubscribe_stops_email_only_and_is_idempotent,
    |app| {
        let push = PushPeer::start();
        let (_, token) = onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
        register_push(&app, &token, &push, "201").await;
        let engine = app.engine();
        engine.run_once(utc(2026, 3, 2, 8, 0)).await.unwrap();
        let mail = app.mail_files();
        let reminder = mail.last().unwrap();
        let start = reminder.find("List-Unsubscribe: <").unwrap() + "List-Unsubscribe: <".len();
        let url = &reminder[start..start + reminder[start..].find('>').unwrap()];
        let path = url.strip_prefix("http://app.test").unwrap().to_string();
        // The next day's rows exist before the unsubscribe; the email one is cancelled.
        engine.plan(utc(2026, 3, 3, 7, 45)).await.unwrap();
        for _ in 0..2 {
            let response = app
                .client
                .post(app.url(&path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("List-Unsubscribe=One-Click")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
        let page = app.client.get(app.url(&path)).send().await.unwrap();
        assert!(page.text().await.unwrap().contains("<form method=\"post\""));
        let me: Value = app
            .clinic_client(&token)
            .get("/v1/me")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            me["preferences"]["channels"],
            json!({"push": true, "email": false})
        );
        let report = engine.run_once(utc(2026, 3, 3, 8, 0)).await.unwrap();
        assert_eq!(report.dispatched.sent, 1, "push only: {report:?}");
        // An unknown link gets a page that says what to do, whoever asks.
        assert_page(
            app.client
                .post(app.url("/unsubscribe/not-a-token"))
                .send()
                .await
                .unwrap(),
            404,
            "This unsubscribe link does not work",
        )
        .await;
        let unknown = app.get("/unsubscribe/not-a-token").await;
        let html = assert_page(unknown, 404, "This unsubscribe link does not work").await;
        assert!(
            !html.contains("<form"),
            "no button for a link that does not work"
        );
    }
);

db_test!(editing_sessions_cancels_what_no_longer_applies, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    // A session booked for 2026-03-05: reminders start that day.
    let created: Value = clinic
        .post("/v1/clients", json!({"email": "ana@client.test", "name": "Ana", "timezone": "UTC", "sessions": ["2026-03-05"]}))
        .await
        .json()
        .await
        .unwrap();
    app.flush_outbox().await;
    let id = created["id"].as_str().unwrap();
    let session_id = created["sessions"][0]["id"].as_str().unwrap();
    let engine = app.engine();
    app.clock.set(utc(2026, 3, 5, 7, 40));
    engine.plan(utc(2026, 3, 5, 7, 40)).await.unwrap();
    let page: Value = clinic
        .get(&format!("/v1/clients/{id}/deliveries"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["status"], "pending");
    // The session is cancelled: the pending reminder is cancelled by the next plan.
    assert_eq!(
        clinic
            .delete(&format!("/v1/clients/{id}/sessions/{session_id}"))
            .await
            .status(),
        204
    );
    let report = engine.run_once(utc(2026, 3, 5, 8, 0)).await.unwrap();
    assert_eq!(report.planned.cancelled, 1, "{report:?}");
    assert_eq!(report.dispatched.sent, 0);
    let page: Value = clinic
        .get(&format!("/v1/clients/{id}/deliveries"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["status"], "cancelled");
});

/// A 3-session client stepped through 30 days on a fixed clock gets exactly the
/// reminders the preview command lists for the same plan.
async fn thirty_days_match_the_preview(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let sessions = ["2026-03-02", "2026-03-12", "2026-03-24"];
    let (_, token) = onboard(&app, "ana@client.test", "Europe/London", json!(sessions)).await;
    let engine = app.engine();
    for day in 0..30 {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap() + chrono::Days::new(day);
        // 08:00:30 local, every day (across the 29 March DST change).
        let local = chrono_tz::Europe::London
            .from_local_datetime(&date.and_hms_opt(8, 0, 30).unwrap())
            .single()
            .unwrap();
        app.clock.set(local.with_timezone(&Utc));
        engine.run_once(local.with_timezone(&Utc)).await.unwrap();
    }
    let mut sent: Vec<(String, String, String, String)> = history(&app, &token)
        .await
        .iter()
        .filter(|d| d["status"] == "sent")
        .map(|d| {
            (
                d["local_date"].as_str().unwrap().to_string(),
                d["kind"].as_str().unwrap().to_string(),
                d["channel"].as_str().unwrap().to_string(),
                d["send_at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    sent.sort();

    let out = run_cli(
        &[
            "preview",
            "--sessions",
            &sessions.join(","),
            "--planned",
            "3",
            "--from",
            "2026-03-02",
            "--days",
            "30",
            "--tz",
            "Europe/London",
            "--json",
        ],
        &[],
    );
    assert!(out.status.success());
    let days: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut expected: Vec<(String, String, String, String)> = days
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["reminders"].as_array().unwrap().clone())
        // The client has no push subscription: email only.
        .filter(|r| r["channel"] == "email")
        .map(|r| {
            let send_at: DateTime<Utc> = r["send_at"].as_str().unwrap().parse().unwrap();
            (
                r["local_date"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
                r["channel"].as_str().unwrap().to_string(),
                send_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(sent.len(), 30);
    assert_eq!(sent, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_days_match_the_preview_sqlite() {
    thirty_days_match_the_preview(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_days_match_the_preview_postgres() {
    thirty_days_match_the_preview(Backend::Postgres).await;
}

db_test!(
    jobs_run_once_drives_the_engine_from_the_command_line,
    |app| {
        let (_, token) = onboard(
            &app,
            "ana@client.test",
            "Europe/London",
            json!(["2026-03-02"]),
        )
        .await;
        let before = app.cli(&["jobs", "run-once", "--at", "2026-03-02T07:00:00Z"]);
        assert!(before.status.success(), "{}", stderr(&before));
        let out = String::from_utf8_lossy(&before.stdout).to_string();
        assert!(
            out.contains("planned: 1 clients, 1 new deliveries"),
            "{out}\nstderr: {}",
            stderr(&before)
        );
        assert!(out.contains("0 sent"), "{out}");
        let at = app.cli(&["jobs", "run-once", "--at", "2026-03-02T08:00:10+00:00"]);
        let out = String::from_utf8_lossy(&at.stdout).to_string();
        assert!(out.contains("1 sent"), "{out}");
        let items = history(&app, &token).await;
        assert_eq!(items[0]["status"], "sent");
        let bad = app.cli(&["jobs", "run-once", "--at", "yesterday"]);
        assert_eq!(bad.status.code(), Some(2));
    }
);

/// A push service failing with 500 every time: retried with backoff, then `dead`
/// after `jobs.max_attempts`.
async fn retries_then_dead(backend: Backend) {
    let push = PushPeer::start();
    let Some(app) = spawn_app_with(backend, |s| s.jobs.max_attempts = 3).await else {
        return;
    };
    let (_, token) = onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
    app.clinic_client(&token)
        .patch("/v1/me/preferences", json!({"channels": {"email": false}}))
        .await;
    register_push(&app, &token, &push, "500").await;
    let engine = app.engine();
    let mut at = utc(2026, 3, 2, 8, 0);
    let mut attempts_seen = Vec::new();
    for _ in 0..4 {
        engine.run_once(at).await.unwrap();
        let items = history(&app, &token).await;
        attempts_seen.push((
            items[0]["status"].as_str().unwrap().to_string(),
            items[0]["attempts"].as_i64().unwrap(),
        ));
        // Past any backoff (30 s, 60 s, ... with jitter).
        at += chrono::Duration::minutes(10);
    }
    assert_eq!(
        attempts_seen,
        [
            ("retry".to_string(), 1),
            ("retry".to_string(), 2),
            ("dead".to_string(), 3),
            ("dead".to_string(), 3)
        ]
    );
    assert_eq!(
        pushes(&push).await.len(),
        3,
        "three real attempts reached the push service"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_then_dead_sqlite() {
    retries_then_dead(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_then_dead_postgres() {
    retries_then_dead(Backend::Postgres).await;
}

db_test!(changing_preferences_replans_pending_reminders, |app| {
    let (_, token) = onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
    let me = app.clinic_client(&token);
    let engine = app.engine();
    engine.plan(utc(2026, 3, 2, 7, 40)).await.unwrap();
    assert_eq!(history(&app, &token).await[0]["status"], "pending");

    // A later reminder time moves the pending reminder; nothing goes at 08:00.
    me.patch("/v1/me/preferences", json!({"reminder_time": "09:15"}))
        .await;
    let report = engine.run_once(utc(2026, 3, 2, 8, 0)).await.unwrap();
    assert_eq!(report.planned.updated, 1, "{report:?}");
    assert_eq!(report.dispatched.sent, 0);
    assert_eq!(
        history(&app, &token).await[0]["send_at"],
        "2026-03-02T09:15:00Z"
    );

    // Muting the daily message cancels it (day 0 has no milestone to send instead).
    me.patch("/v1/me/preferences", json!({"muted": ["daily_aftercare"]}))
        .await;
    let report = engine.run_once(utc(2026, 3, 2, 9, 20)).await.unwrap();
    assert_eq!(report.planned.cancelled, 1, "{report:?}");
    assert_eq!(report.dispatched.sent, 0);
    assert_eq!(history(&app, &token).await[0]["status"], "cancelled");
});
