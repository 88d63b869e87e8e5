//! Acceptance tests for the web faces' security defects found by probing the landed
//! service from outside (issue 25): each fails on the service as it was before.

use std::collections::BTreeSet;

use futures_util::StreamExt;
use rand::distributions::Alphanumeric;
use rand::{Rng, SeedableRng};

use crate::console_support::*;
use crate::db_test;
use crate::helpers::*;

/// Every series of the registry (`name{labels}`), without its value.
fn series(app: &TestApp) -> BTreeSet<String> {
    app.services
        .metrics
        .encode()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| line.rsplit_once(' ').unwrap().0.to_string())
        .collect()
}

fn word(rng: &mut impl Rng, len: usize) -> String {
    rng.sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A request as an attacker would shape it: a made-up method or a real one, on a path
/// that carries a random id or token where routes take one.
fn random_request(rng: &mut impl Rng, shape: usize, method: usize) -> (reqwest::Method, String) {
    let method = match method {
        0 => reqwest::Method::GET,
        1 => reqwest::Method::POST,
        _ => {
            let len = rng.gen_range(3..12);
            let made_up = word(rng, len).to_ascii_uppercase();
            reqwest::Method::from_bytes(made_up.as_bytes()).unwrap()
        }
    };
    let (a, b) = (word(rng, 16), word(rng, 12));
    let path = match shape {
        0 => format!("/v1/clients/{a}"),
        1 => format!("/invite/smpi_{a}_{b}"),
        2 => format!("/unsubscribe/{a}"),
        3 => format!("/console/clients/{a}"),
        4 => format!("/{a}/{b}"),
        5 => format!("/v1/me/today?date={a}"),
        _ => format!("/calendar/smpf_{a}.ics"),
    };
    (method, path)
}

const SHAPES: usize = 7;

/// 10,000 requests with random methods and paths leave the metrics registry with the
/// series it had after one request of each shape: no label value comes from input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_methods_and_paths_add_no_metric_series() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let send = |(method, path): (reqwest::Method, String)| {
        let request = client.request(method, app.url(&path));
        async move {
            request.send().await.expect("request").status();
        }
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(25);
    for shape in 0..SHAPES {
        for method in 0..3 {
            send(random_request(&mut rng, shape, method)).await;
        }
    }
    let before = series(&app);
    let size_before = app.services.metrics.encode().len();
    let requests: Vec<_> = (0..10_000)
        .map(|i| random_request(&mut rng, i % SHAPES, (i / SHAPES) % 3))
        .collect();
    futures_util::stream::iter(requests)
        .map(send)
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    let after = series(&app);
    let added: Vec<_> = after.difference(&before).collect();
    assert!(added.is_empty(), "new series: {added:?}");
    // Counters grew by digits only; no label text was added.
    let size_after = app.services.metrics.encode().len();
    assert!(
        size_after < size_before + 4 * before.len(),
        "{size_before} -> {size_after} bytes"
    );
}

// A state-changing console request that names no origin at all is refused (every
// browser sends `Sec-Fetch-Site` or `Origin`); the console's pages send their referrer
// to themselves only, so a plain-http origin's forms post a real `Origin`, while the
// client's pages still send none.
db_test!(console_posts_must_say_where_they_come_from, |app| {
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let owner = owner_session(&app, &clinic_id).await;
    let bare = app
        .client
        .post(app.url("/console/sign-out"))
        .header("cookie", &owner.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 403);
    let page = app.page("/console", Some(&owner.cookie)).await;
    assert_eq!(page.headers()["referrer-policy"], "same-origin");
    let sign_in = app.page("/console/sign-in", None).await;
    assert_eq!(sign_in.headers()["referrer-policy"], "same-origin");
    assert_eq!(
        app.get("/").await.headers()["referrer-policy"],
        "no-referrer"
    );
    // The post from our own origin, as a plain-http browser sends it, passes.
    let own = app
        .client
        .post(app.url("/console/sign-out"))
        .header("cookie", &owner.cookie)
        .header("origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&own), "/console/sign-in?signed_out=1");
});

// Signing in ends the session the browser's cookie named only when the cookie holds
// that session's secret: a planted id (the public middle of a token) ends nothing.
db_test!(
    signing_in_ends_only_a_session_whose_secret_is_presented,
    |app| {
        let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
        let victim = owner_session(&app, &clinic_id).await;
        let token = victim.cookie.trim_start_matches("smp_console=");
        let id = smp_aftercare::tokens::parse_id(smp_aftercare::tokens::TokenKind::Session, token)
            .unwrap()
            .to_string();
        let forged =
            smp_aftercare::tokens::issue_with_id(smp_aftercare::tokens::TokenKind::Session, &id);
        let before = app.mail_files().len();
        let asked = app
            .form(
                "/console/sign-in",
                None,
                &[("email", "front@northside.test")],
            )
            .await;
        assert_eq!(asked.status(), 200);
        let mail = wait_for_mail(&app, before + 1).await;
        let path = sign_in_path(mail.last().unwrap());
        let forged_cookie = format!("smp_console={}", forged.token);
        let signed = app.form(&path, Some(&forged_cookie), &[]).await;
        assert_eq!(signed.status(), 303);
        let still = app.page("/console/settings", Some(&victim.cookie)).await;
        assert_eq!(still.status(), 200, "the victim's session was ended");
        // The owner's own cookie, presented whole, is ended by signing in again.
        let before = app.mail_files().len();
        app.form(
            "/console/sign-in",
            None,
            &[("email", "front@northside.test")],
        )
        .await;
        let mail = wait_for_mail(&app, before + 1).await;
        let path = sign_in_path(mail.last().unwrap());
        let signed = app.form(&path, Some(&victim.cookie), &[]).await;
        assert_eq!(signed.status(), 303);
        let ended = app.page("/console/settings", Some(&victim.cookie)).await;
        assert_eq!(ended.status(), 303);
    }
);

// JSON answers, the one with an access token first, are never stored by a cache.
db_test!(json_answers_are_not_stored, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let created = clinic
        .post(
            "/v1/clients",
            serde_json::json!({"email": "ana@client.test", "name": "Ana", "timezone": "Europe/London"}),
        )
        .await;
    assert_eq!(created.headers()["cache-control"], "no-store");
    app.flush_outbox().await;
    let token = crate::peers::invitation_token(app.mail_files().last().unwrap());
    let accepted = app
        .client
        .post(app.url(&format!("/v1/invitations/{token}/accept")))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    assert_eq!(accepted.headers()["cache-control"], "no-store");
    let problem = clinic.get("/v1/clients/nobody").await;
    assert_eq!(problem.headers()["cache-control"], "no-store");
    // Assets and the calendar feed keep their own caching.
    let feed = app.get("/openapi.json").await;
    assert_eq!(feed.headers()["cache-control"], "no-store");
});

// The invitation link is minted when its email is composed: no row ever holds it,
// so no freed page can. On SQLite the file itself is searched for the secret.
db_test!(no_invitation_link_is_ever_written_to_the_database, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let created = clinic
        .post(
            "/v1/clients",
            serde_json::json!({"email": "ana@client.test", "name": "Ana", "timezone": "Europe/London"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let rows = || {
        use diesel::prelude::*;
        use smp_aftercare::db::schema::deliveries::dsl::*;
        let mut conn = app.pool.get().unwrap();
        deliveries
            .select(payload)
            .load::<String>(&mut *conn)
            .unwrap()
    };
    for queued in rows() {
        assert!(!queued.contains("/invite/"), "{queued}");
    }
    app.flush_outbox().await;
    let token = crate::peers::invitation_token(app.mail_files().last().unwrap());
    let secret = token.splitn(3, '_').nth(2).unwrap();
    for settled in rows() {
        assert!(!settled.contains(secret), "{settled}");
    }
    if app.database_url.starts_with("sqlite") {
        assert!(
            !database_contains(&app, secret),
            "the secret is in the file"
        );
    }
    // The minted link works.
    let accepted = app
        .client
        .post(app.url(&format!("/v1/invitations/{token}/accept")))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
});

/// SQLite zeroes what a delete frees: an erased client's name is gone from the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_client_leaves_no_bytes_in_the_sqlite_file() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let name = "Zebediah Quillfeather";
    let created: serde_json::Value = clinic
        .post(
            "/v1/clients",
            serde_json::json!({"email": "zq@client.test", "name": name, "timezone": "Europe/London",
                               "sessions": ["2026-03-02"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    app.flush_outbox().await;
    assert!(database_contains(&app, name));
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        clinic.delete(&format!("/v1/clients/{id}")).await.status(),
        204
    );
    assert!(
        !database_contains(&app, name),
        "the erased name is still in the file"
    );
    assert!(
        !database_contains(&app, "zq@client.test"),
        "the erased email is still in the file"
    );
}

// Texts with line breaks are refused at validation, naming the rule: they would
// open properties of their own in every client's calendar feed.
db_test!(protocol_texts_with_line_breaks_are_refused, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let refused = clinic
        .put(
            "/v1/clinic/protocol",
            serde_json::json!({"rules": {"no_washing": {"text": {"en": "Dry\r\nBEGIN:VALARM"}}}}),
        )
        .await;
    let body = assert_problem(refused, 422).await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("no_washing") && detail.contains("control character"),
        "{body}"
    );
    let stored: serde_json::Value = clinic
        .get("/v1/clinic/protocol")
        .await
        .json()
        .await
        .unwrap();
    assert!(!stored.to_string().contains("VALARM"), "{stored}");
});

// At 19 sessions, simultaneous adds make exactly 20: the client's row is locked while
// a change checks the limit (PostgreSQL; SQLite's writers queue anyway). Several
// clients at once, so the adds overlap whatever the scheduling.
db_test!(simultaneous_session_adds_never_pass_the_limit, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let clinic = app.clinic_client(&key);
    let today = app.clock_now().date_naive();
    let dates: Vec<String> = (1..=19)
        .map(|n| (today - chrono::Days::new(n)).to_string())
        .collect();
    let mut ids = Vec::new();
    for n in 0..6 {
        let created: serde_json::Value = clinic
            .post(
                "/v1/clients",
                serde_json::json!({"email": format!("c{n}@client.test"), "name": "Ana",
                                   "timezone": "UTC", "planned_sessions": 10, "sessions": dates}),
            )
            .await
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_str().expect("created").to_string());
    }
    let adds = ids.iter().flat_map(|id| {
        (1..=4).map(move |n| (id.clone(), (today + chrono::Days::new(n)).to_string()))
    });
    let answers = futures_util::future::join_all(adds.map(|(id, date)| {
        let clinic = &clinic;
        async move {
            let path = format!("/v1/clients/{id}/sessions");
            (
                id,
                clinic
                    .post(&path, serde_json::json!({ "date": date }))
                    .await
                    .status(),
            )
        }
    }))
    .await;
    for id in &ids {
        let added = answers.iter().filter(|(i, s)| i == id && *s == 201).count();
        assert_eq!(added, 1, "{answers:?}");
        let client: serde_json::Value = clinic
            .get(&format!("/v1/clients/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(client["sessions"].as_array().unwrap().len(), 20, "{client}");
    }
});
