//! One rule, one place: onboarding is checked and defaulted once, by the service, so
//! the API, the console's form and the CSV import give the same client for the same
//! input (planned sessions from the clinic's protocol, its zone and reminder time), and
//! the console and the import both show every field at fault at once.

use serde_json::{json, Value};
use smp_aftercare::service::clinics::{self, SettingsInput};

use crate::console_support::{cli_ref, location, owner_session, Signed};
use crate::db_test;
use crate::helpers::TestApp;

const BOUNDARY: &str = "----smp-one-rule-7d2a";

/// A clinic in Lisbon reminding at 07:30 whose protocol plans 4 sessions; its API key
/// and its owner signed in to the console.
async fn clinic_with_four_sessions(app: &TestApp) -> (String, Signed) {
    let (clinic_id, key) = app.create_clinic("Northside", "front@northside.example");
    let settings = SettingsInput {
        name: "Northside".into(),
        reply_to: String::new(),
        timezone: "Europe/Lisbon".into(),
        reminder_time: "07:30".into(),
    };
    clinics::update_settings(&app.services, &cli_ref(app, &clinic_id), settings)
        .await
        .unwrap();
    let owner = owner_session(app, &clinic_id).await;
    let four = [("mode", "basic"), ("basic.planned_sessions", "4")];
    let saved = app
        .form("/console/protocol", Some(&owner.cookie), &four)
        .await;
    assert_eq!(saved.status().as_u16(), 303, "the protocol is saved");
    (key, owner)
}

/// A multipart upload of the import page (its `step` and the file).
async fn import(app: &TestApp, who: &Signed, step: &str, csv: &str) -> (u16, String) {
    let mut body = String::new();
    body +=
        &format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"step\"\r\n\r\n{step}\r\n");
    body += &format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"clients.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{BOUNDARY}--\r\n"
    );
    let response = app
        .client
        .post(app.url("/console/clients/import"))
        .header("accept", "text/html")
        .header("sec-fetch-site", "same-origin")
        .header("cookie", &who.cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// What a client is, leaving out who they are and when they were made.
fn essence(client: &Value) -> Value {
    let sessions: Vec<&Value> = client["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["date"])
        .collect();
    json!({
        "timezone": client["timezone"],
        "locale": client["locale"],
        "planned_sessions": client["planned_sessions"],
        "preferences": client["preferences"],
        "sessions": sessions,
        "invitation": client["invitation"]["status"],
    })
}

db_test!(one_input_gives_one_client_through_every_face, |app| {
    let (key, owner) = clinic_with_four_sessions(&app).await;
    let api = app.clinic_client(&key);
    let session = (app.clock_now() - chrono::Duration::days(2))
        .date_naive()
        .to_string();

    let created = api
        .post(
            "/v1/clients",
            json!({"email": "ana@example.net", "name": "Ana", "sessions": [session]}),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let by_api: Value = created.json().await.unwrap();

    let form = [
        ("name", "Bo"),
        ("email", "bo@example.net"),
        ("timezone", ""),
        ("first_session", session.as_str()),
        ("planned_sessions", ""),
    ];
    let posted = app
        .form("/console/clients", Some(&owner.cookie), &form)
        .await;
    assert_eq!(posted.status().as_u16(), 303);
    let by_console_id = location(&posted)
        .trim_start_matches("/console/clients/")
        .split('?')
        .next()
        .unwrap()
        .to_string();

    let csv = format!("name,email,session dates\nCy,cy@example.net,{session}\n");
    let (status, page) = import(&app, &owner, "import", &csv).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Imported 1 client."), "{page}");

    let list: Value = api.get("/v1/clients").await.json().await.unwrap();
    let of = |email: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["email"] == email)
            .cloned()
            .unwrap_or_else(|| panic!("no {email} in {list}"))
    };
    let by_console = of("bo@example.net");
    assert_eq!(by_console["id"], by_console_id.as_str());
    let by_import = of("cy@example.net");

    let expected = essence(&by_api);
    assert_eq!(expected["planned_sessions"], 4, "the clinic's protocol");
    assert_eq!(expected["timezone"], "Europe/Lisbon", "the clinic's zone");
    assert_eq!(expected["preferences"]["reminder_time"], "07:30");
    assert_eq!(essence(&by_console), expected, "console");
    assert_eq!(essence(&by_import), expected, "import");
});

db_test!(
    three_bad_fields_are_all_shown_by_the_console_and_the_import,
    |app| {
        let (_, owner) = clinic_with_four_sessions(&app).await;
        let form = [
            ("name", ""),
            ("email", "not-an-email"),
            ("timezone", "Mars/Base"),
            ("first_session", ""),
            ("planned_sessions", "4"),
        ];
        let refused = app
            .form("/console/clients", Some(&owner.cookie), &form)
            .await;
        assert_eq!(refused.status().as_u16(), 422);
        let page = refused.text().await.unwrap();
        for field in ["name", "email", "timezone"] {
            let id = format!(r#"id="error-{field}""#);
            assert!(page.contains(&id), "{field} in {page}");
        }

        let csv = "name,email,time zone\n,not-an-email,Mars/Base\n";
        let (status, page) = import(&app, &owner, "preview", csv).await;
        assert_eq!(status, 200, "{page}");
        for field in ["name", "email", "timezone"] {
            let item = format!("<li><strong>{field}</strong>: ");
            assert_eq!(page.matches(&item).count(), 1, "{field} in {page}");
        }
    }
);
