//! Data a clinic and a client can take away, on both backends: the clients CSV imported
//! into another clinic through the real import page gives the same clients and
//! sessions; no cell of either CSV starts a formula; every export is in the audit log;
//! the audit CSV is the owners'; another clinic's staff get only their own clinic's
//! data; the client's JSON has every section and no secret. In real Chromium: the
//! app's "Download my data" button saves the file.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use smp_aftercare::db::{self, roster};
use smp_aftercare::domain::StaffRole;

use crate::browser::Browser;
use crate::console_support::{member_session, owner_session, Signed};
use crate::db_test;
use crate::engine::{onboard_with_key, register_push};
use crate::helpers::*;
use crate::peers::PushPeer;

const BOUNDARY: &str = "----smp-export-test-7d2f";

/// Names a spreadsheet would run as formulas, and plain ones.
const CLIENTS: [(&str, &str, &str, &[&str]); 5] = [
    (
        "Ana Pereira",
        "ana@a.test",
        "Europe/London",
        &["2026-02-25", "2026-03-04"],
    ),
    ("-Ana", "dash@a.test", "Europe/Lisbon", &["2026-03-01"]),
    (
        "=HYPERLINK(\"http://evil.test\",\"Bo\")",
        "eq@a.test",
        "America/New_York",
        &[],
    ),
    (
        "@Cruz +1",
        "at@a.test",
        "Asia/Tokyo",
        &["2026-01-10", "2026-01-24", "2026-02-07"],
    ),
    ("Zoë Ünal", "zoe@a.test", "Europe/Berlin", &["2026-03-02"]),
];

/// A clinic with the clients above (onboarded through the API), and its owner.
async fn clinic_a(app: &TestApp) -> Signed {
    let (clinic_id, key) = app.create_clinic("Northside", "owner@a-clinic.test");
    for (name, email, zone, sessions) in CLIENTS {
        let created = app
            .clinic_client(&key)
            .post(
                "/v1/clients",
                json!({"name": name, "email": email, "timezone": zone, "sessions": sessions}),
            )
            .await;
        assert_eq!(created.status(), 201, "{name}");
    }
    owner_session(app, &clinic_id).await
}

/// (name, email, time zone) -> session dates of every client of the clinic.
fn clients_of(app: &TestApp, clinic_id: &str) -> BTreeMap<(String, String, String), Vec<String>> {
    let mut conn = app.pool.get().unwrap();
    let clients = roster::clients_of(&mut conn, clinic_id).unwrap();
    let sessions = roster::sessions_of_clinic(&mut conn, clinic_id).unwrap();
    clients
        .into_iter()
        .map(|c| {
            let dates = sessions
                .iter()
                .filter(|s| s.client_id == c.id)
                .map(|s| s.date.to_string())
                .collect();
            ((c.name, c.email, c.timezone.name().to_string()), dates)
        })
        .collect()
}

/// The clinic's audit entries, newest first: (action, actor kind, actor, subject, detail).
fn audit_of(app: &TestApp, clinic_id: &str) -> Vec<(String, String, String, String, String)> {
    let mut conn = app.pool.get().unwrap();
    db::audit::page(&mut conn, clinic_id, 0, 1000)
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.action,
                r.actor_kind,
                r.actor_name,
                r.subject_label,
                r.detail,
            )
        })
        .collect()
}

async fn download(app: &TestApp, path: &str, who: &Signed) -> reqwest::Response {
    app.page(path, Some(&who.cookie)).await
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The rows of a CSV file (header first), after its byte-order mark.
fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn assert_no_live_formula(rows: &[Vec<String>]) {
    for cell in rows.iter().flatten() {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "a cell a spreadsheet would run: {cell:?}"
        );
    }
}

/// Imports `csv` through the console's import page, as its form posts it.
async fn import(app: &TestApp, who: &Signed, csv: &[u8]) -> String {
    let mut body = Vec::new();
    for (name, file, bytes) in [
        ("step", None, b"import".as_slice()),
        ("file", Some("clients-2026-03-02.csv"), csv),
    ] {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match file {
            Some(file) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                 Content-Type: text/csv\r\n\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
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
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

db_test!(
    the_clients_csv_imports_into_another_clinic_unchanged,
    |app| {
        let a = clinic_a(&app).await;
        let list = download(&app, "/console/clients", &a)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            list.contains(r#"href="/console/clients/export.csv""#),
            "the clients list links to the download"
        );
        let response = download(&app, "/console/clients/export.csv", &a).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-type"), "text/csv; charset=utf-8");
        assert_eq!(
            header(&response, "content-disposition"),
            "attachment; filename=\"clients-2026-03-02.csv\""
        );
        assert_eq!(header(&response, "cache-control"), "no-store");
        let csv = response.bytes().await.unwrap().to_vec();
        let table = rows(&csv);
        assert_eq!(table[0], ["name", "email", "time zone", "session dates"]);
        assert_eq!(table.len(), 1 + CLIENTS.len());
        assert_no_live_formula(&table);
        let row_of = |email: &str| table.iter().find(|r| r[1] == email).unwrap().clone();
        assert_eq!(row_of("dash@a.test")[0], "'-Ana");
        assert_eq!(row_of("at@a.test")[0], "'@Cruz +1");
        assert_eq!(row_of("at@a.test")[3], "2026-01-10;2026-01-24;2026-02-07");
        assert_eq!(row_of("eq@a.test")[3], "");

        // Into a new clinic through the import page: the same clients, the same sessions.
        let (b_id, _) = app.create_clinic("Southside", "owner@b-clinic.test");
        let b = owner_session(&app, &b_id).await;
        let page = import(&app, &b, &csv).await;
        assert!(page.contains("Imported 5 clients"), "{page}");
        let exported = clients_of(&app, &a.clinic_id);
        assert_eq!(exported.len(), CLIENTS.len());
        assert!(exported.contains_key(&(
            "-Ana".to_string(),
            "dash@a.test".to_string(),
            "Europe/Lisbon".to_string()
        )));
        assert_eq!(clients_of(&app, &b_id), exported);

        // And B's export is A's file again, byte for byte.
        let again = download(&app, "/console/clients/export.csv", &b).await;
        assert_eq!(again.bytes().await.unwrap().to_vec(), csv);

        // Each export is in its clinic's log, by the staff member who made it.
        let log = audit_of(&app, &a.clinic_id);
        let exports: Vec<_> = log.iter().filter(|e| e.0 == "client.exported").collect();
        assert_eq!(exports.len(), 1, "{log:?}");
        assert_eq!(exports[0].1, "staff");
        assert_eq!(exports[0].3, "5 clients");
        assert_eq!(exports[0].4, "5 clients as CSV");
        assert!(audit_of(&app, &b_id)
            .iter()
            .any(|e| e.0 == "client.exported"));
    }
);

db_test!(
    the_audit_csv_is_the_owners_in_iso_utc_without_formulas,
    |app| {
        let a = clinic_a(&app).await;
        let staff = member_session(
            &app,
            &a.clinic_id,
            "Mia",
            "mia@a-clinic.test",
            StaffRole::Staff,
        )
        .await;
        let refused = download(&app, "/console/audit/export.csv", &staff).await;
        assert_eq!(refused.status(), 403);
        assert!(!audit_of(&app, &a.clinic_id)
            .iter()
            .any(|e| e.0 == "audit.exported"));

        let page = download(&app, "/console/audit", &a)
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"href="/console/audit/export.csv""#));
        let before = audit_of(&app, &a.clinic_id).len();
        let response = download(&app, "/console/audit/export.csv", &a).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "content-disposition"),
            "attachment; filename=\"audit-log-2026-03-02.csv\""
        );
        assert_eq!(header(&response, "cache-control"), "no-store");
        let table = rows(&response.bytes().await.unwrap());
        assert_eq!(
            table[0],
            [
                "time",
                "actor",
                "actor kind",
                "action",
                "action id",
                "subject",
                "detail"
            ]
        );
        assert_eq!(table.len(), 1 + before, "every entry before the export");
        assert_no_live_formula(&table);
        for row in &table[1..] {
            let at = chrono::DateTime::parse_from_rfc3339(&row[0]).expect("RFC 3339");
            assert!(row[0].ends_with("+00:00"), "{}", row[0]);
            assert_eq!(at.offset().local_minus_utc(), 0);
        }
        let onboarded: Vec<&Vec<String>> = table
            .iter()
            .filter(|r| r[4] == "client.onboarded")
            .collect();
        assert_eq!(onboarded.len(), CLIENTS.len());
        // The service's clock, to the second: 2026-03-02T07:00:00+00:00.
        assert!(
            onboarded
                .iter()
                .all(|r| r[0] == "2026-03-02T07:00:00+00:00"),
            "{onboarded:?}"
        );
        assert!(onboarded
            .iter()
            .any(|r| r[5] == "'=HYPERLINK(\"http://evil.test\",\"Bo\")"));
        assert!(onboarded.iter().any(|r| r[5] == "'-Ana"));
        let log = audit_of(&app, &a.clinic_id);
        assert_eq!(log.len(), before + 1);
        assert!(log.iter().any(|e| e.0 == "audit.exported"
            && e.1 == "staff"
            && e.3 == "Audit log"
            && e.4 == format!("{before} entries as CSV")));

        // The log page names the export.
        let shown = download(&app, "/console/audit", &a)
            .await
            .text()
            .await
            .unwrap();
        assert!(shown.contains("Exported the audit log"), "{shown}");
    }
);

db_test!(another_clinics_staff_get_nothing_of_this_one, |app| {
    let a = clinic_a(&app).await;
    let (b_id, b_key) = app.create_clinic("Southside", "owner@b-clinic.test");
    let created = app
        .clinic_client(&b_key)
        .post(
            "/v1/clients",
            json!({"name": "Bea", "email": "bea@b.test", "timezone": "UTC", "sessions": []}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let b = owner_session(&app, &b_id).await;
    let clients = download(&app, "/console/clients/export.csv", &b).await;
    let table = rows(&clients.bytes().await.unwrap());
    assert_eq!(table.len(), 2, "{table:?}");
    assert_eq!(table[1][1], "bea@b.test");
    let audit = download(&app, "/console/audit/export.csv", &b).await;
    let text = String::from_utf8(audit.bytes().await.unwrap().to_vec()).unwrap();
    for (name, email, ..) in CLIENTS {
        assert!(!text.contains(email), "{text}");
        assert!(
            !text.contains(name.trim_start_matches(['=', '-', '@'])),
            "{text}"
        );
    }
    assert!(!text.contains("Northside"), "{text}");
    // Nothing of the export reached A's log.
    assert!(!audit_of(&app, &a.clinic_id)
        .iter()
        .any(|e| e.0.ends_with(".exported")));
});

/// A client with a push subscription, a calendar feed and reminders planned.
async fn client_with_everything(app: &TestApp, push: &PushPeer) -> (String, String, Value) {
    let (client_id, token, key) = onboard_with_key(
        app,
        "ana@client.test",
        "Europe/London",
        json!(["2026-02-25"]),
    )
    .await;
    register_push(app, &token, push, "201").await;
    let device = app
        .clinic_client(&token)
        .get("/v1/me/push-subscriptions")
        .await;
    let device: Value = device.json().await.unwrap();
    let issued = app
        .clinic_client(&token)
        .post("/v1/me/calendar", json!({}))
        .await;
    assert_eq!(issued.status(), 201);
    let feed: Value = issued.json().await.unwrap();
    app.engine().plan(app.clock_now()).await.unwrap();
    (
        client_id,
        token,
        json!({"device": device, "feed": feed, "key": key}),
    )
}

db_test!(
    a_client_downloads_everything_held_about_them_and_no_secret,
    |app| {
        let push = PushPeer::start();
        let (client_id, token, made) = client_with_everything(&app, &push).await;
        let unauthorized = app.get("/v1/me/export").await;
        assert_eq!(unauthorized.status(), 401);

        let response = app.clinic_client(&token).get("/v1/me/export").await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "content-disposition"),
            "attachment; filename=\"smp-aftercare-2026-03-02.json\""
        );
        assert_eq!(header(&response, "cache-control"), "no-store");
        assert!(header(&response, "content-type").starts_with("application/json"));
        let text = response.text().await.unwrap();
        let data: Value = serde_json::from_str(&text).unwrap();
        let mut sections: Vec<&String> = data.as_object().unwrap().keys().collect();
        sections.sort();
        assert_eq!(
            sections,
            [
                "calendar_feed",
                "clinic",
                "deliveries",
                "exported_at",
                "format",
                "invitation",
                "preferences",
                "profile",
                "push_subscriptions",
                "sessions",
                "version"
            ]
        );
        assert_eq!(data["profile"]["id"], client_id.as_str());
        assert_eq!(data["profile"]["email"], "ana@client.test");
        assert_eq!(data["clinic"]["name"], "Northside SMP");
        assert_eq!(data["preferences"]["timezone"], "Europe/London");
        assert_eq!(data["sessions"][0]["date"], "2026-02-25");
        assert_eq!(data["invitation"]["status"], "accepted");
        assert_eq!(data["calendar_feed"]["active"], true);
        let device = &made["device"]["items"][0];
        assert_eq!(
            data["push_subscriptions"][0]["endpoint"],
            device["endpoint"]
        );
        assert!(data["push_subscriptions"][0].get("keys").is_none());
        let deliveries = data["deliveries"].as_array().unwrap();
        assert!(
            !deliveries.is_empty(),
            "today's reminders are planned: {data}"
        );
        assert!(deliveries
            .iter()
            .all(|d| d["title"].is_string() && d["body"].is_string()));

        // No secret: no token, no hash, no push key.
        let stored = {
            let mut conn = app.pool.get().unwrap();
            let client = db::clients::find(&mut conn, &client_id).unwrap().unwrap();
            let subs = db::push_subscriptions::list_for_client(&mut conn, &client_id).unwrap();
            let feed = db::calendar_feeds::for_client(&mut conn, &client_id)
                .unwrap()
                .unwrap();
            (client, subs, feed)
        };
        let (client, subs, feed) = stored;
        for secret in [
            token.as_str(),
            client.access_token_hash.as_deref().unwrap(),
            subs[0].p256dh.as_str(),
            subs[0].auth.as_str(),
            feed.token_hash.as_str(),
            made["feed"]["url"].as_str().unwrap(),
        ] {
            assert!(!text.contains(secret), "a secret in the export: {secret}");
        }
        for word in [
            "token_hash",
            "p256dh",
            "\"auth\"",
            "smpc_",
            "smpf_",
            "smpi_",
            "smpu_",
            "smpk_",
        ] {
            assert!(!text.contains(word), "{word} in the export: {text}");
        }

        // In the clinic's log, as the client, named by the subject only.
        let log = audit_of(&app, &client.clinic_id);
        let entry = log
            .iter()
            .find(|e| e.0 == "client.data_exported")
            .expect("audited");
        assert_eq!(entry.1, "client");
        assert_eq!(entry.2, "Client");
        assert_eq!(entry.3, "Ana");
        assert_eq!(entry.4, "as JSON");
        let owner = owner_session(&app, &client.clinic_id).await;
        let page = download(&app, "/console/audit", &owner)
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Downloaded their data"), "{page}");
        assert!(
            page.contains(r#"Client <span class="badge">App</span>"#),
            "{page}"
        );

        // Erased, the client's name leaves the entry too.
        let key = made["key"].as_str().unwrap();
        let erased = app
            .clinic_client(key)
            .delete(&format!("/v1/clients/{client_id}"))
            .await;
        assert_eq!(erased.status(), 204);
        let log = audit_of(&app, &client.clinic_id);
        let entry = log.iter().find(|e| e.0 == "client.data_exported").unwrap();
        assert_eq!(
            (entry.2.as_str(), entry.3.as_str()),
            ("Client", "(erased client)")
        );
        assert!(
            !log.iter()
                .any(|e| e.2.contains("Ana") || e.3.contains("Ana")),
            "{log:?}"
        );
    }
);

/// The app's settings: "Download my data" saves the JSON file in the browser.
async fn the_app_button_saves_the_file(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
        return;
    };
    let (_, token, _) = onboard_with_key(
        &app,
        "ana@client.test",
        "Europe/London",
        json!(["2026-02-25"]),
    )
    .await;
    let browser = Browser::start(&app.address).await;
    let downloads = tempfile::tempdir().unwrap();
    browser
        .page
        .must(
            "Browser.setDownloadBehavior",
            json!({
                "behavior": "allow",
                "downloadPath": downloads.path().display().to_string(),
                "eventsEnabled": true,
            }),
        )
        .await;
    browser.goto("/today").await;
    browser.find("h1").await;
    browser
        .js_async(
            "const done = arguments[arguments.length - 1]; \
             idbKeyval.set('token', arguments[0]).then(() => done(true));",
            vec![json!(token)],
        )
        .await;
    browser.goto("/settings").await;
    let button = browser.wait_text("#export-data", "Download my data").await;
    assert_eq!(button, "Download my data");
    browser.click("#export-data").await;
    let done = browser
        .page
        .wait_event(
            "Browser.downloadProgress",
            |p| p["state"] == "completed",
            Duration::from_secs(15),
        )
        .await;
    let began = browser
        .page
        .wait_event(
            "Browser.downloadWillBegin",
            |_| true,
            Duration::from_secs(1),
        )
        .await;
    assert_eq!(
        began["params"]["suggestedFilename"],
        "smp-aftercare-2026-03-02.json"
    );
    assert!(began["params"]["url"]
        .as_str()
        .unwrap()
        .starts_with("blob:"));
    let saved = downloads.path().join("smp-aftercare-2026-03-02.json");
    let data: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(data["profile"]["email"], "ana@client.test", "{done}");
    browser
        .wait_text("#export-status", "Your data was downloaded.")
        .await;
    browser.assert_no_console_errors();
    if backend == Backend::Sqlite {
        browser
            .js(
                "document.getElementById('export-data').scrollIntoView({block: 'center'});",
                vec![],
            )
            .await;
        browser.screenshot("app-settings-download-data").await;
        browser
            .page
            .must(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": 820, "height": 1180, "deviceScaleFactor": 1, "mobile": true}),
            )
            .await;
        browser
            .js(
                "document.getElementById('export-data').scrollIntoView({block: 'center'});",
                vec![],
            )
            .await;
        browser
            .screenshot("app-settings-download-data-tablet")
            .await;
    }
    let clinics = {
        let mut conn = app.pool.get().unwrap();
        db::clinics::list(&mut conn).unwrap()
    };
    let exported = audit_of(&app, &clinics[0].id);
    assert!(exported.iter().any(|e| e.0 == "client.data_exported"));
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_button_saves_the_file_sqlite() {
    the_app_button_saves_the_file(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_button_saves_the_file_postgres() {
    the_app_button_saves_the_file(Backend::Postgres).await;
}

/// The console's download link in Chromium, at a phone's and a tablet's width: the
/// click saves the CSV, and the page does not scroll sideways at 320 px.
async fn the_console_link_saves_the_csv(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
        return;
    };
    let a = clinic_a(&app).await;
    let browser = Browser::start(&app.address).await;
    let downloads = tempfile::tempdir().unwrap();
    browser
        .page
        .must(
            "Browser.setDownloadBehavior",
            json!({
                "behavior": "allow",
                "downloadPath": downloads.path().display().to_string(),
                "eventsEnabled": true,
            }),
        )
        .await;
    browser.goto("/assets/base.css").await;
    let (name, value) = a.cookie.split_once('=').unwrap();
    let mut cookie = thirtyfour::Cookie::new(name.to_string(), value.to_string());
    cookie.set_path("/console");
    browser.driver.add_cookie(cookie).await.expect("cookie set");
    browser.goto("/console/clients").await;
    browser
        .wait_text(
            "a[href='/console/clients/export.csv']",
            "Download clients (CSV)",
        )
        .await;
    if backend == Backend::Sqlite {
        browser.screenshot("console-clients-export-390").await;
    }
    browser.click("a[href='/console/clients/export.csv']").await;
    browser
        .page
        .wait_event(
            "Browser.downloadProgress",
            |p| p["state"] == "completed",
            Duration::from_secs(15),
        )
        .await;
    let saved = downloads.path().join("clients-2026-03-02.csv");
    let table = rows(&std::fs::read(&saved).unwrap());
    assert_eq!(table.len(), 1 + CLIENTS.len());
    for (width, height) in [(320, 700), (1024, 768)] {
        browser
            .page
            .must(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": width, "height": height, "deviceScaleFactor": 1,
                       "mobile": width < 800}),
            )
            .await;
        browser.goto("/console/clients").await;
        browser.find("a[href='/console/clients/export.csv']").await;
        let sideways = browser
            .js(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await;
        assert_eq!(
            sideways,
            json!(0),
            "the page scrolls sideways at {width} px"
        );
        if backend == Backend::Sqlite && width == 1024 {
            browser.screenshot("console-clients-export").await;
        }
    }
    for (width, height, name) in [
        (1024, 768, "console-audit-export"),
        (390, 844, "console-audit-export-390"),
    ] {
        browser
            .page
            .must(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": width, "height": height, "deviceScaleFactor": 1,
                       "mobile": width < 800}),
            )
            .await;
        browser.goto("/console/audit").await;
        browser
            .wait_text(
                "a[href='/console/audit/export.csv']",
                "Download the log (CSV)",
            )
            .await;
        if backend == Backend::Sqlite {
            browser.screenshot(name).await;
        }
    }
    browser.assert_no_console_errors();
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_link_saves_the_csv_sqlite() {
    the_console_link_saves_the_csv(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_link_saves_the_csv_postgres() {
    the_console_link_saves_the_csv(Backend::Postgres).await;
}
