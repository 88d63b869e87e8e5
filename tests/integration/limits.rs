//! Limits on what one request may ask for, and on what an error echoes back.

use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::*;

/// `count` consecutive dates from 2026-03-02 (the tests' today).
fn dates(count: usize) -> Value {
    let first = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    (0..count)
        .map(|i| (first + Duration::days(i as i64)).to_string())
        .collect()
}

/// The problem's `errors` names exactly `field`.
async fn assert_names(response: reqwest::Response, field: &str) -> Value {
    let body = assert_problem(response, 422).await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, [field], "{body}");
    body
}

db_test!(a_client_has_at_most_twenty_sessions, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let client = |email: &str, sessions: Value| {
        let mut body = json!({"name": "Ana", "timezone": "UTC", "sessions": sessions});
        body["email"] = json!(email);
        body
    };
    for count in [21, 1400] {
        let refused = clinic
            .post("/v1/clients", client("many@client.test", dates(count)))
            .await;
        assert_names(refused, "sessions").await;
    }
    let listed: Value = clinic.get("/v1/clients").await.json().await.unwrap();
    assert!(listed["items"].as_array().unwrap().is_empty(), "{listed}");

    let created = clinic
        .post("/v1/clients", client("ana@client.test", dates(20)))
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/clients/{id}/sessions");
    let twenty_first = clinic.post(&path, json!({"date": "2026-04-30"})).await;
    assert_names(twenty_first, "sessions").await;
    let client: Value = clinic
        .get(&format!("/v1/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(client["sessions"].as_array().unwrap().len(), 20);
});

/// The longest run of `x` in `text`.
fn longest_run(text: &str) -> usize {
    text.split(|c| c != 'x').map(str::len).max().unwrap_or(0)
}

db_test!(a_long_invalid_value_is_cut_in_the_error, |app| {
    let long = "x".repeat(60_000);
    let (_, token) =
        crate::engine::onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
    let (_, key) = app.create_clinic("Southside SMP", "front@southside.test");
    let clinic = app.clinic_client(&key);
    let me = app.clinic_client(&token);
    let client = json!({"email": "bo@client.test", "name": "Bo", "timezone": "UTC"});
    let with = |field: &str, value: Value| {
        let mut body = client.clone();
        body[field] = value;
        body
    };
    let mut unknown = client.clone();
    unknown[long.as_str()] = json!(1);
    let cases = [
        (
            "timezone",
            clinic
                .post("/v1/clients", with("timezone", json!(long)))
                .await,
        ),
        (
            "email",
            clinic.post("/v1/clients", with("email", json!(long))).await,
        ),
        (
            "locale",
            clinic
                .post("/v1/clients", with("locale", json!(long)))
                .await,
        ),
        (
            "planned_sessions (serde)",
            clinic
                .post("/v1/clients", with("planned_sessions", json!(long)))
                .await,
        ),
        (
            "unknown field (serde)",
            clinic.post("/v1/clients", unknown).await,
        ),
        (
            "reminder_time",
            me.patch("/v1/me/preferences", json!({"reminder_time": long}))
                .await,
        ),
        (
            "muted",
            me.patch("/v1/me/preferences", json!({"muted": [long]}))
                .await,
        ),
        (
            "protocol rule id",
            clinic
                .put(
                    "/v1/clinic/protocol",
                    json!({"rules": {long.as_str(): {"from": 1}}}),
                )
                .await,
        ),
    ];
    let mut faults = Vec::new();
    for (case, response) in cases {
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        let run = longest_run(&body);
        if !(400..500).contains(&status) || run > 200 || body.len() >= 2_000 {
            faults.push(format!(
                "{case}: {status}, {} bytes, {run} x echoed",
                body.len()
            ));
        }
    }
    assert!(faults.is_empty(), "{faults:#?}");
});

/// Accept attempts from `forwarded_for` (as X-Forwarded-For); the statuses.
async fn accepts(app: &TestApp, forwarded_for: &str, count: usize) -> Vec<u16> {
    let token = "smpi_0123456789abcdef_Zq8VwT3xYb5Nc7Md9Pf1Hg2Jk4Lm6Np8Qr0St2Uv4Wx";
    let mut statuses = Vec::new();
    for _ in 0..count {
        let response = app
            .client
            .post(app.url(&format!("/v1/invitations/{token}/accept")))
            .header("x-forwarded-for", forwarded_for)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

/// The accept limit counts each client behind a trusted proxy on its own, and
/// believes X-Forwarded-For from nobody else. Not a database matter: SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accept_limit_counts_clients_behind_a_trusted_proxy() {
    let behind_proxy = spawn_app_with(Backend::Sqlite, |s| {
        s.invitations.accepts_per_minute = 2;
        s.server.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await
    .unwrap();
    // The proxy appends the address it saw; the client may have sent its own guess.
    assert_eq!(
        accepts(&behind_proxy, "198.51.100.1, 203.0.113.7", 3).await,
        [404, 404, 429]
    );
    assert_eq!(accepts(&behind_proxy, "203.0.113.8", 2).await, [404, 404]);
    // Proxies in a chain are skipped: the rightmost untrusted hop is the client.
    assert_eq!(
        accepts(&behind_proxy, "203.0.113.9, 127.0.0.5", 2).await,
        [404, 404]
    );
    assert_eq!(accepts(&behind_proxy, "203.0.113.9", 1).await, [429]);

    let exposed = spawn_app_with(Backend::Sqlite, |s| s.invitations.accepts_per_minute = 2)
        .await
        .unwrap();
    let spoofed = [
        accepts(&exposed, "203.0.113.10", 1).await,
        accepts(&exposed, "203.0.113.11", 1).await,
        accepts(&exposed, "203.0.113.12", 1).await,
    ];
    assert_eq!(
        spoofed,
        [[404], [404], [429]],
        "a header from an untrusted peer is ignored"
    );
}
