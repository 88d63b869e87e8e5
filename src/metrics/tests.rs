use super::*;

#[test]
fn two_services_never_share_a_counter() {
    let (a, b) = (Metrics::new(), Metrics::new());
    a.delivery_settled(
        DeliveryKind::Reminder(crate::domain::ReminderKind::DailyAftercare),
        Channel::Push,
        DeliveryStatus::Sent,
    );
    let line = "smp_deliveries_total{kind=\"daily_aftercare\",channel=\"push\",status=\"sent\"} 1";
    assert!(a.encode().contains(line), "{}", a.encode());
    let untouched = line.replace("} 1", "} 0");
    assert!(b.encode().contains(&untouched), "{}", b.encode());
}

#[test]
fn retries_and_releases_are_not_final() {
    let m = Metrics::new();
    m.delivery_settled(
        DeliveryKind::Reminder(crate::domain::ReminderKind::DailyAftercare),
        Channel::Email,
        DeliveryStatus::Retry,
    );
    m.delivery_settled(
        DeliveryKind::Reminder(crate::domain::ReminderKind::DailyAftercare),
        Channel::Email,
        DeliveryStatus::Pending,
    );
    let text = m.encode();
    let counted = text
        .lines()
        .filter(|l| l.starts_with("smp_deliveries_total{") && !l.ends_with(" 0"));
    assert_eq!(counted.count(), 0, "{text}");
    assert!(
        text.contains("smp_delivery_retries_total{channel=\"email\"} 1"),
        "{text}"
    );
}

#[test]
fn request_labels_come_from_closed_sets() {
    let m = Metrics::new();
    let took = Duration::from_millis(1);
    m.http_request("GET", "/healthz", 200, took);
    m.http_request("BREW", "unmatched", 405, took);
    m.http_request("get", "unmatched", 404, took);
    m.http_request("PATCH", "unmatched", 999, took);
    let text = m.encode();
    for line in [
        "smp_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"2xx\"} 1",
        "smp_http_requests_total{method=\"other\",route=\"unmatched\",status=\"4xx\"} 2",
        "smp_http_requests_total{method=\"PATCH\",route=\"unmatched\",status=\"other\"} 1",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert!(
        !text.contains("BREW") && !text.contains("\"get\""),
        "{text}"
    );
}

#[test]
fn every_family_is_in_the_first_scrape() {
    let m = Metrics::new();
    m.prime_routes([("GET", "/healthz".to_string())]);
    let text = m.encode();
    for family in [
        "smp_deliveries",
        "smp_delivery_retries",
        "smp_send_duration_seconds",
        "smp_push_responses",
        "smp_engine_tick_duration_seconds",
        "smp_engine_tick_rows",
        "smp_planner_rows",
        "smp_invitations",
        "smp_http_requests",
        "smp_http_request_duration_seconds",
        "smp_ready",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{family} in {text}"
        );
    }
    assert!(
        text.contains(
            "smp_deliveries_total{kind=\"daily_aftercare\",channel=\"push\",status=\"sent\"} 0"
        ),
        "{text}"
    );
}

#[test]
fn push_answers_by_class() {
    let m = Metrics::new();
    for status in [Some(201), Some(410), Some(429), Some(503), None] {
        m.push_answered(status);
    }
    let text = m.encode();
    for (class, n) in [("2xx", 1), ("4xx", 2), ("5xx", 1), ("none", 1)] {
        let line = format!("smp_push_responses_total{{class=\"{class}\"}} {n}");
        assert!(text.contains(&line), "{line} in {text}");
    }
}
