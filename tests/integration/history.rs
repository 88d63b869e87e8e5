//! Delivery history: cursor pages newest first, filters, and the target of each row,
//! on 1,000 rows (500 days, an email and a push row each, so dates tie).

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};
use smp_aftercare::db::deliveries::{self, Delivery};
use smp_aftercare::domain::{Channel, DeliveryStatus};

use crate::db_test;
use crate::engine::{onboard, onboard_with_key, utc};
use crate::helpers::*;

const DAYS: u32 = 500;
const SUBSCRIPTION: &str = "0190aaaa-0000-7000-8000-000000000001";

fn day(i: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(u64::from(i))
}

/// Status of the row of day `i` on `channel`: a mix, so filters have work to do.
fn status_of(i: u32, channel: Channel) -> DeliveryStatus {
    match (i % 10, channel) {
        (0, Channel::Push) => DeliveryStatus::Dead,
        (5, Channel::Email) => DeliveryStatus::Failed,
        _ => DeliveryStatus::Sent,
    }
}

/// 1,000 settled rows written straight to the table, as the engine leaves them.
fn seed(app: &TestApp, client_id: &str) {
    let mut conn = app.pool.get().unwrap();
    let at = utc(2026, 3, 2, 8, 0).naive_utc();
    for i in 0..DAYS {
        for (channel, target) in [
            (Channel::Email, deliveries::EMAIL_TARGET),
            (Channel::Push, SUBSCRIPTION),
        ] {
            let status = status_of(i, channel);
            let row = Delivery {
                id: uuid::Uuid::now_v7().to_string(),
                client_id: client_id.to_string(),
                local_date: day(i),
                channel,
                target: target.to_string(),
                kind: smp_aftercare::domain::DeliveryKind::Reminder(
                    smp_aftercare::domain::ReminderKind::DailyAftercare,
                ),
                idempotency_key: format!("{client_id}:{i}:daily_aftercare:{target}"),
                title: format!("Reminder {i}"),
                body: "Today's aftercare".into(),
                payload: "{}".into(),
                send_at: at,
                stale_at: at + Duration::days(1),
                status,
                attempts: 1,
                next_attempt_at: at,
                lease_until: None,
                leased_by: None,
                last_error: (status != DeliveryStatus::Sent)
                    .then(|| "push failed (Some(503))".into()),
                sent_at: (status == DeliveryStatus::Sent).then_some(at),
                created_at: at,
                updated_at: at,
                correction: false,
            };
            assert!(deliveries::insert_if_absent(&mut conn, &row).unwrap());
        }
    }
}

/// Every page of `path` (with `query`), following `next_cursor`.
async fn all_pages(api: &ApiClient<'_>, path: &str, query: &str) -> (Vec<Value>, usize) {
    let (mut items, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let mut url = format!("{path}?{query}");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let response = api.get(&url).await;
        assert_eq!(response.status(), 200, "{url}");
        let page: Value = response.json().await.unwrap();
        pages += 1;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return (items, pages),
        }
        assert!(pages < 1000, "paging does not end");
    }
}

fn key(item: &Value) -> (String, String) {
    (
        item["local_date"].as_str().unwrap().to_string(),
        item["id"].as_str().unwrap().to_string(),
    )
}

db_test!(
    history_pages_through_1000_rows_without_gaps_or_repeats,
    |app| {
        let (client_id, token, clinic_key) =
            onboard_with_key(&app, "ana@client.test", "UTC", json!([])).await;
        seed(&app, &client_id);
        let me = app.clinic_client(&token);

        // The old call still answers: the newest 100, now with a cursor.
        let first: Value = me.get("/v1/me/deliveries").await.json().await.unwrap();
        assert_eq!(first["items"].as_array().unwrap().len(), 100);
        assert!(first["next_cursor"].is_string());
        let newest = &first["items"][0];
        assert_eq!(newest["local_date"], day(DAYS - 1).to_string());

        let (items, pages) = all_pages(&me, "/v1/me/deliveries", "limit=37").await;
        assert_eq!(items.len(), 1000);
        assert_eq!(pages, 1000_usize.div_ceil(37));
        let keys: Vec<(String, String)> = items.iter().map(key).collect();
        let unique: HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), 1000, "no row repeats");
        assert!(
            keys.windows(2).all(|w| w[0] > w[1]),
            "newest first, strictly: local date then id"
        );
        // Each row names its target.
        for item in &items {
            match item["channel"].as_str().unwrap() {
                "push" => {
                    assert_eq!(item["target"], SUBSCRIPTION);
                    assert_eq!(item["subscription_id"], SUBSCRIPTION);
                }
                _ => {
                    assert_eq!(item["target"], "email");
                    assert!(item["subscription_id"].is_null());
                }
            }
            assert_eq!(item["correction"], false);
        }

        // The clinic pages the same rows.
        let clinic = app.clinic_client(&clinic_key);
        let path = format!("/v1/clients/{client_id}/deliveries");
        let (of_client, _) = all_pages(&clinic, &path, "limit=250").await;
        assert_eq!(of_client.iter().map(key).collect::<Vec<_>>(), keys);

        // Filters, alone and together, still paged.
        let (dead, _) = all_pages(&me, "/v1/me/deliveries", "status=dead&limit=7").await;
        assert_eq!(dead.len(), 50);
        assert!(dead
            .iter()
            .all(|d| d["status"] == "dead" && d["channel"] == "push"));
        let (bad, _) = all_pages(&me, "/v1/me/deliveries", "status=failed,dead&limit=9").await;
        assert_eq!(bad.len(), 100);
        let (push, _) = all_pages(&me, "/v1/me/deliveries", "channel=push&limit=100").await;
        assert_eq!(push.len(), 500);
        let (from, to) = (day(10), day(19));
        let range = format!("from={from}&to={to}&channel=email&limit=3");
        let (window, _) = all_pages(&me, "/v1/me/deliveries", &range).await;
        assert_eq!(window.len(), 10);
        assert!(window.iter().all(|d| {
            let date = d["local_date"].as_str().unwrap();
            date >= from.to_string().as_str() && date <= to.to_string().as_str()
        }));
    }
);

db_test!(history_refuses_bad_filters_naming_the_field, |app| {
    let (_, token) = onboard(&app, "ana@client.test", "UTC", json!([])).await;
    let me = app.clinic_client(&token);
    for (query, field) in [
        ("cursor=bm9waXBl", "cursor"),
        ("status=lost", "status"),
        ("status=sent,", "status"),
        ("channel=pigeon", "channel"),
        ("from=2026-02-30", "from"),
        ("to=yesterday", "to"),
        ("from=2026-03-02&to=2026-03-01", "from"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
    ] {
        let body = assert_problem(me.get(&format!("/v1/me/deliveries?{query}")).await, 422).await;
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    assert_problem(me.get("/v1/me/deliveries?sort=asc").await, 400).await;
});
