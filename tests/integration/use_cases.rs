//! Defects of the middle layer, each pinned by a test: lost updates between requests
//! that change different columns of one client, stored values that do not parse,
//! and invitation emails that fail (they go through the retrying outbox).

use std::time::Duration;

use diesel::RunQueryDsl;
use serde_json::{json, Value};
use smp_aftercare::clock::Clock;
use smp_aftercare::db::DbConnection;
use smp_aftercare::notify::email::{EmailTransport, SmtpTls};

use crate::clients_api::accept_latest_invitation;
use crate::db_test;
use crate::helpers::*;
use crate::peers::SmtpPeer;

/// A clinic key, a client id and that client's access token.
async fn clinic_and_client(app: &TestApp) -> (String, String, String) {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let created: Value = app
        .clinic_client(&key)
        .post(
            "/v1/clients",
            json!({"email": "ana@client.test", "name": "Ana", "timezone": "UTC", "sessions": ["2026-03-02"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let token = accept_latest_invitation(app).await;
    (key, created["id"].as_str().unwrap().to_string(), token)
}

/// Holds the client's row write-locked on a connection of its own while `request`
/// starts (and reads the row), turns email reminders off in that lock, as a one-click
/// unsubscribe landing in between would, then lets `request` finish.
async fn unsubscribe_lands_during<F>(
    app: &TestApp,
    client_id: &str,
    request: F,
) -> reqwest::Response
where
    F: std::future::Future<Output = reqwest::Response> + Send + 'static,
{
    let mut conn = app.pool.get().unwrap();
    let begin = match &*conn {
        DbConnection::Sqlite(_) => "BEGIN IMMEDIATE".to_string(),
        DbConnection::Postgresql(_) => "BEGIN".to_string(),
    };
    diesel::sql_query(begin).execute(&mut *conn).unwrap();
    if matches!(&*conn, DbConnection::Postgresql(_)) {
        diesel::sql_query(format!(
            "SELECT id FROM clients WHERE id = '{client_id}' FOR UPDATE"
        ))
        .execute(&mut *conn)
        .unwrap();
    }
    let pending = tokio::spawn(request);
    // The request authenticates (reading the row) and then waits for the lock.
    tokio::time::sleep(Duration::from_millis(600)).await;
    diesel::sql_query(format!(
        "UPDATE clients SET email_enabled = false WHERE id = '{client_id}'"
    ))
    .execute(&mut *conn)
    .unwrap();
    diesel::sql_query("COMMIT").execute(&mut *conn).unwrap();
    drop(conn);
    pending.await.unwrap()
}

db_test!(a_preferences_patch_does_not_undo_an_unsubscribe, |app| {
    let (_, id, token) = clinic_and_client(&app).await;
    let patch = app
        .client
        .patch(app.url("/v1/me/preferences"))
        .bearer_auth(&token)
        .json(&json!({"reminder_time": "07:30"}));
    let answer =
        unsubscribe_lands_during(&app, &id, async move { patch.send().await.unwrap() }).await;
    assert_eq!(answer.status(), 200);
    let me: Value = app
        .clinic_client(&token)
        .get("/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["preferences"]["reminder_time"], "07:30", "{me}");
    assert_eq!(
        me["preferences"]["channels"]["email"], false,
        "the unsubscribe was undone: {me}"
    );
});

db_test!(a_clinic_patch_does_not_undo_an_unsubscribe, |app| {
    let (key, id, token) = clinic_and_client(&app).await;
    let patch = app
        .client
        .patch(app.url(&format!("/v1/clients/{id}")))
        .bearer_auth(&key)
        .json(&json!({"name": "Ana Maria"}));
    let answer =
        unsubscribe_lands_during(&app, &id, async move { patch.send().await.unwrap() }).await;
    assert_eq!(answer.status(), 200);
    let me: Value = app
        .clinic_client(&token)
        .get("/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "Ana Maria");
    assert_eq!(
        me["preferences"]["channels"]["email"], false,
        "the unsubscribe was undone: {me}"
    );
});

db_test!(an_unreadable_stored_zone_is_an_error_not_utc, |app| {
    let (key, id, _) = clinic_and_client(&app).await;
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query(format!(
        "UPDATE clients SET timezone = 'Mars/Olympus' WHERE id = '{id}'"
    ))
    .execute(&mut *conn)
    .unwrap();
    drop(conn);
    let clinic = app.clinic_client(&key);
    let answer = clinic.get(&format!("/v1/clients/{id}/today")).await;
    let body = assert_problem(answer, 500).await;
    assert_eq!(body["type"], "/problems/internal-error");
    // Another client of the clinic is still planned and served: one bad row does not
    // stop the engine.
    let other: Value = clinic
        .post(
            "/v1/clients",
            json!({"email": "bo@client.test", "name": "Bo", "timezone": "UTC", "sessions": ["2026-03-02"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let report = app
        .engine()
        .plan(app.clock.now())
        .await
        .expect("planning goes on");
    assert!(report.inserted >= 1, "{report:?}");
    let other_id = other["id"].as_str().unwrap();
    assert_eq!(
        clinic
            .get(&format!("/v1/clients/{other_id}/today"))
            .await
            .status(),
        200
    );
});

/// The invitation email goes through the outbox: the request that creates the client
/// never talks to the mail server, and a failed send is retried, with the reason
/// shown to the clinic meanwhile.
async fn invitations_are_queued_and_retried(backend: Backend) {
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
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let created = clinic
        .post(
            "/v1/clients",
            json!({"email": "tempfail@client.test", "name": "Bo", "timezone": "UTC"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["invitation"]["status"], "pending", "{created}");
    assert!(smtp.messages().is_empty());
    let id = created["id"].as_str().unwrap();

    let first = app.flush_outbox().await;
    assert_eq!((first.claimed, first.retried), (1, 1), "{first:?}");
    let client: Value = clinic
        .get(&format!("/v1/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(client["invitation"]["status"], "pending", "{client}");
    assert!(
        client["invitation"]["error"]
            .as_str()
            .unwrap()
            .contains("451"),
        "{client}"
    );

    // Not again before its backoff is over; then once more.
    assert_eq!(app.flush_outbox().await.claimed, 0);
    app.clock.advance(chrono::Duration::minutes(5));
    let second = app.flush_outbox().await;
    assert_eq!((second.claimed, second.retried), (1, 1), "{second:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_are_queued_and_retried_sqlite() {
    invitations_are_queued_and_retried(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_are_queued_and_retried_postgres() {
    invitations_are_queued_and_retried(Backend::Postgres).await;
}

// Sixteen clinics' tools creating clients at once: every write waits for the lock and
// succeeds (SQLite: writing transactions take the write lock at BEGIN IMMEDIATE
// instead of failing at once with "database is locked" when they upgrade).
db_test!(sixteen_concurrent_writers_all_succeed, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let mut writers = Vec::new();
    for writer in 0..16 {
        let (client, url, key) = (app.client.clone(), app.url("/v1/clients"), key.clone());
        writers.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for i in 0..8 {
                let body = json!({
                    "email": format!("w{writer}-{i}@client.test"),
                    "name": "Ana",
                    "timezone": "UTC",
                    "sessions": ["2026-03-02"],
                });
                let answer = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                statuses.push(answer.status().as_u16());
            }
            statuses
        }));
    }
    let mut statuses = Vec::new();
    for writer in writers {
        statuses.extend(writer.await.unwrap());
    }
    let failed: Vec<&u16> = statuses.iter().filter(|s| **s != 201).collect();
    assert!(
        failed.is_empty(),
        "{} of {} writes failed: {failed:?}",
        failed.len(),
        statuses.len()
    );
});
