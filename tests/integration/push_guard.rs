//! The push-endpoint guard: registration refuses endpoints that point inside the
//! operator's network, and the sender refuses them again at send time on the addresses
//! it would really connect to, without any connection being made.

use std::io::ErrorKind;
use std::net::TcpListener as StdListener;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use smp_aftercare::clock::SystemClock;
use smp_aftercare::config::OriginPattern;
use smp_aftercare::db::{deliveries, push_subscriptions};
use smp_aftercare::domain::DeliveryStatus;
use smp_aftercare::notify::push::{PushMessage, PushOutcome, PushSender, PushTarget, PushUrgency};
use smp_aftercare::notify::vapid::VapidKeys;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::clients_api::valid_p256dh;
use crate::db_test;
use crate::engine::{client_id_of, onboard, utc};
use crate::helpers::*;

/// Each was accepted (201) before the guard, though each points inside the operator's
/// network. `localtest.me` (a public name resolving to 127.0.0.1) passes registration,
/// which only reads the URL; the sender refuses such names, shown below with `localhost`
/// because this machine has no DNS beyond /etc/hosts.
const REFUSED_AT_REGISTRATION: &[&str] = &[
    "https://localhost./x",
    "https://foo.local./x",
    "https://metadata.google.internal./x",
    "https://[64:ff9b::a9fe:a9fe]/x",
    "https://[::127.0.0.1]/x",
    "https://[2002:7f00:1::1]/x",
    "https://[fec0::1]/x",
    "https://198.18.0.1/x",
    "https://240.0.0.1/x",
    "https://192.0.0.170/x",
    // The test settings allow `http://127.0.0.1:*`; as a string prefix this matched.
    "http://127.0.0.1:1@169.254.169.254/latest/meta-data/",
];

const AUTH: &str = "AAAAAAAAAAAAAAAAAAAAAA";

db_test!(
    every_address_from_the_issue_is_refused_at_registration,
    |app| {
        let (_, token) = onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
        let me = app.clinic_client(&token);
        for endpoint in REFUSED_AT_REGISTRATION {
            let response = me
                .post(
                    "/v1/me/push-subscriptions",
                    json!({"endpoint": endpoint, "expirationTime": null,
                       "keys": {"p256dh": valid_p256dh(), "auth": AUTH}}),
                )
                .await;
            let problem = assert_problem(response, 422).await;
            assert!(
                problem.to_string().contains("endpoint"),
                "{endpoint}: {problem}"
            );
        }
        let listed: serde_json::Value = me
            .get("/v1/me/push-subscriptions")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["items"], json!([]), "nothing was stored");
    }
);

// A subscription stored before the guard existed, aimed at a name resolving to
// loopback: the engine's send is refused, as a permanent failure, and never connects.
db_test!(
    a_stored_endpoint_resolving_to_loopback_fails_permanently,
    |app| {
        let (listener, port) = silent_listener();
        let (client_id, token) = {
            let (_, token) = onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
            (client_id_of(&app, &token).await, token)
        };
        app.clinic_client(&token)
            .patch("/v1/me/preferences", json!({"channels": {"email": false}}))
            .await;
        let at = utc(2026, 3, 2, 7, 0).naive_utc();
        let stored = push_subscriptions::PushSubscription {
            id: uuid::Uuid::now_v7().to_string(),
            client_id: client_id.clone(),
            // Not the allowed `http://127.0.0.1:*`: another scheme and host.
            endpoint: format!("https://localhost:{port}/push/1"),
            p256dh: valid_p256dh().to_string(),
            auth: AUTH.to_string(),
            expiration_time: None,
            created_at: at,
            updated_at: at,
            disabled_at: None,
            disabled_reason: None,
        };
        let mut conn = app.pool.get().unwrap();
        let (stored, _) = push_subscriptions::upsert(&mut conn, stored).unwrap();

        let report = app.engine().run_once(utc(2026, 3, 2, 8, 0)).await.unwrap();
        assert_eq!(
            (report.dispatched.claimed, report.dispatched.failed),
            (1, 1),
            "{report:?}"
        );
        let rows = deliveries::for_client_from(&mut conn, &client_id, at.date()).unwrap();
        let row = rows
            .iter()
            .find(|r| r.target == stored.id)
            .expect("a push delivery");
        assert_eq!(row.status, DeliveryStatus::Failed);
        assert_eq!(row.attempts, 1, "refused once, never retried");
        let error = row.last_error.as_deref().unwrap_or_default();
        assert!(error.contains("localhost resolves to 127.0.0.1"), "{error}");
        assert_no_connection(&listener);
    }
);

#[tokio::test]
async fn names_and_literals_inside_our_network_are_refused_at_send_time() {
    let (listener, port) = silent_listener();
    let other = port.wrapping_add(1).max(1);
    // Exempting another origin on loopback must not open this one.
    let allowed: Vec<OriginPattern> = vec![format!("http://127.0.0.1:{other}").parse().unwrap()];
    for sender in [sender(&[]), sender(&allowed)] {
        for endpoint in [
            format!("http://localhost:{port}/push/1"),
            format!("https://localhost:{port}/push/1"),
        ] {
            let reason = refused(&sender, &endpoint).await;
            assert!(
                reason.contains("localhost resolves to 127.0.0.1"),
                "{endpoint}: {reason}"
            );
        }
        for endpoint in [
            format!("http://127.0.0.1:{port}/push/1"),
            format!("http://2130706433:{port}/push/1"),
            format!("http://[::ffff:127.0.0.1]:{port}/push/1"),
            format!("http://127.0.0.1:{other}@127.0.0.1:{port}/push/1"),
        ] {
            let reason = refused(&sender, &endpoint).await;
            assert!(
                reason.contains("127.0.0.1 is not a public address"),
                "{endpoint}: {reason}"
            );
        }
    }
    assert_no_connection(&listener);
}

#[tokio::test]
async fn an_allowed_origin_is_reached_and_only_that_origin() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let allowed: Vec<OriginPattern> = vec![format!("http://localhost:{port}").parse().unwrap()];
    let sender = sender(&allowed);

    // Same host and port, other scheme: not the allowed origin.
    refused(&sender, &format!("https://localhost:{port}/push/1")).await;

    let answer = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_request(&mut stream).await;
        stream
            .write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
    });
    let outcome = sender
        .send(
            &target(&format!("http://localhost:{port}/push/1")),
            &message(),
        )
        .await;
    assert_eq!(outcome, PushOutcome::Sent { status: 201 });
    answer.await.unwrap();
}

fn sender(allowed: &[OriginPattern]) -> PushSender {
    PushSender::with_insecure_origins(
        VapidKeys::generate(),
        "mailto:push-ops@hairline-studio.co.uk",
        Duration::from_secs(5),
        Arc::new(SystemClock),
        allowed,
    )
    .unwrap()
}

fn target(endpoint: &str) -> PushTarget {
    PushTarget {
        endpoint: endpoint.to_string(),
        p256dh: valid_p256dh().to_string(),
        auth: AUTH.to_string(),
    }
}

fn message() -> PushMessage {
    PushMessage {
        payload: br#"{"title":"Day 3"}"#.to_vec(),
        ttl_secs: 60,
        urgency: PushUrgency::Normal,
        topic: None,
    }
}

/// Sends to `endpoint` and returns the reason of the expected permanent refusal.
async fn refused(sender: &PushSender, endpoint: &str) -> String {
    match sender.send(&target(endpoint), &message()).await {
        PushOutcome::Permanent {
            status: None,
            reason,
        } => reason,
        other => panic!("{endpoint}: expected a permanent refusal, got {other:?}"),
    }
}

/// A loopback listener nobody answers on; connections would wait in its backlog.
fn silent_listener() -> (StdListener, u16) {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn assert_no_connection(listener: &StdListener) {
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("the guarded sender connected (from {from})"),
        Err(e) => panic!("accept: {e}"),
    }
}

/// Reads one HTTP request: the head, then `content-length` bytes of body.
async fn read_request(stream: &mut tokio::net::TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the request ended early");
        buf.extend_from_slice(&chunk[..n]);
        let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .unwrap_or(0);
        if buf.len() >= head_end + 4 + length {
            return;
        }
    }
}
