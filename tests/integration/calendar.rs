//! The client's subscribable calendar: the feed read by a real iCalendar parser
//! (Python's `icalendar`, tests/peers/ics_parse.py), its events checked against the
//! domain and the client's own day views, polled across the clinic's edits, and its
//! secret URL created, rotated and revoked.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::clients_api::accept_latest_invitation;
use crate::db_test;
use crate::engine::client_id_of;
use crate::helpers::*;

/// A client of a new clinic, invited and accepted: (client id, access token, clinic key).
async fn onboard(app: &TestApp, email: &str, sessions: Value) -> (String, String, String) {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let created = app
        .clinic_client(&key)
        .post(
            "/v1/clients",
            json!({"email": email, "name": "Ana", "timezone": "Europe/London", "sessions": sessions}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let token = accept_latest_invitation(app).await;
    (created["id"].as_str().unwrap().to_string(), token, key)
}

/// What Python's `icalendar` reads in `ics` (see tests/peers/ics_parse.py).
fn parse_ics(ics: &str) -> Value {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/ics_parse.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (pip install -r tests/peers/requirements.txt)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "icalendar refused the feed: {}\n{ics}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The path of a feed URL on the test app (`server.public_url` is http://app.test).
fn feed_path(url: &str) -> String {
    url.strip_prefix("http://app.test")
        .unwrap_or_else(|| panic!("the feed is on public_url: {url}"))
        .to_string()
}

async fn issue_feed(app: &TestApp, token: &str) -> Value {
    let response = app
        .clinic_client(token)
        .post("/v1/me/calendar", json!({}))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

struct Poll {
    status: u16,
    etag: String,
    body: String,
    headers: reqwest::header::HeaderMap,
}

async fn poll(app: &TestApp, path: &str, if_none_match: Option<&str>) -> Poll {
    let mut request = app.client.get(app.url(path));
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let etag = headers
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    Poll {
        status,
        etag,
        body: response.text().await.unwrap(),
        headers,
    }
}

/// (summary, first day, day after the last) of each parsed event, in feed order.
fn spans(parsed: &Value) -> Vec<(String, String, String)> {
    parsed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["summary"].as_str().unwrap().to_string(),
                e["dtstart"].as_str().unwrap().to_string(),
                e["dtend"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// uid -> (summary, dtstart, dtend).
fn by_uid(parsed: &Value) -> BTreeMap<String, (String, String, String)> {
    parsed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["uid"].as_str().unwrap().to_string(),
                (
                    e["summary"].as_str().unwrap().to_string(),
                    e["dtstart"].as_str().unwrap().to_string(),
                    e["dtend"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

fn span(summary: &str, first: &str, end: &str) -> (String, String, String) {
    (summary.to_string(), first.to_string(), end.to_string())
}

db_test!(the_feed_is_the_plan_as_a_calendar_app_reads_it, |app| {
    // domain.md's example: sessions 2026-03-02 and 2026-03-12 of 3 planned.
    let (_, token, _) = onboard(&app, "ana@client.test", json!(["2026-03-02", "2026-03-12"])).await;
    let me = app.clinic_client(&token);
    let status: Value = me.get("/v1/me/calendar").await.json().await.unwrap();
    assert_eq!(status, json!({"active": false, "created_at": null}));

    let issued = issue_feed(&app, &token).await;
    let url = issued["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://app.test/calendar/smpf_") && url.ends_with(".ics"),
        "{url}"
    );
    assert_eq!(
        issued["webcal_url"].as_str().unwrap(),
        url.replacen("http://", "webcal://", 1)
    );
    assert_eq!(issued["created_at"], "2026-03-02T07:00:00Z");
    let status: Value = me.get("/v1/me/calendar").await.json().await.unwrap();
    assert_eq!(
        status,
        json!({"active": true, "created_at": "2026-03-02T07:00:00Z"})
    );

    let path = feed_path(url);
    let first = poll(&app, &path, None).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(
        first.headers["content-type"],
        "text/calendar; charset=utf-8"
    );
    assert_eq!(first.headers["cache-control"], "private, max-age=300");
    assert!(
        first.etag.starts_with("W/\"") && first.etag.ends_with('"'),
        "{}",
        first.etag
    );
    let parsed = parse_ics(&first.body);
    assert_eq!(
        parsed["content_lines"]["crlf"], true,
        "RFC 5545 lines end in CRLF"
    );
    assert!(parsed["content_lines"]["longest_octets"].as_u64().unwrap() <= 75);
    let calendar = &parsed["calendar"];
    assert_eq!(calendar["VERSION"], "2.0");
    assert_eq!(calendar["METHOD"], "PUBLISH");
    assert_eq!(calendar["X-WR-CALNAME"], "SMP aftercare");
    assert_eq!(calendar["NAME"], "SMP aftercare");
    assert_eq!(calendar["X-WR-CALDESC"], "Northside SMP");
    assert_eq!(calendar["REFRESH-INTERVAL"], "PT1H");
    assert_eq!(calendar["X-PUBLISHED-TTL"], "PT1H");

    // The domain's dates, all-day, DTEND the day after the last day.
    assert_eq!(
        spans(&parsed),
        [
            span("SMP session 1", "2026-03-02", "2026-03-03"),
            span("You may wash gently from today", "2026-03-07", "2026-03-08"),
            span("SMP session 2", "2026-03-12", "2026-03-13"),
            span("You may wash gently from today", "2026-03-17", "2026-03-18"),
            span("Window for SMP session 3", "2026-03-19", "2026-03-27"),
            span("Sun avoidance is over", "2026-03-23", "2026-03-24"),
        ]
    );
    let events = parsed["events"].as_array().unwrap();
    for event in events {
        assert_eq!(event["all_day"], true, "{event}");
        // DTSTAMP is the service's clock, not the wall clock.
        assert_eq!(event["dtstamp"], "2026-03-02T07:00:00Z", "{event}");
        assert_eq!(event["transp"], "TRANSPARENT");
        let start = event["dtstart"].as_str().unwrap();
        assert_eq!(event["url"], format!("http://app.test/days/{start}"));
        assert!(
            !event["description"].as_str().unwrap().is_empty(),
            "{event}"
        );
    }
    let uids: std::collections::BTreeSet<&str> =
        events.iter().map(|e| e["uid"].as_str().unwrap()).collect();
    assert_eq!(uids.len(), events.len(), "one UID per event");

    // The same as the client's own day views say.
    let day: Value = me.get("/v1/me/days/2026-03-15").await.json().await.unwrap();
    assert_eq!(
        day["next_session_window"],
        json!({"from": "2026-03-19", "to": "2026-03-26", "overdue": false})
    );
    let timeline: Value = me
        .get("/v1/me/timeline?from=2026-03-01&to=2026-03-31")
        .await
        .json()
        .await
        .unwrap();
    let milestone_days: Vec<(String, String)> = timeline["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| {
            d["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(move |m| {
                    let id = m["id"].as_str().unwrap();
                    ["gentle_washing_allowed", "sun_avoidance_over"]
                        .contains(&id)
                        .then(|| {
                            (
                                d["date"].as_str().unwrap().to_string(),
                                m["title"].as_str().unwrap().to_string(),
                            )
                        })
                })
        })
        .collect();
    let milestone_events: Vec<(String, String)> = events
        .iter()
        .filter(|e| {
            let summary = e["summary"].as_str().unwrap();
            !summary.starts_with("SMP session") && !summary.starts_with("Window")
        })
        .map(|e| {
            (
                e["dtstart"].as_str().unwrap().to_string(),
                e["summary"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(milestone_events, milestone_days);
    let window = &events[4];
    let opening: Value = me.get("/v1/me/days/2026-03-19").await.json().await.unwrap();
    let open_text = opening["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "next_session_window_open")
        .unwrap()["text"]
        .clone();
    assert_eq!(window["description"], open_text);

    // Polling changes nothing: same ETag, a 304 for the copy the app has, the same
    // status, and the same feed a day later (with that day's DTSTAMP).
    let again = poll(&app, &path, None).await;
    assert_eq!(again.etag, first.etag);
    let unchanged = poll(&app, &path, Some(&first.etag)).await;
    assert_eq!(unchanged.status, 304);
    assert!(unchanged.body.is_empty());
    assert_eq!(unchanged.etag, first.etag);
    assert_eq!(unchanged.headers["cache-control"], "private, max-age=300");
    let status: Value = me.get("/v1/me/calendar").await.json().await.unwrap();
    assert_eq!(status["created_at"], "2026-03-02T07:00:00Z");
    app.clock.advance(chrono::Duration::days(1));
    let tomorrow = poll(&app, &path, None).await;
    assert_eq!(tomorrow.etag, first.etag);
    let parsed_tomorrow = parse_ics(&tomorrow.body);
    assert_eq!(by_uid(&parsed_tomorrow), by_uid(&parsed));
    assert_eq!(
        parsed_tomorrow["events"][0]["dtstamp"],
        "2026-03-03T07:00:00Z"
    );
});

db_test!(
    a_poll_after_the_clinic_edits_sessions_updates_events_in_place,
    |app| {
        let (client_id, token, key) =
            onboard(&app, "ana@client.test", json!(["2026-03-02", "2026-03-12"])).await;
        let path = feed_path(issue_feed(&app, &token).await["url"].as_str().unwrap());
        let before = poll(&app, &path, None).await;
        let old = by_uid(&parse_ics(&before.body));
        assert_eq!(old.len(), 6);

        // The clinic records the final session.
        let clinic = app.clinic_client(&key);
        let added = clinic
            .post(
                &format!("/v1/clients/{client_id}/sessions"),
                json!({"date": "2026-03-24"}),
            )
            .await;
        assert_eq!(added.status(), 201);
        let after = poll(&app, &path, Some(&before.etag)).await;
        assert_eq!(after.status, 200, "the old ETag no longer matches");
        assert_ne!(after.etag, before.etag);
        let new = by_uid(&parse_ics(&after.body));
        // Every event that did not change keeps its UID (and its dates); the window closed.
        for (uid, event) in &old {
            if event.0.starts_with("Window") {
                assert!(!new.contains_key(uid), "the window is gone: {new:?}");
            } else {
                assert_eq!(new.get(uid), Some(event), "{uid} kept");
            }
        }
        let added: Vec<&(String, String, String)> = new
            .iter()
            .filter(|(uid, _)| !old.contains_key(*uid))
            .map(|(_, e)| e)
            .collect();
        let mut added: Vec<(String, String, String)> = added.into_iter().cloned().collect();
        added.sort_by(|a, b| a.1.cmp(&b.1));
        assert_eq!(
            added,
            [
                span("SMP session 3", "2026-03-24", "2026-03-25"),
                span("You may wash gently from today", "2026-03-29", "2026-03-30"),
                span("Sun avoidance is over", "2026-04-04", "2026-04-05"),
                span("Your scalp has healed", "2026-04-23", "2026-04-24"),
                span("Time for a touch-up", "2029-03-24", "2029-03-25"),
            ]
        );

        // The clinic moves session 2 a day earlier: its events move, under the same UIDs.
        let client: Value = clinic
            .get(&format!("/v1/clients/{client_id}"))
            .await
            .json()
            .await
            .unwrap();
        let second = client["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["date"] == "2026-03-12")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let moved = clinic
            .patch(
                &format!("/v1/clients/{client_id}/sessions/{second}"),
                json!({"date": "2026-03-11"}),
            )
            .await;
        assert_eq!(moved.status(), 200);
        let third = poll(&app, &path, Some(&after.etag)).await;
        assert_eq!(third.status, 200);
        let moved = by_uid(&parse_ics(&third.body));
        assert_eq!(
            moved.keys().collect::<Vec<_>>(),
            new.keys().collect::<Vec<_>>(),
            "the same events"
        );
        let mut changed: Vec<_> = new
            .iter()
            .filter(|(uid, was)| moved[*uid] != **was)
            .map(|(uid, was)| (was.clone(), moved[uid].clone()))
            .collect();
        changed.sort();
        assert_eq!(
            changed,
            [
                (
                    span("SMP session 2", "2026-03-12", "2026-03-13"),
                    span("SMP session 2", "2026-03-11", "2026-03-12")
                ),
                (
                    span("Sun avoidance is over", "2026-03-23", "2026-03-24"),
                    span("Sun avoidance is over", "2026-03-22", "2026-03-23")
                ),
                (
                    span("You may wash gently from today", "2026-03-17", "2026-03-18"),
                    span("You may wash gently from today", "2026-03-16", "2026-03-17")
                ),
            ]
        );
    }
);

db_test!(revoked_rotated_and_foreign_feed_urls_are_404, |app| {
    let (client_id, token, key) = onboard(&app, "ana@client.test", json!(["2026-03-02"])).await;
    let (_, other_token, _) =
        onboard(&app, "bea@client.test", json!(["2026-02-20", "2026-03-01"])).await;
    let me = app.clinic_client(&token);

    // A DELETE with nothing to revoke is fine.
    assert_eq!(me.delete("/v1/me/calendar").await.status(), 204);

    let first = feed_path(issue_feed(&app, &token).await["url"].as_str().unwrap());
    assert_eq!(poll(&app, &first, None).await.status, 200);

    // Rotating: the new URL works, the old one is gone.
    app.clock.advance(chrono::Duration::minutes(5));
    let rotated = issue_feed(&app, &token).await;
    assert_eq!(rotated["created_at"], "2026-03-02T07:05:00Z");
    let second = feed_path(rotated["url"].as_str().unwrap());
    assert_ne!(second, first);
    assert_gone(poll(&app, &first, None).await);
    assert_eq!(poll(&app, &second, None).await.status, 200);

    // Another client's feed is theirs: their sessions, their URL. A token made of this
    // client's id and the other's secret opens nothing.
    let others = feed_path(
        issue_feed(&app, &other_token).await["url"]
            .as_str()
            .unwrap(),
    );
    let theirs = parse_ics(&poll(&app, &others, None).await.body);
    assert_eq!(theirs["events"][0]["dtstart"], "2026-02-20");
    let mine = parse_ics(&poll(&app, &second, None).await.body);
    assert_eq!(mine["events"][0]["dtstart"], "2026-03-02");
    let token_of = |path: &str| {
        path.strip_prefix("/calendar/")
            .and_then(|p| p.strip_suffix(".ics"))
            .unwrap()
            .to_string()
    };
    let (mine_token, their_token) = (token_of(&second), token_of(&others));
    let mine_id = &mine_token[..5 + 16];
    let their_secret = &their_token[5 + 16..];
    assert_gone(
        poll(
            &app,
            &format!("/calendar/{mine_id}{their_secret}.ics"),
            None,
        )
        .await,
    );
    // The other client's access token sees only its own feed.
    let other_status: Value = app
        .clinic_client(&other_token)
        .get("/v1/me/calendar")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other_status["created_at"], "2026-03-02T07:05:00Z");
    assert_eq!(
        app.clinic_client(&other_token)
            .delete("/v1/me/calendar")
            .await
            .status(),
        204
    );
    assert_gone(poll(&app, &others, None).await);
    assert_eq!(
        poll(&app, &second, None).await.status,
        200,
        "mine still works"
    );

    // Unknown and malformed tokens.
    for path in [
        "/calendar/smpf_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics",
        "/calendar/not-a-token.ics",
        "/calendar/smpc_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics",
    ] {
        assert_gone(poll(&app, path, None).await);
    }

    // Revoking: the URL is gone and the status says so.
    assert_eq!(me.delete("/v1/me/calendar").await.status(), 204);
    assert_gone(poll(&app, &second, None).await);
    let status: Value = me.get("/v1/me/calendar").await.json().await.unwrap();
    assert_eq!(status, json!({"active": false, "created_at": null}));

    // Erasing the client erases its feed.
    let third = feed_path(issue_feed(&app, &token).await["url"].as_str().unwrap());
    assert_eq!(poll(&app, &third, None).await.status, 200);
    let erased = app
        .clinic_client(&key)
        .delete(&format!("/v1/clients/{client_id}"))
        .await;
    assert_eq!(erased.status(), 204);
    assert_gone(poll(&app, &third, None).await);
    assert!(
        !client_id_of(&app, &other_token).await.is_empty(),
        "the other client remains"
    );
});

/// The feed's answer to a URL that no longer works: a short plain text, never a 500
/// or a problem body.
fn assert_gone(poll: Poll) {
    assert_eq!(poll.status, 404, "{}", poll.body);
    assert_eq!(poll.headers["content-type"], "text/plain; charset=utf-8");
    assert!(poll.body.contains("no longer works"), "{}", poll.body);
    assert!(poll.body.len() < 300);
}
