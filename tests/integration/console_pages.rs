//! The console's client, import and protocol pages over HTTP, on both backends:
//! forms that come back with the error next to the field, GETs that change nothing,
//! and clinic isolation on every route (another clinic's client id is a 404 page).

use crate::console_support::{location, owner_session, Signed};
use crate::db_test;
use crate::helpers::TestApp;

/// A multipart upload from our own page (the import form).
async fn upload(app: &TestApp, cookie: &str, step: &str, csv: &str) -> reqwest::Response {
    // multipart/form-data as a browser sends it (RFC 7578).
    let boundary = "----smp-test-boundary-7f3a";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"step\"\r\n\r\n{step}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clients.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    app.client
        .post(app.url("/console/clients/import"))
        .header("accept", "text/html")
        .header("sec-fetch-site", "same-origin")
        .header("cookie", cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(form)
        .send()
        .await
        .unwrap()
}

async fn body(response: reqwest::Response) -> String {
    response.text().await.unwrap()
}

/// Onboards through the form and answers the new client's id.
async fn onboard(app: &TestApp, owner: &Signed, name: &str, email: &str, first: &str) -> String {
    let fields = [
        ("name", name),
        ("email", email),
        ("timezone", "Europe/London"),
        ("first_session", first),
        ("planned_sessions", "3"),
    ];
    let response = app
        .form("/console/clients", Some(&owner.cookie), &fields)
        .await;
    assert_eq!(response.status(), 303, "{}", body(response).await);
    let to = location(&response);
    let id = to
        .strip_prefix("/console/clients/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("redirect to {to}"))
        .to_string();
    id
}

db_test!(onboarding_errors_sit_next_to_their_fields, |app| {
    let (clinic_id, _) = app.create_clinic("Northside", "front@northside.example");
    let owner = owner_session(&app, &clinic_id).await;
    let form = app.page("/console/clients/new", Some(&owner.cookie)).await;
    assert_eq!(form.status(), 200);
    let html = body(form).await;
    assert!(html.contains(r#"<label for="field-timezone">"#), "{html}");

    let fields = [
        ("name", ""),
        ("email", "not-an-email"),
        ("timezone", "Mars/Base"),
        ("first_session", "someday"),
        ("planned_sessions", "12"),
    ];
    let refused = app
        .form("/console/clients", Some(&owner.cookie), &fields)
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = body(refused).await;
    for field in [
        "name",
        "email",
        "timezone",
        "first_session",
        "planned_sessions",
    ] {
        assert!(
            html.contains(&format!(r#"id="error-{field}""#)),
            "{field}: {html}"
        );
        assert!(
            html.contains(&format!(r#"aria-describedby="error-{field}""#))
                || html.contains(&format!(r#"aria-describedby="hint-{field} error-{field}""#)),
            "{field}"
        );
    }
    assert!(
        html.contains(r#"value="not-an-email""#),
        "what was typed stays"
    );

    let id = onboard(&app, &owner, "Ana", "ana@example.net", "2026-03-02").await;
    let again = [
        ("name", "Ana again"),
        ("email", "ANA@example.net"),
        ("timezone", "Europe/London"),
        ("first_session", ""),
        ("planned_sessions", "3"),
    ];
    let duplicate = app
        .form("/console/clients", Some(&owner.cookie), &again)
        .await;
    assert_eq!(duplicate.status(), 422);
    assert!(body(duplicate).await.contains(r#"id="error-email""#));

    let page = body(
        app.page(&format!("/console/clients/{id}"), Some(&owner.cookie))
            .await,
    )
    .await;
    assert!(page.contains("Invitation queued"), "{page}");
    assert!(page.contains("<svg"), "the timeline picture");
});

db_test!(
    another_clinics_client_is_not_found_on_every_console_route,
    |app| {
        let (north_id, _) = app.create_clinic("Northside", "front@northside.example");
        let (south_id, _) = app.create_clinic("Southside", "front@southside.example");
        let north = owner_session(&app, &north_id).await;
        let south = owner_session(&app, &south_id).await;
        let id = onboard(&app, &north, "Ana", "ana@example.net", "2026-03-02").await;
        let page = body(
            app.page(&format!("/console/clients/{id}"), Some(&north.cookie))
                .await,
        )
        .await;
        let session_id = page
            .split("/sessions/")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a session form")
            .trim_end_matches("/delete")
            .to_string();

        for path in [
            format!("/console/clients/{id}"),
            format!("/console/clients/{id}/erase"),
            format!("/console/clients/{id}/sessions/{session_id}/delete"),
        ] {
            let response = app.page(&path, Some(&south.cookie)).await;
            assert_eq!(response.status(), 404, "{path}");
            assert!(body(response).await.contains("Page not found"), "{path}");
        }
        let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
            (
                format!("/console/clients/{id}/sessions"),
                vec![("date", "2026-03-12")],
            ),
            (
                format!("/console/clients/{id}/sessions/{session_id}"),
                vec![("date", "2026-03-03")],
            ),
            (
                format!("/console/clients/{id}/sessions/{session_id}/delete"),
                vec![],
            ),
            (format!("/console/clients/{id}/invitation"), vec![]),
            (
                format!("/console/clients/{id}/email"),
                vec![("email", "x@example.net")],
            ),
            (
                format!("/console/clients/{id}/erase"),
                vec![("confirm", "Ana")],
            ),
        ];
        for (path, fields) in &posts {
            let response = app.form(path, Some(&south.cookie), fields).await;
            assert_eq!(response.status(), 404, "{path}");
        }
        // Nothing changed for Northside: one session, the same email, still there.
        let page = body(
            app.page(&format!("/console/clients/{id}"), Some(&north.cookie))
                .await,
        )
        .await;
        assert!(page.contains("ana@example.net"));
        assert_eq!(page.matches("class=\"session\"").count(), 1);
        let list = body(app.page("/console/clients", Some(&south.cookie)).await).await;
        assert!(!list.contains("Ana"), "{list}");
    }
);

db_test!(
    sessions_are_recorded_changed_and_deleted_with_confirmation,
    |app| {
        let (clinic_id, _) = app.create_clinic("Northside", "front@northside.example");
        let owner = owner_session(&app, &clinic_id).await;
        let id = onboard(&app, &owner, "Ana", "ana@example.net", "2026-03-02").await;
        let path = format!("/console/clients/{id}");

        let added = app
            .form(
                &format!("{path}/sessions"),
                Some(&owner.cookie),
                &[("date", "2026-03-12")],
            )
            .await;
        assert_eq!(added.status(), 303);
        let clash = app
            .form(
                &format!("{path}/sessions"),
                Some(&owner.cookie),
                &[("date", "2026-03-12")],
            )
            .await;
        assert_eq!(clash.status(), 422);
        let html = body(clash).await;
        assert!(html.contains("one session per date"), "{html}");

        let page = body(app.page(&path, Some(&owner.cookie)).await).await;
        assert_eq!(page.matches("class=\"session\"").count(), 2);
        // Each session has its form and its delete link: the second session is the third.
        let second = page.split(&format!("{path}/sessions/")).nth(3).unwrap();
        let second_id = second.split('"').next().unwrap().to_string();
        let fields = [
            ("date", "2026-03-13"),
            ("notes", "crown"),
            ("marked_final", "true"),
        ];
        let edited = app
            .form(
                &format!("{path}/sessions/{second_id}"),
                Some(&owner.cookie),
                &fields,
            )
            .await;
        assert_eq!(edited.status(), 303);
        let page = body(app.page(&path, Some(&owner.cookie)).await).await;
        assert!(
            page.contains(r#"value="2026-03-13""#) && page.contains(">crown</textarea>"),
            "{page}"
        );
        assert!(page.contains("badge ok\">Final"), "marked final");

        // The delete link asks first (a GET changes nothing), the POST deletes.
        let confirm = app
            .page(
                &format!("{path}/sessions/{second_id}/delete"),
                Some(&owner.cookie),
            )
            .await;
        assert_eq!(confirm.status(), 200);
        assert_eq!(
            body(app.page(&path, Some(&owner.cookie)).await)
                .await
                .matches("class=\"session\"")
                .count(),
            2
        );
        let deleted = app
            .form(
                &format!("{path}/sessions/{second_id}/delete"),
                Some(&owner.cookie),
                &[],
            )
            .await;
        assert_eq!(deleted.status(), 303);
        assert_eq!(
            body(app.page(&path, Some(&owner.cookie)).await)
                .await
                .matches("class=\"session\"")
                .count(),
            1
        );

        // Erasing needs the name typed.
        let wrong = app
            .form(
                &format!("{path}/erase"),
                Some(&owner.cookie),
                &[("confirm", "Bo")],
            )
            .await;
        assert_eq!(wrong.status(), 422);
        assert_eq!(app.page(&path, Some(&owner.cookie)).await.status(), 200);
        let erased = app
            .form(
                &format!("{path}/erase"),
                Some(&owner.cookie),
                &[("confirm", "ana")],
            )
            .await;
        assert_eq!(location(&erased), "/console/clients?done=erased");
        assert_eq!(app.page(&path, Some(&owner.cookie)).await.status(), 404);
    }
);

db_test!(the_import_page_previews_then_imports_once, |app| {
    let (clinic_id, _) = app.create_clinic("Northside", "front@northside.example");
    let owner = owner_session(&app, &clinic_id).await;
    let csv = "name,email,time zone,session dates\n\
               Ana,ana@example.net,Europe/London,2026-03-02\n\
               Bad,bad@,Europe/London,2026-03-02\n";
    let preview = upload(&app, &owner.cookie, "preview", csv).await;
    assert_eq!(preview.status(), 200);
    let html = body(preview).await;
    assert!(html.contains("<strong>1</strong> new client"), "{html}");
    assert!(
        html.contains("<strong>email</strong>:"),
        "the bad row's error names its column"
    );
    let list = body(app.page("/console/clients", Some(&owner.cookie)).await).await;
    assert!(
        !list.contains("ana@example.net"),
        "a preview imports nothing"
    );

    let done = body(upload(&app, &owner.cookie, "import", csv).await).await;
    assert!(done.contains("Imported 1 client."), "{done}");
    let again = body(upload(&app, &owner.cookie, "import", csv).await).await;
    assert!(again.contains("Imported 0 clients."), "{again}");
    let list = body(app.page("/console/clients", Some(&owner.cookie)).await).await;
    assert_eq!(list.matches("ana@example.net").count(), 1, "{list}");

    let broken = upload(&app, &owner.cookie, "preview", "phone\n123\n").await;
    assert_eq!(broken.status(), 422);
    assert!(body(broken).await.contains(r#"id="error-file""#));
});

db_test!(the_protocol_page_previews_refuses_and_saves, |app| {
    let (clinic_id, key) = app.create_clinic("Northside", "front@northside.example");
    let owner = owner_session(&app, &clinic_id).await;
    let page = body(app.page("/console/protocol", Some(&owner.cookie)).await).await;
    assert!(
        page.contains(r#"name="rules.gentle_washing_ok.from" type="number" value="5""#),
        "{page}"
    );

    // The live preview's fragment: only the preview, and nothing saved.
    let draft = [("mode", "rules"), ("rules.gentle_washing_ok.from", "10")];
    let fragment = app
        .form(
            "/console/protocol/preview?fragment=1",
            Some(&owner.cookie),
            &draft,
        )
        .await;
    assert_eq!(fragment.status(), 200);
    let html = body(fragment).await;
    assert!(html.starts_with("<h2 id=\"preview-title\">"), "{html}");
    assert!(html.contains("Unsaved draft"));
    let api = app.clinic_client(&key);
    let saved: serde_json::Value = api.get("/v1/clinic/protocol").await.json().await.unwrap();
    assert_eq!(saved["overrides"], serde_json::json!({}));

    // A clash is shown on the rule at fault, with the draft as typed.
    let clash = [("mode", "rules"), ("rules.daily_spf.from", "5")];
    let refused = app
        .form("/console/protocol", Some(&owner.cookie), &clash)
        .await;
    assert_eq!(refused.status(), 422);
    let html = body(refused).await;
    assert!(html.contains(r#"id="error-rules.daily_spf""#), "{html}");

    let bad_doc = [
        ("mode", "document"),
        ("document", r#"{"rules": {"sunbathing": {}}}"#),
    ];
    let refused = app
        .form("/console/protocol", Some(&owner.cookie), &bad_doc)
        .await;
    assert_eq!(refused.status(), 422);
    assert!(body(refused).await.contains(r#"id="error-document""#));

    let fields = [("mode", "rules"), ("rules.gentle_washing_ok.from", "10")];
    let saved = app
        .form("/console/protocol", Some(&owner.cookie), &fields)
        .await;
    assert_eq!(location(&saved), "/console/protocol?done=saved");
    let stored: serde_json::Value = api.get("/v1/clinic/protocol").await.json().await.unwrap();
    assert_eq!(
        stored["overrides"]["rules"]["gentle_washing_ok"]["from"],
        10
    );
    let page = body(app.page("/console/protocol", Some(&owner.cookie)).await).await;
    assert!(
        page.contains("rules.gentle_washing_ok.from: 5 → 10"),
        "{page}"
    );
});

db_test!(
    today_at_the_clinic_lists_who_needs_someone_this_week,
    |app| {
        let (clinic_id, _) = app.create_clinic("Northside", "front@northside.example");
        let owner = owner_session(&app, &clinic_id).await;
        // Today is 2026-03-02: Cy's window (27 Feb - 6 Mar) is open, Di's closed on 15 Feb.
        onboard(&app, &owner, "Cy Series", "cy@example.net", "2026-02-20").await;
        onboard(&app, &owner, "Di Overdue", "di@example.net", "2026-02-01").await;
        let today = body(app.page("/console", Some(&owner.cookie)).await).await;
        let section = |id: &str| {
            let start = today
                .find(&format!(r#"id="{id}""#))
                .unwrap_or_else(|| panic!("{id}: {today}"));
            let rest = &today[start..];
            rest[..rest.find("</section>").unwrap()].to_string()
        };
        assert!(section("windows").contains("Cy Series"), "{today}");
        assert!(!section("windows").contains("Di Overdue"));
        assert!(section("overdue").contains("Di Overdue"));
        assert!(section("invitations").contains("Every client invited 3 or more days ago"));

        app.clock.advance(chrono::Duration::days(3));
        // Three days idle end a session: sign in again.
        let owner = owner_session(&app, &clinic_id).await;
        let later = body(app.page("/console", Some(&owner.cookie)).await).await;
        let start = later.find(r#"id="invitations""#).unwrap();
        let invitations = &later[start..];
        assert!(invitations.contains("Cy Series") && invitations.contains("Di Overdue"));
    }
);
