//! The Web Push sender against a real local push service (tests/peers/push_service.py),
//! which verifies the VAPID JWT with Python `cryptography` and decrypts the aes128gcm
//! body with `http_ece`, then answers as each subscription is scripted to.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use smp_aftercare::clock::{Clock, FixedClock, SharedClock, SystemClock};
use smp_aftercare::notify::push::{
    PushError, PushMessage, PushOutcome, PushSender, PushTarget, PushUrgency, MAX_PAYLOAD_BYTES,
};
use smp_aftercare::notify::vapid::VapidKeys;

const SUBJECT: &str = "mailto:push-ops@hairline-studio.co.uk";

/// The push service (the shared launcher in `peers.rs`), with the calls these tests need.
struct PushPeer {
    peer: crate::peers::Peer,
    http: reqwest::Client,
}

impl PushPeer {
    fn start() -> PushPeer {
        PushPeer {
            peer: crate::peers::Peer::spawn(
                "push_service.py",
                &["--port", "0", "--stall-seconds", "10"],
            ),
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.peer.port)
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.peer.port)
    }

    /// A browser subscription scripted to answer `behaviour`, as `PushTarget` plus the
    /// peer's subscription id (the endpoint's last segment).
    async fn subscribe(&self, behaviour: &str, retry_after: Option<Value>) -> (PushTarget, String) {
        let mut request = json!({ "behaviour": behaviour });
        if let Some(retry_after) = retry_after {
            request["retry_after"] = retry_after;
        }
        let response = self
            .http
            .post(self.url("/subscriptions"))
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201);
        let mut subscription: Value = response.json().await.unwrap();
        let id = subscription
            .as_object_mut()
            .unwrap()
            .remove("id")
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        // What a browser hands over: PushSubscription.toJSON().
        let endpoint = subscription["endpoint"].as_str().unwrap().to_string();
        assert!(endpoint.ends_with(&format!("/push/{id}")), "{endpoint}");
        let target = PushTarget {
            endpoint,
            p256dh: subscription["keys"]["p256dh"].as_str().unwrap().into(),
            auth: subscription["keys"]["auth"].as_str().unwrap().into(),
        };
        (target, id)
    }

    /// Only pushes signed with this key are accepted (others get 403).
    async fn require_vapid_key(&self, key: &str) {
        let response = self
            .http
            .put(self.url("/config"))
            .json(&json!({ "vapid_public_key": key }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }

    /// What the peer received for one subscription, oldest first.
    async fn messages(&self, subscription_id: &str) -> Vec<Value> {
        self.http
            .get(self.url(&format!("/messages?subscription_id={subscription_id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The single push the peer received for `subscription_id`.
    async fn only_message(&self, subscription_id: &str) -> Value {
        let mut messages = self.messages(subscription_id).await;
        assert_eq!(messages.len(), 1, "{messages:#?}");
        messages.pop().unwrap()
    }
}

fn real_clock() -> SharedClock {
    Arc::new(SystemClock)
}

/// A sender that may reach the local peer: loopback is otherwise refused.
fn sender_with(keys: VapidKeys, timeout: Duration, clock: SharedClock) -> PushSender {
    let peer = ["http://127.0.0.1:*".parse().unwrap()];
    PushSender::with_insecure_origins(keys, SUBJECT, timeout, clock, &peer).expect("a valid sender")
}

fn sender() -> PushSender {
    sender_with(VapidKeys::generate(), Duration::from_secs(10), real_clock())
}

/// A reminder payload as the engine builds it (see the `push` module docs).
fn reminder_payload() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "title": "Day 3 of your aftercare",
        "body": "Keep your scalp dry today — no washing yet.\n- no_washing\n- avoid_sun",
        "kind": "daily_aftercare",
        "date": "2026-03-05",
        "day": 3,
        "stage": "fresh",
        "rules": ["no_washing", "avoid_sun"],
        "milestones": [],
        "url": "https://app.hairline-studio.co.uk/days/2026-03-05",
    }))
    .unwrap()
}

fn message() -> PushMessage {
    PushMessage {
        payload: reminder_payload(),
        ttl_secs: 3600,
        urgency: PushUrgency::Normal,
        topic: Some("daily_aftercare".into()),
    }
}

/// The peer accepted every check before answering with its scripted status.
fn assert_passed_checks(record: &Value, status: u16, behaviour: &str) {
    assert_eq!(record["status"], status, "{record:#}");
    assert_eq!(record["error"], Value::Null, "{record:#}");
    assert_eq!(record["behaviour"], behaviour, "{record:#}");
}

#[tokio::test]
async fn a_push_arrives_verified_and_decrypted_to_exactly_our_payload() {
    let peer = PushPeer::start();
    let keys = VapidKeys::generate();
    peer.require_vapid_key(&keys.public_key_base64url()).await;
    let (target, id) = peer.subscribe("201", None).await;
    let sender = sender_with(keys.clone(), Duration::from_secs(10), real_clock());
    assert_eq!(sender.public_key_base64url(), keys.public_key_base64url());

    let payload = reminder_payload();
    let message = PushMessage {
        payload: payload.clone(),
        ttl_secs: 52_345,
        urgency: PushUrgency::High,
        topic: Some("daily_aftercare".into()),
    };
    let before = SystemClock.now().timestamp();
    let outcome = sender.send(&target, &message).await;
    assert_eq!(outcome, PushOutcome::Sent { status: 201 });
    assert!(outcome.is_sent());

    let record = peer.only_message(&id).await;
    assert_passed_checks(&record, 201, "201");
    assert_eq!(record["auth_scheme"], "vapid");
    assert_eq!(record["vapid_k"], keys.public_key_base64url().as_str());
    let claims = &record["jwt_claims"];
    assert_eq!(
        claims["aud"],
        peer.origin().as_str(),
        "the port is part of aud"
    );
    assert_eq!(claims["sub"], SUBJECT);
    let exp = claims["exp"].as_i64().expect("exp is a NumericDate");
    let after = SystemClock.now().timestamp();
    assert!(exp > after, "exp {exp} is not in the future");
    assert!(
        exp <= before + 24 * 3600,
        "exp {exp} is more than 24 h ahead"
    );
    assert!(
        (before + 12 * 3600..=after + 12 * 3600).contains(&exp),
        "exp {exp} is not now + 12 h"
    );
    assert_eq!(record["ttl"], 52_345);
    assert_eq!(record["urgency"], "high");
    assert_eq!(record["topic"], "daily_aftercare");
    assert_eq!(record["content_encoding"], "aes128gcm");
    assert_eq!(
        record["payload"].as_str().unwrap(),
        std::str::from_utf8(&payload).unwrap()
    );
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(record["payload_b64"].as_str().unwrap())
            .unwrap(),
        payload
    );
    assert_eq!(
        record["payload_json"],
        serde_json::from_slice::<Value>(&payload).unwrap()
    );
}

#[tokio::test]
async fn every_urgency_and_a_sanitized_topic_pass_the_peers_checks() {
    let peer = PushPeer::start();
    let sender = sender();
    for (urgency, expected) in [
        (PushUrgency::VeryLow, "very-low"),
        (PushUrgency::Low, "low"),
        (PushUrgency::Normal, "normal"),
        (PushUrgency::High, "high"),
    ] {
        let (target, id) = peer.subscribe("201", None).await;
        let message = PushMessage {
            urgency,
            // Not a valid Topic as given: sanitized, not refused.
            topic: Some("next session window".into()),
            ttl_secs: 0,
            ..message()
        };
        assert_eq!(
            sender.send(&target, &message).await,
            PushOutcome::Sent { status: 201 }
        );
        let record = peer.only_message(&id).await;
        assert_passed_checks(&record, 201, "201");
        assert_eq!(record["urgency"], expected);
        assert_eq!(record["topic"], "next-session-window");
        assert_eq!(record["ttl"], 0);
    }
    // No topic: no Topic header.
    let (target, id) = peer.subscribe("201", None).await;
    let message = PushMessage {
        topic: None,
        ..message()
    };
    assert!(sender.send(&target, &message).await.is_sent());
    assert_eq!(peer.only_message(&id).await["topic"], Value::Null);
}

#[tokio::test]
async fn not_found_and_gone_mean_the_subscription_is_gone() {
    let peer = PushPeer::start();
    let sender = sender();
    for status in [404u16, 410] {
        let (target, id) = peer.subscribe(&status.to_string(), None).await;
        let outcome = sender.send(&target, &message()).await;
        match &outcome {
            PushOutcome::Gone {
                status: got,
                reason,
            } => {
                assert_eq!(*got, status);
                // The push service's error body is quoted.
                assert!(
                    reason.contains(&format!("scripted behaviour {status}")),
                    "{reason}"
                );
            }
            other => panic!("{status}: {other:?}"),
        }
        assert!(!outcome.is_sent());
        assert_passed_checks(&peer.only_message(&id).await, status, &status.to_string());
    }
}

#[tokio::test]
async fn payload_too_large_from_the_service_is_permanent() {
    let peer = PushPeer::start();
    let (target, id) = peer.subscribe("413", None).await;
    let outcome = sender().send(&target, &message()).await;
    assert!(
        matches!(&outcome, PushOutcome::Permanent { status: Some(413), reason } if reason.contains("scripted behaviour 413")),
        "{outcome:?}"
    );
    assert_passed_checks(&peer.only_message(&id).await, 413, "413");
}

#[tokio::test]
async fn too_many_requests_retries_after_the_given_delay() {
    let peer = PushPeer::start();
    let sender = sender();

    let (target, id) = peer.subscribe("429", Some(json!(7))).await;
    let outcome = sender.send(&target, &message()).await;
    assert!(
        matches!(&outcome, PushOutcome::RetryAfter { after, .. } if *after == Duration::from_secs(7)),
        "{outcome:?}"
    );
    assert_passed_checks(&peer.only_message(&id).await, 429, "429");

    // An HTTP-date, read against the sender's clock.
    let date = (SystemClock.now() + chrono::Duration::seconds(30))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let (target, _) = peer.subscribe("429", Some(json!(date))).await;
    match sender.send(&target, &message()).await {
        PushOutcome::RetryAfter { after, .. } => assert!(
            (Duration::from_secs(25)..=Duration::from_secs(30)).contains(&after),
            "{after:?} for {date}"
        ),
        other => panic!("{other:?}"),
    }

    // No Retry-After at all: the default minute.
    let (target, _) = peer.subscribe("429", Some(Value::Null)).await;
    assert!(matches!(
        sender.send(&target, &message()).await,
        PushOutcome::RetryAfter { after, .. } if after == Duration::from_secs(60)
    ));

    // A day is capped at an hour.
    let (target, _) = peer.subscribe("429", Some(json!(86_400))).await;
    assert!(matches!(
        sender.send(&target, &message()).await,
        PushOutcome::RetryAfter { after, .. } if after == Duration::from_secs(3600)
    ));
}

#[tokio::test]
async fn server_errors_are_transient() {
    let peer = PushPeer::start();
    let (target, id) = peer.subscribe("500", None).await;
    let outcome = sender().send(&target, &message()).await;
    assert!(
        matches!(&outcome, PushOutcome::Transient { status: Some(500), reason } if reason.contains("scripted behaviour 500")),
        "{outcome:?}"
    );
    assert_passed_checks(&peer.only_message(&id).await, 500, "500");
}

#[tokio::test]
async fn a_stalled_push_service_times_out_as_transient() {
    let peer = PushPeer::start();
    let (target, id) = peer.subscribe("stall", None).await;
    let sender = sender_with(VapidKeys::generate(), Duration::from_secs(2), real_clock());
    let started = Instant::now();
    let outcome = sender.send(&target, &message()).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(&outcome, PushOutcome::Transient { status: None, .. }),
        "{outcome:?}"
    );
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(5),
        "took {elapsed:?}"
    );
    // It did arrive (and pass every check); only the answer never came in time.
    assert_passed_checks(&peer.only_message(&id).await, 201, "stall");
}

#[tokio::test]
async fn an_unreachable_push_service_is_transient() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let peer = PushPeer::start();
    let (mut target, _) = peer.subscribe("201", None).await;
    target.endpoint = format!("http://127.0.0.1:{port}/push/abc");
    let started = Instant::now();
    let outcome = sender().send(&target, &message()).await;
    assert!(
        matches!(&outcome, PushOutcome::Transient { status: None, .. }),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn placeholder_subjects_are_refused() {
    for subject in [
        "mailto:someone@example.com",
        "mailto:operator@smp-aftercare.invalid",
        "https://example.com/contact",
        "",
    ] {
        let result = PushSender::new(
            VapidKeys::generate(),
            subject,
            Duration::from_secs(5),
            real_clock(),
        );
        assert!(
            matches!(result, Err(PushError::InvalidSubject(_))),
            "{subject:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn an_oversized_payload_is_permanent_and_never_sent() {
    let peer = PushPeer::start();
    let (target, id) = peer.subscribe("201", None).await;
    let sender = sender();
    // The limit itself is fine...
    let at_limit = PushMessage {
        payload: vec![b'a'; MAX_PAYLOAD_BYTES],
        ..message()
    };
    assert!(sender.send(&target, &at_limit).await.is_sent());
    assert_eq!(
        peer.only_message(&id).await["payload"]
            .as_str()
            .unwrap()
            .len(),
        MAX_PAYLOAD_BYTES
    );
    // ...one byte over 3 KB is not, and the push service never hears of it.
    let (target, id) = peer.subscribe("201", None).await;
    let too_big = PushMessage {
        payload: vec![b'a'; 3 * 1024 + 1],
        ..message()
    };
    let outcome = sender.send(&target, &too_big).await;
    assert!(
        matches!(&outcome, PushOutcome::Permanent { status: None, .. }),
        "{outcome:?}"
    );
    assert!(peer.messages(&id).await.is_empty());
}

#[tokio::test]
async fn invalid_subscription_keys_are_permanent_and_never_sent() {
    let peer = PushPeer::start();
    let sender = sender();
    let (good, id) = peer.subscribe("201", None).await;
    for (p256dh, auth) in [
        ("not-a-key", good.auth.as_str()),
        // Base64url, but not a point on P-256.
        (
            "BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            good.auth.as_str(),
        ),
        // Truncated.
        (&good.p256dh[..40], good.auth.as_str()),
        ("", good.auth.as_str()),
        (good.p256dh.as_str(), "***"),
    ] {
        let target = PushTarget {
            p256dh: p256dh.into(),
            auth: auth.into(),
            ..good.clone()
        };
        let outcome = sender.send(&target, &message()).await;
        assert!(
            matches!(&outcome, PushOutcome::Permanent { status: None, .. }),
            "{p256dh:?}/{auth:?}: {outcome:?}"
        );
    }
    assert!(peer.messages(&id).await.is_empty());
}

#[tokio::test]
async fn exp_comes_from_the_given_clock() {
    let peer = PushPeer::start();
    // A clock two days behind real time signs a token the push service finds expired:
    // the sender dated it with its clock, not the system time.
    let behind = FixedClock::new(SystemClock.now() - chrono::Duration::days(2));
    let sender = sender_with(
        VapidKeys::generate(),
        Duration::from_secs(10),
        Arc::new(behind),
    );
    let (target, id) = peer.subscribe("201", None).await;
    let outcome = sender.send(&target, &message()).await;
    assert!(
        matches!(&outcome, PushOutcome::Permanent { status: Some(401), reason } if reason.contains("expired")),
        "{outcome:?}"
    );
    let record = peer.only_message(&id).await;
    assert_eq!(record["status"], 401);
    assert!(record["jwt_claims"]["exp"].as_i64().unwrap() < SystemClock.now().timestamp());
}

#[tokio::test]
async fn a_token_for_another_key_is_refused_permanently() {
    let peer = PushPeer::start();
    peer.require_vapid_key(&VapidKeys::generate().public_key_base64url())
        .await;
    let (target, id) = peer.subscribe("201", None).await;
    let outcome = sender().send(&target, &message()).await;
    assert!(
        matches!(
            &outcome,
            PushOutcome::Permanent {
                status: Some(403),
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(peer.only_message(&id).await["status"], 403);
}
