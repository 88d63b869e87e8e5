//! One-click unsubscribe links: the token in the email is never stored, only its hash,
//! and every link a client received keeps working.

use diesel::RunQueryDsl;
use serde_json::{json, Value};
use smp_aftercare::db::{self, DbConnection};

use crate::db_test;
use crate::engine::{onboard, utc};
use crate::helpers::*;

/// The path of the List-Unsubscribe link in the newest email.
fn latest_unsubscribe_path(app: &TestApp) -> String {
    let mail = app.mail_files();
    let reminder = mail.last().expect("a reminder email");
    let start = reminder.find("List-Unsubscribe: <").unwrap() + "List-Unsubscribe: <".len();
    let url = &reminder[start..start + reminder[start..].find('>').unwrap()];
    url.strip_prefix("http://app.test").unwrap().to_string()
}

async fn post(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap()
}

async fn email_enabled(app: &TestApp, token: &str) -> bool {
    let me: Value = app
        .clinic_client(token)
        .get("/v1/me")
        .await
        .json()
        .await
        .unwrap();
    me["preferences"]["channels"]["email"].as_bool().unwrap()
}

db_test!(unsubscribe_tokens_are_stored_only_as_hashes, |app| {
    let (_, token) = onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
    let engine = app.engine();
    engine.run_once(utc(2026, 3, 2, 8, 0)).await.unwrap();
    let first = latest_unsubscribe_path(&app);
    engine.run_once(utc(2026, 3, 3, 8, 0)).await.unwrap();
    let second = latest_unsubscribe_path(&app);
    for path in [&first, &second] {
        let raw = path.strip_prefix("/unsubscribe/").unwrap();
        assert!(raw.len() >= 40, "{raw}");
        assert!(!database_contains(&app, raw), "{raw} is stored");
    }

    // A token with the right id and a wrong secret is refused.
    let mut forged = second.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert_page(
        post(&app, &forged).await,
        404,
        "This unsubscribe link does not work",
    )
    .await;
    assert!(email_enabled(&app, &token).await);

    // The link of an earlier email works as well as the newest one.
    assert_eq!(post(&app, &first).await.status(), 200);
    assert!(!email_enabled(&app, &token).await);
    assert_eq!(post(&app, &second).await.status(), 200);
});

db_test!(links_sent_before_tokens_were_hashed_keep_working, |app| {
    let (client_id, token) = onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
    // Back to the schema that stored the token itself, and a link sent then.
    let mut conn = app.pool.get().unwrap();
    revert_through_hashed_unsubscribe_tokens(&mut conn);
    let legacy = "k3bN0Hn1Zl6Qm-Hx0u5S7y8pWc_2rT9aVdEfGhIjKlM";
    diesel::sql_query("UPDATE clients SET unsubscribe_token = $1 WHERE id = $2")
        .bind::<diesel::sql_types::Text, _>(legacy)
        .bind::<diesel::sql_types::Text, _>(&client_id)
        .execute(&mut conn)
        .unwrap();
    db::run_migrations(&mut conn).unwrap();
    drop(conn);

    assert_page(
        post(
            &app,
            "/unsubscribe/k3bN0Hn1Zl6Qm-Hx0u5S7y8pWc_2rT9aVdEfGhIjKlm",
        )
        .await,
        404,
        "This unsubscribe link does not work",
    )
    .await;
    assert!(email_enabled(&app, &token).await);
    assert_eq!(
        post(&app, &format!("/unsubscribe/{legacy}")).await.status(),
        200
    );
    assert!(!email_enabled(&app, &token).await);
});

/// Reverts migrations, newest first, until the one that hashed unsubscribe tokens
/// (2026-11-22-000004) is undone.
fn revert_through_hashed_unsubscribe_tokens(conn: &mut DbConnection) {
    use diesel_migrations::MigrationHarness;
    loop {
        let reverted = match conn {
            DbConnection::Sqlite(c) => c.revert_last_migration(db::SQLITE_MIGRATIONS),
            DbConnection::Postgresql(c) => c.revert_last_migration(db::POSTGRES_MIGRATIONS),
        }
        .unwrap()
        .to_string();
        if reverted == "20261122000004" {
            return;
        }
    }
}

db_test!(links_are_pruned_with_the_deliveries_of_their_age, |app| {
    let (client_id, token) = onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
    let issue = |app: &TestApp| {
        let mut conn = app.pool.get().unwrap();
        smp_aftercare::db::unsubscribe_tokens::issue(
            &mut conn,
            &client_id,
            app.clock_now().naive_utc(),
        )
        .unwrap()
    };
    let old = issue(&app);
    let retention = i64::from(app.settings.jobs.retention_days);
    app.clock.advance(chrono::Duration::days(retention + 1));
    let recent = issue(&app);
    let pruned = app.engine().prune(app.clock_now()).await.unwrap();
    assert!(pruned >= 1, "{pruned}");
    assert_page(
        post(&app, &format!("/unsubscribe/{old}")).await,
        404,
        "This unsubscribe link does not work",
    )
    .await;
    assert!(email_enabled(&app, &token).await);
    assert_eq!(
        post(&app, &format!("/unsubscribe/{recent}")).await.status(),
        200
    );
    assert!(!email_enabled(&app, &token).await);
});
