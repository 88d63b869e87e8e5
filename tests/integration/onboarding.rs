//! The whole onboarding flow through HTTP, against a real SMTP server: create a
//! client, read the invitation that arrived, follow its link, accept, see today, and
//! register a push subscription.

use crate::helpers::*;
use crate::peers::{decode_quoted_printable, invitation_token, PushPeer, SmtpPeer};
use smp_aftercare::notify::email::{EmailTransport, SmtpTls};

async fn app_with_smtp(backend: Backend, smtp: &SmtpPeer) -> Option<TestApp> {
    let port = smtp.peer.port;
    spawn_app_with(backend, move |s| {
        s.email.transport = EmailTransport::Smtp;
        s.email.smtp.host = "127.0.0.1".into();
        s.email.smtp.port = port;
        s.email.smtp.tls = SmtpTls::None;
        s.email.send_timeout_secs = 5;
    })
    .await
}

async fn onboarding_flow(backend: Backend) {
    let mail = tempfile::tempdir().unwrap();
    let smtp = SmtpPeer::start(mail.path());
    let Some(app) = app_with_smtp(backend, &smtp).await else {
        eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
        return;
    };
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);

    // The clinic onboards a client whose first session is today (2026-03-02).
    let response = clinic
        .post(
            "/v1/clients",
            serde_json::json!({
                "email": "Ana.Client@Example.NET",
                "name": "Ana Client",
                "timezone": "Europe/London",
                "sessions": ["2026-03-02"],
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let client: serde_json::Value = response.json().await.unwrap();
    assert_eq!(client["email"], "ana.client@example.net");
    // The invitation is queued with the client and sent by the engine.
    assert_eq!(client["invitation"]["status"], "pending", "{client}");
    assert_eq!(app.flush_outbox().await.sent, 1);
    let id = client["id"].as_str().unwrap();
    let client: serde_json::Value = clinic
        .get(&format!("/v1/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(client["invitation"]["status"], "sent", "{client}");
    assert_eq!(client["sessions"][0]["number"], 1);

    // The invitation arrived at the real SMTP server.
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let raw = &messages[0];
    assert!(raw.contains("Northside SMP"), "clinic name as sender name");
    assert!(raw.contains("Reply-To: front@northside.test"), "{raw}");
    assert!(raw.contains("multipart/alternative"));
    assert!(raw.contains("text/plain") && raw.contains("text/html"));
    assert!(
        decode_quoted_printable(raw).contains("http://app.test/invite/smpi_"),
        "link from public_url"
    );
    let token = invitation_token(raw);

    // The client follows the link: the app exchanges the token for an access token.
    let accepted = app
        .client
        .post(app.url(&format!("/v1/invitations/{token}/accept")))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let accepted: serde_json::Value = accepted.json().await.unwrap();
    let access = accepted["access_token"].as_str().unwrap().to_string();
    assert!(access.starts_with("smpc_"));
    assert!(accepted["client"].get("invitation").is_some());

    // Accepting twice is a clear 409.
    let again = app
        .client
        .post(app.url(&format!("/v1/invitations/{token}/accept")))
        .send()
        .await
        .unwrap();
    assert_problem(again, 409).await;

    let me = app.clinic_client(&access);
    let today: serde_json::Value = me.get("/v1/me/today").await.json().await.unwrap();
    assert_eq!(today["date"], "2026-03-02");
    assert_eq!(today["session_number"], 1);
    assert_eq!(today["day"], 0);
    assert_eq!(today["stage"], "session_day");
    assert!(today["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "no_washing"));
    let profile: serde_json::Value = me.get("/v1/me").await.json().await.unwrap();
    assert_eq!(profile["name"], "Ana Client");
    assert!(
        profile.get("invitation").is_none(),
        "clients don't see invitation internals"
    );

    // Push registration with a subscription from the local push service.
    let push = PushPeer::start();
    let subscription = push.subscribe("201").await;
    let created = me
        .post("/v1/me/push-subscriptions", subscription.clone())
        .await;
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    let again = me
        .post("/v1/me/push-subscriptions", subscription.clone())
        .await;
    assert_eq!(
        again.status(),
        200,
        "same endpoint updates, never duplicates"
    );
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["id"], created["id"]);
    let list: serde_json::Value = me
        .get("/v1/me/push-subscriptions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let key: serde_json::Value = app
        .get("/v1/push/vapid-public-key")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        key["public_key"].as_str().unwrap().len(),
        87,
        "65 bytes, base64url"
    );

    let removed = me
        .delete(&format!(
            "/v1/me/push-subscriptions/{}",
            created["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(removed.status(), 204);
    let list: serde_json::Value = me
        .get("/v1/me/push-subscriptions")
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_flow_sqlite() {
    onboarding_flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_flow_postgres() {
    onboarding_flow(Backend::Postgres).await;
}

async fn failed_invitation_keeps_the_client(backend: Backend) {
    let mail = tempfile::tempdir().unwrap();
    let smtp = SmtpPeer::start(mail.path());
    let Some(app) = app_with_smtp(backend, &smtp).await else {
        return;
    };
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let response = clinic
        .post(
            "/v1/clients",
            serde_json::json!({"email": "permfail@client.test", "name": "Bo", "timezone": "UTC"}),
        )
        .await;
    assert_eq!(
        response.status(),
        201,
        "the client is created even if the email fails"
    );
    let client: serde_json::Value = response.json().await.unwrap();
    assert_eq!(client["invitation"]["status"], "pending");
    assert_eq!(app.flush_outbox().await.failed, 1);
    let id = client["id"].as_str().unwrap();
    let client: serde_json::Value = clinic
        .get(&format!("/v1/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(client["invitation"]["status"], "failed");
    assert!(
        client["invitation"]["error"]
            .as_str()
            .unwrap()
            .contains("550"),
        "{client}"
    );
    let id = client["id"].as_str().unwrap();

    // The clinic fixes the address and resends: a new link goes out.
    let fixed = clinic
        .patch(
            &format!("/v1/clients/{id}"),
            serde_json::json!({"email": "bo@client.test"}),
        )
        .await;
    assert_eq!(fixed.status(), 200);
    let resent = clinic
        .post(
            &format!("/v1/clients/{id}/invitation"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(resent.status(), 200);
    let resent: serde_json::Value = resent.json().await.unwrap();
    assert_eq!(resent["invitation"]["status"], "pending");
    assert_eq!(app.flush_outbox().await.sent, 1);
    let resent: serde_json::Value = clinic
        .get(&format!("/v1/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resent["invitation"]["status"], "sent");
    assert_eq!(smtp.messages().len(), 1);

    // A temporary failure is reported too, and the first link stops working on resend.
    let token = invitation_token(&smtp.messages()[0]);
    clinic
        .post(
            &format!("/v1/clients/{id}/invitation"),
            serde_json::json!({}),
        )
        .await;
    let old = app
        .client
        .post(app.url(&format!("/v1/invitations/{token}/accept")))
        .send()
        .await
        .unwrap();
    assert_problem(old, 404).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_invitation_keeps_the_client_sqlite() {
    failed_invitation_keeps_the_client(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_invitation_keeps_the_client_postgres() {
    failed_invitation_keeps_the_client(Backend::Postgres).await;
}
