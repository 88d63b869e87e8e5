//! Which origin each link goes to (`links.app_url` for the client app, `server.public_url`
//! for this service), and the push payload the service worker reads: the day's
//! milestones and the url of that day's page, received by the local push service
//! (VAPID verified, decrypted with http_ece).

use serde_json::{json, Value};

use crate::clients_api::accept_latest_invitation;
use crate::db_test;
use crate::engine::{pushes, register_push, utc};
use crate::helpers::*;
use crate::peers::{decode_quoted_printable, PushPeer};

const APP_URL: &str = "https://app.northside-smp.test";

/// A clinic whose protocol allows gentle washing from day 7, so day 7 of a non-final
/// session has two milestones (gentle washing allowed, next-session window open), and a
/// client whose session 1 of 3 was on 2026-02-23: 2026-03-02 (the test clock's date)
/// is day 7. Returns the client's access token and the invitation email.
async fn client_on_day_7(app: &TestApp) -> (String, String) {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let put = clinic
        .put(
            "/v1/clinic/protocol",
            json!({"rules": {"gentle_washing_ok": {"from": 7}}}),
        )
        .await;
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    let created = clinic
        .post(
            "/v1/clients",
            json!({"email": "ana@client.test", "name": "Ana", "timezone": "Europe/London",
                   "sessions": ["2026-02-23"]}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let token = accept_latest_invitation(app).await;
    let invitation = app
        .mail_files()
        .into_iter()
        .find(|m| m.contains("/invite/"))
        .expect("the invitation email");
    (token, invitation)
}

/// Sends the morning's reminders (08:00 London) and returns the one push received.
async fn morning_push(app: &TestApp, token: &str, push: &PushPeer) -> Value {
    register_push(app, token, push, "201").await;
    let engine = app.engine();
    engine.run_once(utc(2026, 3, 2, 7, 0)).await.unwrap();
    let report = engine
        .run_once(utc(2026, 3, 2, 8, 0) + chrono::Duration::seconds(5))
        .await
        .unwrap();
    assert_eq!(report.dispatched.sent, 2, "push and email: {report:?}");
    let mut received = pushes(push).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let message = received.pop().unwrap();
    assert_eq!(message["status"], 201, "{message}");
    assert_eq!(message["error"], Value::Null, "{message}");
    message
}

async fn spawn_with_app_url(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |settings| {
        settings.links.app_url = Some(APP_URL.parse().unwrap());
    })
    .await
}

async fn links_go_to_the_app_and_the_service(backend: Backend) {
    let Some(app) = spawn_with_app_url(backend).await else {
        eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
        return;
    };
    let push = PushPeer::start();
    let (token, invitation) = client_on_day_7(&app).await;
    let invitation = decode_quoted_printable(&invitation);
    assert!(
        invitation.contains(&format!("{APP_URL}/invite/smpi_")),
        "{invitation}"
    );

    let message = morning_push(&app, &token, &push).await;
    let payload = &message["payload_json"];
    // Both milestones of the day, while the message stays the daily one.
    assert_eq!(payload["kind"], "daily_aftercare", "{payload}");
    assert_eq!(
        payload["milestones"],
        json!(["gentle_washing_allowed", "next_session_window_open"])
    );
    assert_eq!(payload["date"], "2026-03-02");
    assert_eq!(payload["day"], 7);
    assert_eq!(payload["url"], format!("{APP_URL}/days/2026-03-02"));
    let body = payload["body"].as_str().unwrap();
    let me = app.clinic_client(&token);
    let today: Value = me.get("/v1/me/today").await.json().await.unwrap();
    for milestone in today["milestones"].as_array().unwrap() {
        assert!(
            body.contains(milestone["text"].as_str().unwrap()),
            "{milestone} in {body}"
        );
    }
    assert!(message["body_len"].as_u64().unwrap() < 3072);

    // The reminder email: its day link on the app, its unsubscribe link on this service.
    let email = decode_quoted_printable(app.mail_files().last().unwrap());
    assert!(
        email.contains(&format!("{APP_URL}/days/2026-03-02")),
        "{email}"
    );
    assert!(
        email.contains("List-Unsubscribe: <http://app.test/unsubscribe/smpu_"),
        "{email}"
    );

    // The calendar feed stays on this service, its events open the app's day pages.
    let issued: Value = me
        .post("/v1/me/calendar", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let url = issued["url"].as_str().unwrap();
    assert!(url.starts_with("http://app.test/calendar/smpf_"), "{url}");
    let feed = app
        .get(url.strip_prefix("http://app.test").unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(
        feed.contains(&format!("URL:{APP_URL}/days/2026-02-23")),
        "{feed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_go_to_the_app_and_the_service_sqlite() {
    links_go_to_the_app_and_the_service(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_go_to_the_app_and_the_service_postgres() {
    links_go_to_the_app_and_the_service(Backend::Postgres).await;
}

// Without `links.app_url`, the app is the one this service serves at `public_url`.
db_test!(without_app_url_links_go_to_public_url, |app| {
    let push = PushPeer::start();
    let (token, invitation) = client_on_day_7(&app).await;
    assert!(
        decode_quoted_printable(&invitation).contains("http://app.test/invite/smpi_"),
        "{invitation}"
    );
    let message = morning_push(&app, &token, &push).await;
    assert_eq!(
        message["payload_json"]["url"],
        "http://app.test/days/2026-03-02"
    );
});
