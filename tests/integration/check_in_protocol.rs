//! A clinic's override of the protocol's `check_in` section, through
//! `PUT /v1/clinic/protocol` as for the rules: refused as a whole with a 422 naming the
//! symptom and nothing stored, or applied to the protocol the service hands out (the
//! levels, the texts, the photo days), recorded in the history, and gone again when the
//! default is restored. On both backends.

use serde_json::{json, Value};
use smp_aftercare::domain::check_in::{assess_on, photo_request_on};
use smp_aftercare::domain::ids::{CheckInLevel, PhotoRequestKind, Symptom};
use smp_aftercare::domain::{Plan, Session};
use smp_aftercare::service::{clinics, protocol_edit};

use crate::console_support::{cli_ref, owner_session};
use crate::db_test;
use crate::helpers::{assert_problem, ApiClient};

async fn protocol(api: &ApiClient<'_>) -> Value {
    api.get("/v1/clinic/protocol").await.json().await.unwrap()
}

fn date(text: &str) -> chrono::NaiveDate {
    text.parse().unwrap()
}

db_test!(
    a_clinic_override_of_the_check_in_is_validated_and_applied,
    |app| {
        let (clinic_id, key) = app.create_clinic("Northside SMP", "front@northside.test");
        let api = app.clinic_client(&key);

        // A gap after day 14: refused, naming the symptom and the day.
        let gap = api
            .put(
                "/v1/clinic/protocol",
                json!({"check_in": {"symptoms": {"itching": {"days": [
                    {"from": 0, "to": 14, "level": "expected"}
                ]}}}}),
            )
            .await;
        let body = assert_problem(gap, 422).await;
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail
                .contains("symptom \"itching\": no level covers day 15 after a non-final session"),
            "{body}"
        );
        let line_break = api
        .put(
            "/v1/clinic/protocol",
            json!({"check_in": {"symptoms": {"discharge": {"urgent": {"en": "Call us.\nToday."}}}}}),
        )
        .await;
        let body = assert_problem(line_break, 422).await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("symptom \"discharge\": urgent \"en\" contains a control character"),
            "{body}"
        );
        let typo = api
            .put(
                "/v1/clinic/protocol",
                json!({"check_in": {"symptoms": {"itching": {"dayz": []}}}}),
            )
            .await;
        assert!(typo.status().is_client_error(), "{}", typo.status());
        assert_eq!(
            protocol(&api).await["overrides"],
            json!({}),
            "nothing was stored"
        );

        // Itching normal for two weeks, a French label, the planning photo on day 10.
        let put = api
            .put(
                "/v1/clinic/protocol",
                json!({"check_in": {
                    "symptoms": {"itching": {
                        "days": [
                            {"from": 0, "to": 14, "level": "expected"},
                            {"from": 15, "to": "for_good", "level": "watch"}
                        ],
                        "label": {"fr": "Démangeaisons légères"}
                    }},
                    "photo_requests": {"plan_next_session": {"day": 10}}
                }}),
            )
            .await;
        assert_eq!(put.status(), 200);
        let got = protocol(&api).await;
        assert_eq!(
            got["overrides"]["check_in"]["symptoms"]["itching"]["days"][0]["to"],
            14
        );
        let label = &got["effective"]["check_in"]["symptoms"]["itching"]["label"];
        assert_eq!(
            label["en"], "Mild itching",
            "the English of the default stays: {label}"
        );
        assert_eq!(label["fr"], "Démangeaisons légères");
        assert_eq!(
            got["effective"]["check_in"]["symptoms"]["redness"]["days"][0]["to"], 3,
            "other symptoms keep the default"
        );

        // The protocol the service hands out applies it.
        let clinic = cli_ref(&app, &clinic_id);
        let current = clinics::protocol(&app.services, &clinic).await.unwrap();
        let plan = Plan::new(3, vec![Session::on(date("2026-03-02"))]).unwrap();
        let day12 = assess_on(
            &plan,
            &current.effective,
            date("2026-03-14"),
            &[Symptom::Itching],
            "fr",
        )
        .unwrap();
        assert_eq!(day12.level, Some(CheckInLevel::Expected));
        assert_eq!(day12.symptoms[0].label, "Démangeaisons légères");
        let day15 = assess_on(
            &plan,
            &current.effective,
            date("2026-03-17"),
            &[Symptom::Itching],
            "en",
        )
        .unwrap();
        assert_eq!(day15.level, Some(CheckInLevel::Watch));
        let photo =
            |on: &str| photo_request_on(&plan, &current.effective, date(on), "en").map(|p| p.kind);
        assert_eq!(photo("2026-03-09"), None);
        assert_eq!(photo("2026-03-12"), Some(PhotoRequestKind::PlanNextSession));

        // The history names what changed, item by item.
        let history = protocol_edit::history(&app.services, &clinic)
            .await
            .unwrap();
        let changes = &history[0].changes;
        assert!(
            changes.contains(&"check_in.symptoms.itching.days.1.to: 2 → 14".to_string()),
            "{changes:?}"
        );
        assert!(
            changes.contains(&"check_in.photo_requests.plan_next_session.day: 7 → 10".to_string()),
            "{changes:?}"
        );

        // Restoring the default brings the default's days back.
        assert_eq!(
            api.put("/v1/clinic/protocol", json!({})).await.status(),
            200
        );
        let current = clinics::protocol(&app.services, &clinic).await.unwrap();
        let day12 = assess_on(
            &plan,
            &current.effective,
            date("2026-03-14"),
            &[Symptom::Itching],
            "en",
        )
        .unwrap();
        assert_eq!(day12.level, Some(CheckInLevel::Watch));
    }
);

db_test!(the_console_preview_shows_the_check_in_of_the_draft, |app| {
    let (clinic_id, _key) = app.create_clinic("Northside", "front@northside.example");
    let owner = owner_session(&app, &clinic_id).await;
    let page = app.page("/console/protocol", Some(&owner.cookie)).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let section = |html: &str, id: &str| -> String {
        let start = html
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no {id} in {html}"));
        let end = html[start..].find("</li>").unwrap();
        // One line: the markup's own line breaks are layout, not content.
        html[start..start + end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let itching = section(&page, "check-in-itching");
    assert!(
        itching.contains(
            "<strong>Mild itching</strong>: Watch days 0-2; Expected days 3-10; Watch day 11 on"
        ),
        "{itching}"
    );
    assert!(
        itching.contains("<dt>Expected</dt><dd>Mild itching is a normal part"),
        "{itching}"
    );
    let discharge = section(&page, "check-in-discharge");
    assert!(discharge.contains("Urgent day 0 on"), "{discharge}");
    assert!(discharge.contains("seek medical care"), "{discharge}");
    let photo = section(&page, "photo-plan_next_session");
    assert!(
        photo.contains("Day 7 of every session before the final one"),
        "{photo}"
    );
    assert!(
        section(&page, "photo-fade_record").contains("Every 12 months after the final session"),
        "{page}"
    );
    // The sample client's day 7 of session 1 is marked in the table of days.
    assert!(page.contains("Photo to plan the next session"), "{page}");
    assert!(
        !page.contains("protocol_check_in."),
        "a text missing from en.json: {page}"
    );

    // A draft that moves itching: the preview follows it, and nothing is saved.
    let document = r#"{"check_in": {"symptoms": {"itching": {"days": [
        {"from": 0, "to": 14, "level": "expected"},
        {"from": 15, "to": "for_good", "level": "watch", "scope": "final_session"},
        {"from": 15, "to": "for_good", "level": "urgent", "scope": "non_final_session"}
    ], "urgent": {"en": "Contact your clinic today."}}}}}"#;
    let draft = [("mode", "document"), ("document", document)];
    let fragment = app
        .form(
            "/console/protocol/preview?fragment=1",
            Some(&owner.cookie),
            &draft,
        )
        .await;
    assert_eq!(fragment.status(), 200);
    let html = fragment.text().await.unwrap();
    let itching = section(&html, "check-in-itching");
    assert!(
        itching.contains(
            ": Expected days 0-14; Urgent day 15 on (sessions before the final one); \
             Watch day 15 on (final session)"
        ),
        "{itching}"
    );
    let current = clinics::protocol(&app.services, &cli_ref(&app, &clinic_id))
        .await
        .unwrap();
    assert_eq!(current.overrides, json!({}), "a preview saves nothing");

    // A gap is refused next to the document, naming the symptom.
    let gap = r#"{"check_in": {"symptoms": {"itching": {"days": [{"from": 1, "to": "for_good", "level": "watch"}]}}}}"#;
    let refused = app
        .form(
            "/console/protocol",
            Some(&owner.cookie),
            &[("mode", "document"), ("document", gap)],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    // The message as the page shows it (quotes escaped by the template).
    assert!(
        html.contains(
            "symptom &quot;itching&quot;: no level covers day 0 after a non-final session"
        ),
        "{html}"
    );
});
