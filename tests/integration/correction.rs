//! The same-day correction end to end (issue "Never doubled, never 500"): a change by
//! the clinic that contradicts the morning's message sends one `plan_changed` per
//! device and email, with the real push peer and the file transport.

use serde_json::{json, Value};

use crate::db_test;
use crate::engine::{history, pushes, register_push, utc};
use crate::helpers::*;
use crate::peers::{decode_quoted_printable, PushPeer};

/// Session 1 of 3 on 2026-03-02 (London, GMT in March); the day-10 message (gentle
/// washing, avoid sun) goes out at 08:00 on 2026-03-12. Returns (client id, clinic key,
/// client token, mail count after the morning).
async fn day_10_morning_sent(app: &TestApp, push: &PushPeer) -> (String, String, String, usize) {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let created: Value = clinic
        .post(
            "/v1/clients",
            json!({"email": "ana@client.test", "name": "Ana", "timezone": "Europe/London",
                   "sessions": ["2026-03-02"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let token = crate::clients_api::accept_latest_invitation(app).await;
    register_push(app, &token, push, "201").await;
    let engine = app.engine();
    app.clock.set(utc(2026, 3, 12, 8, 0));
    let report = engine.run_once(utc(2026, 3, 12, 8, 0)).await.unwrap();
    assert_eq!(report.dispatched.sent, 2, "{report:?}");
    let morning = pushes(push).await;
    assert_eq!(morning.len(), 1, "{morning:?}");
    assert_eq!(morning[0]["payload_json"]["kind"], "daily_aftercare");
    assert_eq!(
        morning[0]["payload_json"]["rules"],
        json!(["gentle_washing_ok", "avoid_sun"])
    );
    (id, key, token, app.mail_files().len())
}

/// The clinic records a session on `date` at `at`.
async fn record_session(
    app: &TestApp,
    key: &str,
    id: &str,
    date: &str,
    at: chrono::DateTime<chrono::Utc>,
) {
    app.clock.set(at);
    let response = app
        .clinic_client(key)
        .post(&format!("/v1/clients/{id}/sessions"), json!({"date": date}))
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

/// The id of the client's session on `date`.
async fn session_on(app: &TestApp, key: &str, id: &str, date: &str) -> String {
    let client: Value = app
        .clinic_client(key)
        .get(&format!("/v1/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let sessions = client["sessions"].as_array().unwrap();
    let session = sessions.iter().find(|s| s["date"] == date).unwrap();
    session["id"].as_str().unwrap().to_string()
}

fn corrections(items: &[Value]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = items
        .iter()
        .filter(|d| d["kind"] == "plan_changed")
        .map(|d| {
            (
                d["channel"].as_str().unwrap().into(),
                d["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    out.sort();
    out
}

db_test!(
    a_session_recorded_after_the_morning_sends_one_correction,
    |app| {
        let push = PushPeer::start();
        let (id, key, token, mail_before) = day_10_morning_sent(&app, &push).await;

        // 11:00: session 2 is recorded today; /today now says session_day, no washing.
        record_session(&app, &key, &id, "2026-03-12", utc(2026, 3, 12, 11, 0)).await;
        let report = app
            .engine()
            .run_once(utc(2026, 3, 12, 11, 0))
            .await
            .unwrap();
        assert_eq!(report.dispatched.sent, 2, "{report:?}");

        let received = pushes(&push).await;
        assert_eq!(received.len(), 2, "{received:?}");
        let payload = &received[1]["payload_json"];
        assert_eq!(payload["kind"], "plan_changed");
        assert_eq!(payload["date"], "2026-03-12");
        assert_eq!(payload["stage"], "session_day");
        assert_eq!(
            payload["rules"],
            json!([
                "no_washing",
                "no_heavy_sweating",
                "no_swimming",
                "avoid_sun"
            ])
        );
        assert_eq!(received[1]["topic"], "plan-changed");
        let mail = app.mail_files();
        assert_eq!(mail.len(), mail_before + 1);
        let correction = decode_quoted_printable(mail.last().unwrap());
        assert!(
            correction.contains("Your aftercare has changed today"),
            "{correction}"
        );
        assert!(
            correction.contains("Do not wash your scalp."),
            "{correction}"
        );

        // 12:00: another change that day (the session is moved to tomorrow, flipping
        // washing back): no second correction, on any channel.
        let session = session_on(&app, &key, &id, "2026-03-12").await;
        app.clock.set(utc(2026, 3, 12, 12, 0));
        let deleted = app
            .clinic_client(&key)
            .delete(&format!("/v1/clients/{id}/sessions/{session}"))
            .await;
        assert_eq!(deleted.status(), 204);
        record_session(&app, &key, &id, "2026-03-13", utc(2026, 3, 12, 12, 1)).await;
        let report = app
            .engine()
            .run_once(utc(2026, 3, 12, 12, 5))
            .await
            .unwrap();
        assert_eq!(report.dispatched.sent, 0, "{report:?}");
        assert_eq!(pushes(&push).await.len(), 2);
        assert_eq!(app.mail_files().len(), mail_before + 1);

        let items = history(&app, &token).await;
        assert_eq!(
            corrections(&items),
            [
                ("email".into(), "sent".into()),
                ("push".into(), "sent".into())
            ]
        );
    }
);

db_test!(a_change_after_21_00_local_sends_no_correction, |app| {
    let push = PushPeer::start();
    let (id, key, token, mail_before) = day_10_morning_sent(&app, &push).await;
    record_session(&app, &key, &id, "2026-03-12", utc(2026, 3, 12, 21, 30)).await;
    let report = app
        .engine()
        .run_once(utc(2026, 3, 12, 21, 30))
        .await
        .unwrap();
    assert_eq!(report.dispatched.sent, 0, "{report:?}");
    assert_eq!(pushes(&push).await.len(), 1);
    assert_eq!(app.mail_files().len(), mail_before);
    assert_eq!(corrections(&history(&app, &token).await), []);
});

db_test!(a_change_that_flips_nothing_sends_no_correction, |app| {
    let push = PushPeer::start();
    let (id, key, token, mail_before) = day_10_morning_sent(&app, &push).await;
    // Booking the next session for next week changes nothing about today.
    record_session(&app, &key, &id, "2026-03-19", utc(2026, 3, 12, 11, 0)).await;
    let report = app
        .engine()
        .run_once(utc(2026, 3, 12, 11, 0))
        .await
        .unwrap();
    assert_eq!(
        report.planned.clients, 1,
        "the change re-planned the client: {report:?}"
    );
    assert_eq!(report.dispatched.sent, 0, "{report:?}");
    assert_eq!(pushes(&push).await.len(), 1);
    assert_eq!(app.mail_files().len(), mail_before);
    assert_eq!(corrections(&history(&app, &token).await), []);
});

db_test!(a_flip_undone_before_sending_cancels_the_correction, |app| {
    let push = PushPeer::start();
    let (id, key, token, mail_before) = day_10_morning_sent(&app, &push).await;
    record_session(&app, &key, &id, "2026-03-12", utc(2026, 3, 12, 11, 0)).await;
    let engine = app.engine();
    let report = engine.plan(utc(2026, 3, 12, 11, 0)).await.unwrap();
    assert_eq!(report.inserted, 2, "{report:?}");
    // Recorded on the wrong client by mistake: deleted before the correction went out.
    let session = session_on(&app, &key, &id, "2026-03-12").await;
    app.clock.set(utc(2026, 3, 12, 11, 1));
    let deleted = app
        .clinic_client(&key)
        .delete(&format!("/v1/clients/{id}/sessions/{session}"))
        .await;
    assert_eq!(deleted.status(), 204);
    let report = engine.run_once(utc(2026, 3, 12, 11, 2)).await.unwrap();
    assert_eq!(report.planned.cancelled, 2, "{report:?}");
    assert_eq!(report.dispatched.sent, 0, "{report:?}");
    assert_eq!(pushes(&push).await.len(), 1);
    assert_eq!(app.mail_files().len(), mail_before);
    assert_eq!(
        corrections(&history(&app, &token).await),
        [
            ("email".into(), "cancelled".into()),
            ("push".into(), "cancelled".into())
        ]
    );
});
