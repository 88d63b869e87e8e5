//! Every bad input is a 4xx problem+json that names what is wrong, never a 500, and
//! never leaves a half-created client behind.

use crate::clients_api::{accept_latest_invitation, valid_p256dh};
use crate::db_test;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn client_count(clinic: &ApiClient<'_>) -> usize {
    let list: Value = clinic.get("/v1/clients").await.json().await.unwrap();
    list["items"].as_array().unwrap().len()
}

async fn assert_field(response: reqwest::Response, status: u16, field: &str) {
    let body = assert_problem(response, status).await;
    let named = body["errors"]
        .as_array()
        .map(|errors| errors.iter().any(|e| e["field"] == field))
        .unwrap_or(false)
        || body["detail"].as_str().unwrap().contains(field);
    assert!(named, "expected the problem to name {field}: {body}");
}

db_test!(bad_client_bodies_are_named_and_nothing_is_created, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let base = json!({"email": "ana@client.test", "name": "Ana", "timezone": "Europe/London"});
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };

    let malformed = clinic
        .send_raw(
            Method::POST,
            "/v1/clients",
            "{\"email\": \"ana@client.test\",",
        )
        .await;
    let body = assert_problem(malformed, 400).await;
    assert_eq!(body["type"], "/problems/bad-request");

    assert_field(
        clinic
            .post("/v1/clients", with("planned_sessions", json!("three")))
            .await,
        422,
        "planned_sessions",
    )
    .await;
    assert_field(
        clinic
            .post("/v1/clients", with("timezone", json!("Mars/Olympus")))
            .await,
        422,
        "timezone",
    )
    .await;
    assert_field(
        clinic
            .post(
                "/v1/clients",
                with("sessions", json!(["2026-03-02", "2026-02-30"])),
            )
            .await,
        422,
        "sessions[1]",
    )
    .await;
    assert_field(
        clinic
            .post("/v1/clients", with("sessions", json!(["2031-03-02"])))
            .await,
        422,
        "sessions[0]",
    )
    .await;
    assert_field(
        clinic
            .post(
                "/v1/clients",
                with("sessions", json!(["2026-03-02", "2026-03-02"])),
            )
            .await,
        422,
        "sessions",
    )
    .await;
    assert_field(
        clinic
            .post("/v1/clients", with("email", json!("not-an-email")))
            .await,
        422,
        "email",
    )
    .await;
    assert_field(
        clinic
            .post("/v1/clients", with("planned_sessions", json!(0)))
            .await,
        422,
        "planned_sessions",
    )
    .await;
    assert_field(
        clinic
            .post("/v1/clients", with("colour", json!("blue")))
            .await,
        422,
        "colour",
    )
    .await;
    assert_field(
        clinic
            .post("/v1/clients", json!({"email": "ana@client.test"}))
            .await,
        400,
        "name",
    )
    .await;

    let wrong_type = app
        .client
        .post(app.url("/v1/clients"))
        .bearer_auth(&key)
        .header("content-type", "text/plain")
        .body(base.to_string())
        .send()
        .await
        .unwrap();
    assert_problem(wrong_type, 415).await;

    let huge = json!({"email": "ana@client.test", "name": "x".repeat(app.settings.server.body_limit_bytes), "timezone": "UTC"});
    let too_big = clinic.post("/v1/clients", huge).await;
    assert_problem(too_big, 413).await;

    assert_eq!(client_count(&clinic).await, 0, "no half-created client");
});

db_test!(bad_paths_queries_and_sessions, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let created: Value = clinic
        .post("/v1/clients", json!({"email": "ana@client.test", "name": "Ana", "timezone": "UTC", "sessions": ["2026-03-02"]}))
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    assert_field(
        clinic
            .get(&format!("/v1/clients/{id}/days/2026-02-30"))
            .await,
        422,
        "date",
    )
    .await;
    assert_field(
        clinic
            .get(&format!("/v1/clients/{id}/timeline?from=2026-13-01"))
            .await,
        422,
        "from",
    )
    .await;
    assert_field(
        clinic
            .get(&format!(
                "/v1/clients/{id}/timeline?from=2026-03-10&to=2026-03-01"
            ))
            .await,
        422,
        "to",
    )
    .await;
    assert_field(
        clinic
            .get(&format!(
                "/v1/clients/{id}/timeline?from=2026-01-01&to=2028-01-01"
            ))
            .await,
        422,
        "to",
    )
    .await;
    assert_field(
        clinic
            .post(
                &format!("/v1/clients/{id}/sessions"),
                json!({"date": "1999-01-01"}),
            )
            .await,
        422,
        "date",
    )
    .await;
    assert_field(
        clinic
            .post(
                &format!("/v1/clients/{id}/sessions"),
                json!({"date": "tomorrow"}),
            )
            .await,
        422,
        "date",
    )
    .await;
    assert_field(
        clinic
            .patch(
                &format!("/v1/clients/{id}"),
                json!({"timezone": "Europe/Lundun"}),
            )
            .await,
        422,
        "timezone",
    )
    .await;
    assert_problem(clinic.get("/v1/clients/no-such-client").await, 404).await;
});

db_test!(bad_preferences_and_push_subscriptions, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    clinic
        .post(
            "/v1/clients",
            json!({"email": "ana@client.test", "name": "Ana", "timezone": "UTC"}),
        )
        .await;
    let token = accept_latest_invitation(&app).await;
    let me = app.clinic_client(&token);

    assert_field(
        me.patch("/v1/me/preferences", json!({"reminder_time": "25:00"}))
            .await,
        422,
        "reminder_time",
    )
    .await;
    assert_field(
        me.patch("/v1/me/preferences", json!({"timezone": "Nowhere/City"}))
            .await,
        422,
        "timezone",
    )
    .await;
    assert_field(
        me.patch("/v1/me/preferences", json!({"spf_reminders": "hourly"}))
            .await,
        422,
        "spf_reminders",
    )
    .await;
    assert_field(
        me.patch(
            "/v1/me/preferences",
            json!({"muted": ["daily_aftercare", "everything"]}),
        )
        .await,
        422,
        "muted[1]",
    )
    .await;
    assert_field(
        me.patch("/v1/me/preferences", json!({"channels": {"push": "yes"}}))
            .await,
        422,
        "channels.push",
    )
    .await;
    // An object's fields as an array are no object (serde would read them in order).
    for channels in [json!([null, null]), json!([true, false])] {
        assert_field(
            me.patch("/v1/me/preferences", json!({ "channels": channels }))
                .await,
            422,
            "channels",
        )
        .await;
    }

    let ok = me
        .patch("/v1/me/preferences", json!({"timezone": "America/New_York", "reminder_time": "07:30", "channels": {"email": false}, "spf_reminders": "weekly", "muted": ["touch_up_due"]}))
        .await;
    assert_eq!(ok.status(), 200);
    let prefs: Value = ok.json().await.unwrap();
    assert_eq!(prefs["preferences"]["reminder_time"], "07:30");
    assert_eq!(
        prefs["preferences"]["channels"],
        json!({"push": true, "email": false})
    );
    assert_eq!(prefs["preferences"]["spf_reminders"], "weekly");
    assert_eq!(prefs["preferences"]["muted"], json!(["touch_up_due"]));
    // 07:00 UTC on 2026-03-02 is still 2026-03-02 in New York (02:00 EST).
    let today: Value = me.get("/v1/me/today").await.json().await.unwrap();
    assert_eq!(today["date"], "2026-03-02");

    let sub = |endpoint: &str, p256dh: &str, auth: &str| json!({"endpoint": endpoint, "expirationTime": null, "keys": {"p256dh": p256dh, "auth": auth}});
    let good_auth = "AAAAAAAAAAAAAAAAAAAAAA";
    for endpoint in [
        "http://push.example.net/x",
        "https://10.0.0.1/x",
        "https://[::1]/x",
        "https://169.254.169.254/x",
        "https://localhost/x",
    ] {
        assert_field(
            me.post(
                "/v1/me/push-subscriptions",
                sub(endpoint, valid_p256dh(), good_auth),
            )
            .await,
            422,
            "endpoint",
        )
        .await;
    }
    assert_field(
        me.post(
            "/v1/me/push-subscriptions",
            sub("https://push.example.net/x", "AAAA", good_auth),
        )
        .await,
        422,
        "keys.p256dh",
    )
    .await;
    assert_field(
        me.post(
            "/v1/me/push-subscriptions",
            json!({"endpoint": "https://push.example.net/x", "keys": [valid_p256dh(), good_auth]}),
        )
        .await,
        422,
        "keys",
    )
    .await;
    let not_on_curve = format!("BA{}", "A".repeat(85));
    assert_field(
        me.post(
            "/v1/me/push-subscriptions",
            sub("https://push.example.net/x", &not_on_curve, good_auth),
        )
        .await,
        422,
        "keys.p256dh",
    )
    .await;
    assert_field(
        me.post(
            "/v1/me/push-subscriptions",
            sub("https://push.example.net/x", valid_p256dh(), "AAAA"),
        )
        .await,
        422,
        "keys.auth",
    )
    .await;
    let list: Value = me
        .get("/v1/me/push-subscriptions")
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
});

db_test!(invitation_tokens_unknown_expired_and_rate_limited, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    clinic
        .post(
            "/v1/clients",
            json!({"email": "ana@client.test", "name": "Ana", "timezone": "UTC"}),
        )
        .await;
    app.flush_outbox().await;

    let accept = |token: String| {
        let request = app
            .client
            .post(app.url(&format!("/v1/invitations/{token}/accept")));
        async move { request.send().await.unwrap() }
    };
    assert_problem(accept("smpi_nonsense".into()).await, 404).await;
    assert_problem(
        accept(format!("smpi_0123456789abcdef_{}", "A".repeat(43))).await,
        404,
    )
    .await;

    // Eight days later the 7-day link has expired.
    app.clock.advance(chrono::Duration::days(8));
    let token = crate::peers::invitation_token(app.mail_files().last().unwrap());
    let body = assert_problem(accept(token).await, 410).await;
    assert!(body["detail"].as_str().unwrap().contains("expired"));

    // The default limit is 10 attempts a minute per address.
    let mut limited = None;
    for _ in 0..12 {
        let response = accept("smpi_x".into()).await;
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("the accept endpoint is rate limited");
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, 429).await;
});
