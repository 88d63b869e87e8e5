//! Replicas racing on one database: planners, dispatchers, and a dispatcher that dies
//! holding a lease. PostgreSQL is the scale-out store, so these run there (and on
//! SQLite too, where writers are serialized).

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use serde_json::json;
use smp_aftercare::db::deliveries::{self, Delivery};
use smp_aftercare::domain::{Channel, DeliveryStatus};

use crate::engine::{history, onboard, utc};
use crate::helpers::*;

/// 8 planners (8 engines, as 8 replicas would have) race on one client and day.
async fn racing_planners(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (_, token) = onboard(
        &app,
        "ana@client.test",
        "Europe/London",
        json!(["2026-03-02"]),
    )
    .await;
    let engines: Vec<Arc<_>> = (0..8).map(|_| Arc::new(app.engine())).collect();
    let now = utc(2026, 3, 2, 7, 45);
    let barrier = Arc::new(tokio::sync::Barrier::new(engines.len()));
    let tasks: Vec<_> = engines
        .iter()
        .cloned()
        .map(|engine| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                engine.plan(now).await.unwrap()
            })
        })
        .collect();
    let mut planned_clients = 0;
    let mut inserted = 0;
    for task in tasks {
        let report = task.await.unwrap();
        planned_clients += report.clients;
        inserted += report.inserted;
    }
    assert_eq!(planned_clients, 1, "exactly one planner planned the client");
    assert_eq!(inserted, 1);
    let items = history(&app, &token).await;
    assert_eq!(items.len(), 1, "one delivery per key: {items:?}");

    // And all of them dispatching at 08:00 send it once.
    let at = utc(2026, 3, 2, 8, 0);
    let tasks: Vec<_> = engines
        .iter()
        .cloned()
        .map(|engine| tokio::spawn(async move { engine.run_once(at).await.unwrap() }))
        .collect();
    let mut sent = 0;
    for task in tasks {
        sent += task.await.unwrap().dispatched.sent;
    }
    assert_eq!(sent, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_racing_planners_make_one_delivery_postgres() {
    racing_planners(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_racing_planners_make_one_delivery_sqlite() {
    racing_planners(Backend::Sqlite).await;
}

/// One engine planning with 3 transactions at once (`jobs.planners`, PostgreSQL) in
/// batches of 2, then dispatching batches of 2: 9 clients are planned once each, and
/// each gets its one message.
async fn batches_at_once(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |settings| {
        settings.jobs.batch_size = 2;
        settings.jobs.planners = 3;
    })
    .await
    else {
        return;
    };
    let mut tokens = Vec::new();
    for n in 0..9 {
        let email = format!("client{n}@client.test");
        let (_, token) = onboard(&app, &email, "Europe/London", json!(["2026-03-02"])).await;
        tokens.push(token);
    }
    let engine = app.engine();
    let report = engine.plan(utc(2026, 3, 2, 7, 45)).await.unwrap();
    assert_eq!((report.clients, report.inserted), (9, 9), "{report:?}");
    let sent = engine.dispatch(utc(2026, 3, 2, 8, 0)).await.unwrap();
    assert_eq!((sent.claimed, sent.sent), (9, 9), "{sent:?}");
    for token in &tokens {
        let items = history(&app, token).await;
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["status"], "sent", "{items:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planners_at_once_plan_each_client_once_postgres() {
    batches_at_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planners_at_once_plan_each_client_once_sqlite() {
    batches_at_once(Backend::Sqlite).await;
}

/// 1,000 due email deliveries (one client, 1,000 distinct days, written straight to
/// the table), as the planner would have left them.
fn seed_due_deliveries(app: &TestApp, client_id: &str, count: u32) {
    let mut conn = app.pool.get().unwrap();
    let at = utc(2026, 3, 2, 8, 0).naive_utc();
    for i in 0..count {
        let row = Delivery {
            id: uuid::Uuid::now_v7().to_string(),
            client_id: client_id.to_string(),
            local_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
                + chrono::Days::new(u64::from(i)),
            channel: Channel::Email,
            target: deliveries::EMAIL_TARGET.into(),
            kind: smp_aftercare::domain::DeliveryKind::Reminder(
                smp_aftercare::domain::ReminderKind::DailyAftercare,
            ),
            idempotency_key: format!("{client_id}:{i}:daily_aftercare:email"),
            title: format!("Reminder {i}"),
            body: "Today's aftercare:\n- Do not wash your scalp.".into(),
            payload: "{}".into(),
            send_at: at,
            stale_at: at + Duration::days(1),
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: at,
            lease_until: None,
            leased_by: None,
            last_error: None,
            sent_at: None,
            created_at: at,
            updated_at: at,
            correction: false,
        };
        assert!(deliveries::insert_if_absent(&mut conn, &row).unwrap());
    }
}

async fn three_dispatchers(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (client_id, _) = onboard(&app, "ana@client.test", "UTC", json!([])).await;
    seed_due_deliveries(&app, &client_id, 1000);
    let mail_before = app.mail_files().len();
    let at = utc(2026, 3, 2, 8, 0) + Duration::seconds(1);
    let engines: Vec<Arc<_>> = (0..3).map(|_| Arc::new(app.engine())).collect();
    let tasks: Vec<_> = engines
        .iter()
        .cloned()
        .map(|engine| tokio::spawn(async move { engine.dispatch(at).await.unwrap() }))
        .collect();
    let mut sent = 0;
    let mut claimed = 0;
    for task in tasks {
        let report = task.await.unwrap();
        sent += report.sent;
        claimed += report.claimed;
        assert_eq!(report.lost_lease, 0);
    }
    assert_eq!(claimed, 1000, "every row claimed exactly once");
    assert_eq!(sent, 1000);
    let mail = app.mail_files();
    assert_eq!(
        mail.len() - mail_before,
        1000,
        "exactly 1,000 emails written"
    );
    let mut titles: Vec<String> = mail
        .iter()
        .filter_map(|m| {
            m.lines()
                .find(|l| l.starts_with("Subject: Reminder"))
                .map(str::to_string)
        })
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 1000, "no message twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_dispatchers_over_1000_deliveries_send_1000_postgres() {
    three_dispatchers(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_dispatchers_over_1000_deliveries_send_1000_sqlite() {
    three_dispatchers(Backend::Sqlite).await;
}

/// A dispatcher claims a delivery and dies before sending: nobody sends it while the
/// lease holds; after the lease expires another dispatcher sends it, once.
async fn killed_dispatcher(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (client_id, token) = onboard(&app, "ana@client.test", "UTC", json!([])).await;
    seed_due_deliveries(&app, &client_id, 1);
    let at = utc(2026, 3, 2, 8, 0);
    {
        // The doomed worker: claims with a 120 s lease, then vanishes.
        let mut conn = app.pool.get().unwrap();
        let lease_until = (at + Duration::seconds(120)).naive_utc();
        let claimed =
            deliveries::claim_due(&mut conn, at.naive_utc(), "doomed-worker", lease_until, 10)
                .unwrap();
        assert_eq!(claimed.len(), 1);
    }
    let survivor = app.engine();
    let during = survivor.dispatch(at + Duration::seconds(60)).await.unwrap();
    assert_eq!(during.claimed, 0, "the lease still holds");
    let after = survivor
        .dispatch(at + Duration::seconds(121))
        .await
        .unwrap();
    assert_eq!(after.sent, 1, "{after:?}");
    let again = survivor
        .dispatch(at + Duration::seconds(400))
        .await
        .unwrap();
    assert_eq!(again.claimed, 0);
    let items = history(&app, &token).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "sent");
    assert_eq!(items[0]["attempts"], 2, "the crashed attempt counts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_dispatcher_is_sent_once_after_the_lease_postgres() {
    killed_dispatcher(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_dispatcher_is_sent_once_after_the_lease_sqlite() {
    killed_dispatcher(Backend::Sqlite).await;
}

/// A morning's first claim, planned from statistics that saw no pending rows: the last
/// ANALYZE saw only sent rows, and an emptied table keeps those statistics. The claim
/// takes its limit and no more. On PostgreSQL it once took every due row in one
/// statement (the planner ran the pick again for each outer row): a lease sized for a
/// batch over the whole morning, and minutes of CPU at 50,000 rows.
async fn claim_after_stale_statistics(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (client_id, _) = onboard(&app, "ana@client.test", "UTC", json!([])).await;
    let mut conn = app.pool.get().unwrap();
    let exec = |conn: &mut smp_aftercare::db::DbConnection, sql: &str| {
        diesel::connection::SimpleConnection::batch_execute(conn, sql).unwrap();
    };
    if backend == Backend::Postgres {
        // Autovacuum's ANALYZE would repair the statistics at a time of its choosing.
        exec(
            &mut conn,
            "ALTER TABLE deliveries SET (autovacuum_enabled = false)",
        );
    }
    seed_due_deliveries(&app, &client_id, 1000);
    exec(&mut conn, "UPDATE deliveries SET status = 'sent'");
    exec(&mut conn, "ANALYZE deliveries");
    exec(&mut conn, "DELETE FROM deliveries");
    exec(&mut conn, "VACUUM");
    exec(&mut conn, "ANALYZE deliveries");
    seed_due_deliveries(&app, &client_id, 1000);

    let at = utc(2026, 3, 2, 8, 0) + Duration::seconds(1);
    let lease_until = (at + Duration::seconds(120)).naive_utc();
    let claimed =
        deliveries::claim_due(&mut conn, at.naive_utc(), "worker", lease_until, 10).unwrap();
    assert_eq!(claimed.len(), 10, "a claim takes its limit");
    let again =
        deliveries::claim_due(&mut conn, at.naive_utc(), "worker", lease_until, 10).unwrap();
    assert_eq!(again.len(), 10);
    assert!(
        again
            .iter()
            .all(|row| claimed.iter().all(|first| first.id != row.id)),
        "a row is claimed once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_after_stale_statistics_takes_its_limit_postgres() {
    claim_after_stale_statistics(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_after_stale_statistics_takes_its_limit_sqlite() {
    claim_after_stale_statistics(Backend::Sqlite).await;
}
