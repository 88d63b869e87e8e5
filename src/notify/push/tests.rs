//! Unit tests of the push sender: audience, JWT, topics, Retry-After and outcomes.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use url::Url;

use super::classify::{classify_response, shorten};
use super::jwt::{sign_jwt, vapid_lifetime};
use super::*;
use crate::clock::{Clock, FixedClock};

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn aud(endpoint: &str) -> Option<String> {
    audience(&Url::parse(endpoint).unwrap())
}

#[test]
fn audience_is_the_origin_with_a_non_default_port_only() {
    assert_eq!(
        aud("https://fcm.googleapis.com/fcm/send/abc:def?x=1#f").as_deref(),
        Some("https://fcm.googleapis.com")
    );
    assert_eq!(
        aud("https://push.test:443/p/1").as_deref(),
        Some("https://push.test")
    );
    assert_eq!(
        aud("http://push.test:80/p/1").as_deref(),
        Some("http://push.test")
    );
    assert_eq!(
        aud("https://push.test:8443/p/1").as_deref(),
        Some("https://push.test:8443")
    );
    assert_eq!(
        aud("http://127.0.0.1:5000/push/abc").as_deref(),
        Some("http://127.0.0.1:5000")
    );
    assert_eq!(
        aud("http://push.test:443/p").as_deref(),
        Some("http://push.test:443")
    );
    assert_eq!(
        aud("HTTPS://Push.Example-Service.Test:9000/").as_deref(),
        Some("https://push.example-service.test:9000")
    );
    assert_eq!(
        aud("https://[::1]:8443/p").as_deref(),
        Some("https://[::1]:8443")
    );
    assert_eq!(aud("ftp://push.test/p"), None);
    assert_eq!(aud("mailto:ops@clinic.de"), None);
    assert_eq!(aud("data:text/plain,hi"), None);
}

#[test]
fn retry_after_delta_seconds() {
    let now = at(2026, 3, 2, 8, 0, 0);
    assert_eq!(parse_retry_after(Some("7"), now), Duration::from_secs(7));
    assert_eq!(
        parse_retry_after(Some(" 120 "), now),
        Duration::from_secs(120)
    );
    assert_eq!(parse_retry_after(Some("0"), now), Duration::ZERO);
    assert_eq!(parse_retry_after(Some("3600"), now), MAX_RETRY_AFTER);
    assert_eq!(parse_retry_after(Some("86400"), now), MAX_RETRY_AFTER);
    assert_eq!(
        parse_retry_after(Some("99999999999999999999999"), now),
        MAX_RETRY_AFTER
    );
}

#[test]
fn retry_after_defaults_when_absent_or_unreadable() {
    let now = at(2026, 3, 2, 8, 0, 0);
    for bad in [
        None,
        Some(""),
        Some("   "),
        Some("-5"),
        Some("1.5"),
        Some("+5"),
        Some("soon"),
        Some("5 seconds"),
        Some("Mon, 32 Mar 2026 08:00:00 GMT"),
    ] {
        assert_eq!(parse_retry_after(bad, now), DEFAULT_RETRY_AFTER, "{bad:?}");
    }
    assert_eq!(DEFAULT_RETRY_AFTER, Duration::from_secs(60));
}

#[test]
fn retry_after_http_dates_are_relative_to_the_clock() {
    let now = at(2026, 3, 2, 8, 0, 0);
    // IMF-fixdate.
    assert_eq!(
        parse_retry_after(Some("Mon, 02 Mar 2026 08:00:30 GMT"), now),
        Duration::from_secs(30)
    );
    // RFC 850 and asctime.
    assert_eq!(
        parse_retry_after(Some("Monday, 02-Mar-26 08:02:00 GMT"), now),
        Duration::from_secs(120)
    );
    assert_eq!(
        parse_retry_after(Some("Mon Mar  2 08:00:45 2026"), now),
        Duration::from_secs(45)
    );
    // Capped, and a past date means now.
    assert_eq!(
        parse_retry_after(Some("Tue, 03 Mar 2026 08:00:00 GMT"), now),
        MAX_RETRY_AFTER
    );
    assert_eq!(
        parse_retry_after(Some("Sun, 01 Mar 2026 08:00:00 GMT"), now),
        Duration::ZERO
    );
    // The same header read by a later clock asks for less.
    let later = now + chrono::Duration::seconds(20);
    assert_eq!(
        parse_retry_after(Some("Mon, 02 Mar 2026 08:00:30 GMT"), later),
        Duration::from_secs(10)
    );
}

#[test]
fn topics() {
    for ok in [
        "daily_aftercare",
        "next_session_window_open",
        "a",
        "A-z_0-9",
        "abcdefghijklmnopqrstuvwxyz012345",
    ] {
        assert!(is_valid_topic(ok), "{ok}");
        assert_eq!(sanitize_topic(ok).as_deref(), Some(ok));
    }
    for bad in [
        "",
        "daily aftercare",
        "a.b",
        "abc=",
        "a/b",
        "a+b",
        "día",
        "abcdefghijklmnopqrstuvwxyz0123456",
    ] {
        assert!(!is_valid_topic(bad), "{bad}");
    }
    assert_eq!(
        sanitize_topic(" daily aftercare ").as_deref(),
        Some("daily-aftercare")
    );
    assert_eq!(sanitize_topic("día").as_deref(), Some("d-a"));
    assert_eq!(sanitize_topic("a/b+c=").as_deref(), Some("a-b-c-"));
    assert_eq!(
        sanitize_topic("abcdefghijklmnopqrstuvwxyz0123456789").as_deref(),
        Some("abcdefghijklmnopqrstuvwxyz012345")
    );
    assert_eq!(sanitize_topic(""), None);
    assert_eq!(sanitize_topic("   "), None);
    assert_eq!(sanitize_topic("…!?"), None);
    assert_eq!(sanitize_topic("--"), None);
    for raw in ["x".repeat(100), "é1".repeat(40), "a b".repeat(20)] {
        let topic = sanitize_topic(&raw).unwrap();
        assert!(is_valid_topic(&topic), "{raw:?} -> {topic:?}");
    }
}

#[test]
fn jwt_holds_exactly_aud_exp_sub_and_verifies() {
    let keys = VapidKeys::generate();
    let now = at(2026, 3, 2, 8, 0, 0);
    let clock = FixedClock::new(now);
    let sender = PushSender::new(
        keys.clone(),
        "mailto:ops@hairline-studio.co.uk",
        Duration::from_secs(5),
        Arc::new(clock.clone()),
    )
    .unwrap();
    let exp = clock.now() + vapid_lifetime();
    let jwt = sign_jwt(
        &sender.inner.signing_key,
        "https://push.test:8443",
        exp,
        sender.subject(),
    );
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(
        claims,
        serde_json::json!({
            "aud": "https://push.test:8443",
            "exp": now.timestamp() + 12 * 3600,
            "sub": "mailto:ops@hairline-studio.co.uk",
        })
    );
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    assert_eq!(signature.len(), 64, "JWS r||s, not DER");
    let verifying = VerifyingKey::from_sec1_bytes(keys.public_key_bytes()).unwrap();
    verifying
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &Signature::from_slice(&signature).unwrap(),
        )
        .unwrap();
    assert_eq!(sender.public_key_base64url(), keys.public_key_base64url());
}

/// The claims of the JWT in an `Authorization: vapid t=..., k=...` value.
fn claims_of(authorization: &str) -> serde_json::Value {
    let jwt = authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split(',').next())
        .unwrap();
    let claims = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap()
}

#[test]
fn one_token_per_origin_reused_until_an_hour_before_exp() {
    let now = at(2026, 3, 2, 8, 0, 0);
    let clock = FixedClock::new(now);
    let sender = PushSender::new(
        VapidKeys::generate(),
        "mailto:ops@hairline-studio.co.uk",
        Duration::from_secs(5),
        Arc::new(clock.clone()),
    )
    .unwrap();
    let first = sender.authorization("https://fcm.googleapis.com");
    assert!(first.ends_with(&format!(", k={}", sender.public_key_base64url())));
    let other = sender.authorization("https://updates.push.services.mozilla.com");
    assert_ne!(first, other, "each origin has a token of its own");
    assert_eq!(
        claims_of(&other)["aud"],
        "https://updates.push.services.mozilla.com"
    );

    // Reused while more than an hour is left (exp is 20:00)...
    clock.set(at(2026, 3, 2, 18, 59, 59));
    assert_eq!(sender.authorization("https://fcm.googleapis.com"), first);
    // ...then signed afresh, from the clock's time.
    clock.set(at(2026, 3, 2, 19, 0, 0));
    let renewed = sender.authorization("https://fcm.googleapis.com");
    assert_ne!(renewed, first);
    assert_eq!(
        claims_of(&renewed)["exp"],
        at(2026, 3, 3, 7, 0, 0).timestamp()
    );
    assert_eq!(
        claims_of(&first)["exp"],
        at(2026, 3, 2, 20, 0, 0).timestamp()
    );
}

#[test]
fn construction_refuses_placeholders_and_a_zero_timeout() {
    let clock: SharedClock = Arc::new(FixedClock::new(at(2026, 3, 2, 8, 0, 0)));
    for bad in [
        "mailto:someone@example.com",
        "mailto:operator@smp-aftercare.invalid",
        "",
        "ops@clinic.de",
    ] {
        let err = PushSender::new(
            VapidKeys::generate(),
            bad,
            Duration::from_secs(5),
            clock.clone(),
        )
        .unwrap_err();
        assert!(matches!(err, PushError::InvalidSubject(_)), "{bad}: {err}");
    }
    let err = PushSender::new(
        VapidKeys::generate(),
        "mailto:ops@clinic.de",
        Duration::ZERO,
        clock.clone(),
    )
    .unwrap_err();
    assert!(matches!(err, PushError::ZeroTimeout));
    let sender = PushSender::new(
        VapidKeys::generate(),
        " https://clinic.de/contact ",
        Duration::from_secs(5),
        clock,
    )
    .unwrap();
    assert_eq!(sender.subject(), "https://clinic.de/contact");
    assert!(!format!("{sender:?}").contains("PRIVATE"));
}

#[test]
fn statuses_map_to_outcomes() {
    let now = at(2026, 3, 2, 8, 0, 0);
    let body = br#"{"code": 410, "errno": 103, "error": "Gone", "message": "expired"}"#;
    assert_eq!(
        classify_response(201, None, b"", now),
        PushOutcome::Sent { status: 201 }
    );
    assert!(classify_response(200, None, b"", now).is_sent());
    assert!(classify_response(202, None, b"", now).is_sent());
    match classify_response(410, None, body, now) {
        PushOutcome::Gone { status, reason } => {
            assert_eq!(status, 410);
            assert!(reason.contains("410 Gone"), "{reason}");
            assert!(reason.contains(r#""message": "expired""#), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        classify_response(404, None, b"", now),
        PushOutcome::Gone { status: 404, .. }
    ));
    for status in [400, 401, 403, 405, 413, 415, 301, 302, 100] {
        assert!(
            matches!(
                classify_response(status, None, b"", now),
                PushOutcome::Permanent { status: Some(s), .. } if s == status
            ),
            "{status}"
        );
    }
    for status in [500, 502, 503, 504] {
        assert!(
            matches!(
                classify_response(status, Some("30"), b"", now),
                PushOutcome::Transient { status: Some(s), .. } if s == status
            ),
            "{status}"
        );
    }
    match classify_response(429, Some("7"), b"slow down", now) {
        PushOutcome::RetryAfter { after, reason } => {
            assert_eq!(after, Duration::from_secs(7));
            assert!(reason.contains("slow down"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        classify_response(429, None, b"", now),
        PushOutcome::RetryAfter { after, .. } if after == DEFAULT_RETRY_AFTER
    ));
}

#[test]
fn reasons_quote_at_most_200_characters_of_the_body() {
    let now = at(2026, 3, 2, 8, 0, 0);
    let body = "é".repeat(500);
    let outcome = classify_response(400, None, body.as_bytes(), now);
    let reason = outcome.reason().unwrap();
    assert!(reason.starts_with("push service answered 400 Bad Request: "));
    assert_eq!(reason.matches('é').count(), 200);
    assert!(reason.ends_with('…'));
    assert_eq!(shorten("  a \n\t b  ", 200), "a b");
    assert_eq!(shorten("abcdef", 3), "abc…");
    assert_eq!(shorten("abc", 3), "abc");
}

#[tokio::test]
async fn refused_before_any_network_use() {
    let clock: SharedClock = Arc::new(FixedClock::new(at(2026, 3, 2, 8, 0, 0)));
    let sender = PushSender::new(
        VapidKeys::generate(),
        "mailto:ops@clinic.de",
        Duration::from_secs(5),
        clock,
    )
    .unwrap();
    // A real-looking browser key pair (RFC 8291 Appendix A).
    let good = PushTarget {
        // Port 9 (discard) on a TEST-NET address: never contacted by these cases.
        endpoint: "https://192.0.2.1:9/push/1".into(),
        p256dh: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4".into(),
        auth: "BTBZMqHH6r4Tts7J_aSIgg".into(),
    };
    let message = |payload: Vec<u8>| PushMessage {
        payload,
        ttl_secs: 60,
        urgency: PushUrgency::Normal,
        topic: None,
    };
    let started = std::time::Instant::now();
    let outcome = sender
        .send(&good, &message(vec![b'x'; MAX_PAYLOAD_BYTES + 1]))
        .await;
    assert!(
        matches!(&outcome, PushOutcome::Permanent { status: None, reason } if reason.contains("3001 bytes")),
        "{outcome:?}"
    );
    for (endpoint, p256dh, auth) in [
        ("not a url", good.p256dh.as_str(), good.auth.as_str()),
        ("ftp://push.test/p", &good.p256dh, &good.auth),
        (&good.endpoint, "not-a-key", &good.auth),
        (&good.endpoint, "BCVxsr7N", &good.auth),
        (&good.endpoint, &good.p256dh, "!!"),
    ] {
        let target = PushTarget {
            endpoint: endpoint.into(),
            p256dh: p256dh.into(),
            auth: auth.into(),
        };
        let outcome = sender.send(&target, &message(b"{}".to_vec())).await;
        assert!(
            matches!(outcome, PushOutcome::Permanent { status: None, .. }),
            "{target:?}: {outcome:?}"
        );
    }
    // Valid keys: only the destination guard stops it (192.0.2.0/24 is documentation).
    let outcome = sender.send(&good, &message(b"{}".to_vec())).await;
    assert!(
        matches!(&outcome, PushOutcome::Permanent { status: None, reason }
            if reason.contains("192.0.2.1 is not a public address")),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn urgency_header_values() {
    assert_eq!(PushUrgency::VeryLow.as_str(), "very-low");
    assert_eq!(PushUrgency::Low.as_str(), "low");
    assert_eq!(PushUrgency::Normal.as_str(), "normal");
    assert_eq!(PushUrgency::High.as_str(), "high");
    for u in [
        PushUrgency::VeryLow,
        PushUrgency::Low,
        PushUrgency::Normal,
        PushUrgency::High,
    ] {
        assert_eq!(u.to_web_push().to_string(), u.as_str());
    }
    assert_eq!(PushUrgency::default(), PushUrgency::Normal);
}

#[test]
fn sender_is_clone_send_sync() {
    fn check<T: Clone + Send + Sync + 'static>() {}
    check::<PushSender>();
    check::<PushOutcome>();
}
