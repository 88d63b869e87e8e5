//! Clinic endpoints: create, list, update, erase, sessions, day views, protocol,
//! idempotent POST and tenant isolation. Email goes to the file transport here.

use crate::db_test;
use crate::helpers::*;
use serde_json::{json, Value};

async fn new_client(clinic: &ApiClient<'_>, email: &str, sessions: Value) -> Value {
    let response = clinic
        .post(
            "/v1/clients",
            json!({"email": email, "name": "Test Client", "timezone": "Europe/London", "sessions": sessions}),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// The access token of a client, through the invitation the file transport wrote
/// (sent from the outbox first, as the running engine would).
pub async fn accept_latest_invitation(app: &TestApp) -> String {
    app.flush_outbox().await;
    let token =
        crate::peers::invitation_token(app.mail_files().last().expect("an invitation email"));
    let accepted: Value = app
        .client
        .post(app.url(&format!("/v1/invitations/{token}/accept")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    accepted["access_token"].as_str().unwrap().to_string()
}

db_test!(the_embedded_default_writes_invitations_to_files, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let client = new_client(&clinic, "ana@client.test", json!([])).await;
    // Queued in the same transaction as the client; the engine sends it.
    assert_eq!(client["invitation"]["status"], "pending");
    assert_eq!(app.flush_outbox().await.sent, 1);
    let id = client["id"].as_str().unwrap();
    let client: Value = clinic
        .get(&format!("/v1/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(client["invitation"]["status"], "sent");
    let mail = app.mail_files();
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains("ana@client.test"));
    let token = accept_latest_invitation(&app).await;
    assert!(token.starts_with("smpc_"));
});

db_test!(sessions_days_and_the_worked_example, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let client = new_client(&clinic, "ana@client.test", json!(["2026-03-02"])).await;
    let id = client["id"].as_str().unwrap();

    let added = clinic
        .post(
            &format!("/v1/clients/{id}/sessions"),
            json!({"date": "2026-03-12", "number": 2, "notes": "density"}),
        )
        .await;
    assert_eq!(added.status(), 201);
    let added: Value = added.json().await.unwrap();
    assert_eq!(added["session"]["number"], 2);
    assert_eq!(added["session"]["notes"], "density");

    // domain.md's worked example, through the API.
    let day: Value = clinic
        .get(&format!("/v1/clients/{id}/days/2026-03-15"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(day["session_number"], 2);
    assert_eq!(day["day"], 3);
    assert_eq!(day["stage"], "fresh");
    let rules: Vec<&str> = day["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "no_washing",
            "no_heavy_sweating",
            "no_swimming",
            "avoid_sun"
        ]
    );
    assert_eq!(day["next_session_window"]["from"], "2026-03-19");
    assert_eq!(day["next_session_window"]["to"], "2026-03-26");
    let day: Value = clinic
        .get(&format!("/v1/clients/{id}/days/2026-03-23"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(day["day"], 11);
    assert_eq!(day["stage"], "settled");
    assert_eq!(day["milestones"][0]["id"], "sun_avoidance_over");
    for field in [
        "date",
        "session_number",
        "day",
        "is_final_session",
        "stage",
        "expect",
        "rules",
        "milestones",
        "next_session_window",
        "healing_complete_on",
        "touch_up_due_on",
        "tomorrow",
    ] {
        assert!(day.get(field).is_some(), "day view lacks {field}");
    }

    // Today in the client's zone (the test clock says 2026-03-02 07:00 UTC).
    let today: Value = clinic
        .get(&format!("/v1/clients/{id}/today"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(today["date"], "2026-03-02");

    let timeline: Value = clinic
        .get(&format!(
            "/v1/clients/{id}/timeline?from=2026-03-01&to=2026-03-31"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(timeline["days"].as_array().unwrap().len(), 31);

    // A duplicate date is a conflict; a wrong expected number is named.
    let dup = clinic
        .post(
            &format!("/v1/clients/{id}/sessions"),
            json!({"date": "2026-03-12"}),
        )
        .await;
    assert_problem(dup, 409).await;
    let wrong = clinic
        .post(
            &format!("/v1/clients/{id}/sessions"),
            json!({"date": "2026-03-24", "number": 5}),
        )
        .await;
    let body = assert_problem(wrong, 422).await;
    assert_eq!(body["errors"][0]["field"], "number");

    // Move then delete the second session; numbering follows.
    let session_id = added["session"]["id"].as_str().unwrap();
    let moved = clinic
        .patch(
            &format!("/v1/clients/{id}/sessions/{session_id}"),
            json!({"date": "2026-03-13", "final": true}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(moved["sessions"][1]["date"], "2026-03-13");
    assert_eq!(moved["sessions"][1]["final"], true);
    let deleted = clinic
        .delete(&format!("/v1/clients/{id}/sessions/{session_id}"))
        .await;
    assert_eq!(deleted.status(), 204);
    let client: Value = clinic
        .get(&format!("/v1/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(client["sessions"].as_array().unwrap().len(), 1);
});

db_test!(clinic_protocol_overrides_change_the_days, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let client = new_client(&clinic, "ana@client.test", json!(["2026-03-02"])).await;
    let id = client["id"].as_str().unwrap();
    let day5 = format!("/v1/clients/{id}/days/2026-03-07");
    let before: Value = clinic.get(&day5).await.json().await.unwrap();
    assert!(before["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "gentle_washing_ok"));

    let put = clinic
        .put(
            "/v1/clinic/protocol",
            json!({"rules": {"gentle_washing_ok": {"from": 10}}}),
        )
        .await;
    assert_eq!(put.status(), 200);
    let after: Value = clinic.get(&day5).await.json().await.unwrap();
    assert!(
        after["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "no_washing"),
        "{after}"
    );
    let got: Value = clinic
        .get("/v1/clinic/protocol")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["overrides"]["rules"]["gentle_washing_ok"]["from"], 10);

    let invalid = clinic
        .put(
            "/v1/clinic/protocol",
            json!({"rules": {"avoid_sun": {"from": 12, "to": 10}}}),
        )
        .await;
    let body = assert_problem(invalid, 422).await;
    assert!(
        body["detail"].as_str().unwrap().contains("avoid_sun"),
        "{body}"
    );
    let unknown = clinic
        .put(
            "/v1/clinic/protocol",
            json!({"rules": {"no_dancing": {"from": 1}}}),
        )
        .await;
    assert!(unknown.status().is_client_error());

    let reset = clinic.put("/v1/clinic/protocol", json!({})).await;
    assert_eq!(reset.status(), 200);
    let again: Value = clinic.get(&day5).await.json().await.unwrap();
    assert_eq!(again["rules"], before["rules"]);
});

db_test!(idempotent_post_returns_the_first_answer, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let body = json!({"email": "ana@client.test", "name": "Ana", "timezone": "UTC"});
    let post = |k: &'static str, body: Value| {
        let request = app
            .client
            .post(app.url("/v1/clients"))
            .bearer_auth(&key)
            .header("idempotency-key", k)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let first = post("retry-1", body.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let second = post("retry-1", body.clone()).await;
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: Value = second.json().await.unwrap();
    assert_eq!(first["id"], second["id"]);
    app.flush_outbox().await;
    assert_eq!(
        app.mail_files().len(),
        1,
        "a retried POST sends no second invitation"
    );

    let other_body = post(
        "retry-1",
        json!({"email": "bo@client.test", "name": "Bo", "timezone": "UTC"}),
    )
    .await;
    assert_problem(other_body, 422).await;
    // Without a key the same email is a conflict, not a second client.
    let clinic = app.clinic_client(&key);
    let dup = clinic.post("/v1/clients", body).await;
    assert_problem(dup, 409).await;
});

db_test!(clients_page_with_cursors, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    for i in 0..5 {
        new_client(&clinic, &format!("c{i}@client.test"), json!([])).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/clients?limit=2&cursor={c}"),
            None => "/v1/clients?limit=2".to_string(),
        };
        let page: Value = clinic.get(&path).await.json().await.unwrap();
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["email"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    seen.sort();
    assert_eq!(
        seen,
        [
            "c0@client.test",
            "c1@client.test",
            "c2@client.test",
            "c3@client.test",
            "c4@client.test"
        ]
    );
    assert_problem(clinic.get("/v1/clients?limit=0").await, 422).await;
    assert_problem(clinic.get("/v1/clients?cursor=***").await, 422).await;
});

db_test!(tenants_are_isolated, |app| {
    let (_, key_a) = app.create_clinic("Clinic A", "a@clinic.test");
    let (_, key_b) = app.create_clinic("Clinic B", "b@clinic.test");
    let a = app.clinic_client(&key_a);
    let b = app.clinic_client(&key_b);
    let client = new_client(&a, "ana@client.test", json!(["2026-03-02"])).await;
    let id = client["id"].as_str().unwrap();
    let session_id = client["sessions"][0]["id"].as_str().unwrap();

    for path in [
        format!("/v1/clients/{id}"),
        format!("/v1/clients/{id}/today"),
        format!("/v1/clients/{id}/days/2026-03-03"),
        format!("/v1/clients/{id}/timeline"),
    ] {
        assert_problem(b.get(&path).await, 404).await;
    }
    assert_problem(
        b.patch(&format!("/v1/clients/{id}"), json!({"name": "Mallory"}))
            .await,
        404,
    )
    .await;
    assert_problem(
        b.post(
            &format!("/v1/clients/{id}/sessions"),
            json!({"date": "2026-03-20"}),
        )
        .await,
        404,
    )
    .await;
    assert_problem(
        b.delete(&format!("/v1/clients/{id}/sessions/{session_id}"))
            .await,
        404,
    )
    .await;
    assert_problem(
        b.post(&format!("/v1/clients/{id}/invitation"), json!({}))
            .await,
        404,
    )
    .await;
    assert_problem(b.delete(&format!("/v1/clients/{id}")).await, 404).await;
    let list: Value = b.get("/v1/clients").await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    // Clinic B may have its own client with the same email.
    new_client(&b, "ana@client.test", json!([])).await;

    // A client's token is not a clinic key, and a clinic key is not a client token.
    let token = accept_latest_invitation(&app).await;
    let me = app.clinic_client(&token);
    assert_problem(me.get("/v1/clients").await, 401).await;
    assert_problem(a.get("/v1/me").await, 401).await;
    let a_still: Value = a
        .get(&format!("/v1/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a_still["name"], "Test Client");
});

db_test!(delete_erases_the_client, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let client = new_client(&clinic, "ana@client.test", json!(["2026-03-02"])).await;
    let id = client["id"].as_str().unwrap().to_string();
    let token = accept_latest_invitation(&app).await;
    let me = app.clinic_client(&token);
    let push = me
        .post(
            "/v1/me/push-subscriptions",
            json!({
                "endpoint": "https://push.example.net/send/abc",
                "expirationTime": null,
                "keys": {"p256dh": valid_p256dh(), "auth": "AAAAAAAAAAAAAAAAAAAAAA"}
            }),
        )
        .await;
    assert_eq!(push.status(), 201);

    assert_eq!(
        clinic.delete(&format!("/v1/clients/{id}")).await.status(),
        204
    );
    assert_problem(clinic.get(&format!("/v1/clients/{id}")).await, 404).await;
    assert_problem(me.get("/v1/me").await, 401).await;
    let remaining = count_rows(&app, &id);
    assert_eq!(remaining, (0, 0, 0), "client, sessions, subscriptions");
    assert_problem(clinic.delete(&format!("/v1/clients/{id}")).await, 404).await;
});

/// A real P-256 public key, uncompressed, base64url (the generator point).
pub fn valid_p256dh() -> &'static str {
    "BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"
}

fn count_rows(app: &TestApp, client_id: &str) -> (i64, i64, i64) {
    use diesel::dsl::count_star;
    use diesel::prelude::*;
    use smp_aftercare::db::schema::{clients, push_subscriptions, sessions};
    let mut conn = app.pool.get().unwrap();
    let c = clients::table
        .filter(clients::id.eq(client_id))
        .select(count_star())
        .first(&mut conn)
        .unwrap();
    let s = sessions::table
        .filter(sessions::client_id.eq(client_id))
        .select(count_star())
        .first(&mut conn)
        .unwrap();
    let p = push_subscriptions::table
        .filter(push_subscriptions::client_id.eq(client_id))
        .select(count_star())
        .first(&mut conn)
        .unwrap();
    (c, s, p)
}

// `/v1/me/today` and `/v1/me/days/{date}` authenticate in the same database call as
// their read: every wrong token is still the same 401, and it comes before a bad date.
db_test!(
    a_day_answers_only_a_valid_token_and_checks_it_first,
    |app| {
        let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
        let clinic = app.clinic_client(&key);
        new_client(&clinic, "ana@client.test", json!(["2026-03-02"])).await;
        let token = accept_latest_invitation(&app).await;
        let me = app.clinic_client(&token);
        let today: Value = me.get("/v1/me/today").await.json().await.unwrap();
        assert_eq!(today["date"], "2026-03-02");

        let (id, _) = token.rsplit_once('_').unwrap();
        let altered = format!("{id}_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        for wrong in [
            altered.as_str(),
            "smpc_0123456789abcdef_nope",
            "smpk_x_y",
            &key,
        ] {
            let other = app.clinic_client(wrong);
            for path in [
                "/v1/me/today",
                "/v1/me/days/2026-03-02",
                "/v1/me/days/not-a-date",
            ] {
                let body = assert_problem(other.get(path).await, 401).await;
                assert_eq!(body["detail"], "invalid or expired access token", "{path}");
            }
        }
        let body = assert_problem(me.get("/v1/me/days/not-a-date").await, 422).await;
        assert!(body.to_string().contains("date"), "{body}");
        let day: Value = me.get("/v1/me/days/2026-03-05").await.json().await.unwrap();
        assert_eq!(day["date"], "2026-03-05");
    }
);

// `/v1/me/days/{date}` reads the client, the clinic's protocol version and the sessions
// in one statement (a join, one row per session): the client's own view of any day
// must be the clinic's view of it, whatever the number and order of sessions.
db_test!(a_clients_own_day_is_the_clinics_view_of_it, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    for (email, sessions) in [
        (
            "three@client.test",
            json!(["2026-03-30", "2026-03-02", "2026-03-16"]),
        ),
        ("none@client.test", json!([])),
    ] {
        let created = new_client(&clinic, email, sessions).await;
        let id = created["id"].as_str().unwrap().to_string();
        let me = app.clinic_client(&accept_latest_invitation(&app).await);
        for date in [
            "2026-03-01",
            "2026-03-03",
            "2026-03-17",
            "2026-04-01",
            "2026-05-01",
        ] {
            let own: Value = me
                .get(&format!("/v1/me/days/{date}"))
                .await
                .json()
                .await
                .unwrap();
            let theirs: Value = clinic
                .get(&format!("/v1/clients/{id}/days/{date}"))
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(own, theirs, "{email} on {date}");
            assert_eq!(own["date"], date);
        }
        if email.starts_with("three") {
            let day: Value = me.get("/v1/me/days/2026-03-17").await.json().await.unwrap();
            assert_eq!(
                (day["session_number"].as_i64(), day["day"].as_i64()),
                (Some(2), Some(1))
            );
        }
    }
});
