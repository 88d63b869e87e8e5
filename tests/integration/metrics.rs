//! `GET /metrics` on its own listener: scraped before and after real engine passes
//! (the local push service, the file email transport), the counters must have moved
//! by exactly what the passes did. Each service owns its registry, so tests running
//! side by side in this process cannot disturb each other's counts.

use std::collections::BTreeMap;
use std::net::TcpListener;

use serde_json::json;
use smp_aftercare::app::MetricsServer;
use smp_aftercare::clock::Clock;

use crate::db_test;
use crate::engine::{onboard, register_push, utc};
use crate::helpers::*;
use crate::peers::PushPeer;

/// One scrape: every sample by its series (`name{labels}`), and the raw text.
struct Scrape {
    samples: BTreeMap<String, f64>,
    text: String,
}

impl Scrape {
    fn value(&self, series: &str) -> f64 {
        self.samples.get(series).copied().unwrap_or(0.0)
    }
}

async fn scrape(port: u16) -> Scrape {
    let response = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    let samples = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            (series.to_string(), value.parse::<f64>().unwrap())
        })
        .collect();
    Scrape { samples, text }
}

/// `after - before` for each series.
fn delta(before: &Scrape, after: &Scrape, series: &str) -> f64 {
    after.value(series) - before.value(series)
}

fn start_metrics(app: &TestApp) -> MetricsServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    MetricsServer::with_listener(&app.services, listener).unwrap()
}

const PUSH_SENT: &str =
    "smp_deliveries_total{kind=\"daily_aftercare\",channel=\"push\",status=\"sent\"}";
const EMAIL_SENT: &str =
    "smp_deliveries_total{kind=\"daily_aftercare\",channel=\"email\",status=\"sent\"}";

db_test!(metrics_move_by_exactly_what_an_engine_pass_did, |app| {
    let metrics = start_metrics(&app);
    let port = metrics.port();
    let push = PushPeer::start();
    // Session today in London; the morning reminder is due at 08:00 UTC.
    let (client_id, token) = onboard(
        &app,
        "ana@client.test",
        "Europe/London",
        json!(["2026-03-02"]),
    )
    .await;
    register_push(&app, &token, &push, "201").await;

    // This service's own registry: one invitation issued, its email sent, accepted.
    let start = scrape(port).await;
    assert_eq!(
        start.value("smp_invitations_total{outcome=\"issued\"}"),
        1.0
    );
    assert_eq!(
        start.value("smp_invitations_total{outcome=\"accepted\"}"),
        1.0
    );
    let invitation_sent =
        "smp_deliveries_total{kind=\"invitation\",channel=\"email\",status=\"sent\"}";
    assert_eq!(start.value(invitation_sent), 1.0, "{}", start.text);
    assert_eq!(start.value("smp_ready"), 1.0);
    let pool_size = f64::from(app.settings.database.pool_size);
    assert_eq!(start.value("smp_db_pool_max_connections"), pool_size);

    // 07:00: both rows planned, nothing due yet.
    let engine = app.engine();
    let report = engine.run_once(utc(2026, 3, 2, 7, 0)).await.unwrap();
    assert_eq!(report.planned.inserted, 2, "{report:?}");
    let planned = scrape(port).await;
    let inserted = "smp_planner_rows_total{result=\"inserted\"}";
    assert_eq!(delta(&start, &planned, inserted), 2.0);
    for job in ["plan", "dispatch"] {
        let ticks = format!("smp_engine_tick_duration_seconds_count{{job=\"{job}\"}}");
        assert_eq!(delta(&start, &planned, &ticks), 1.0, "{ticks}");
    }
    assert_eq!(
        delta(&start, &planned, "smp_engine_tick_rows_sum{job=\"plan\"}"),
        1.0
    );
    assert_eq!(planned.value("smp_queue_depth{status=\"pending\"}"), 2.0);
    assert_eq!(planned.value("smp_queue_oldest_due_age_seconds"), 0.0);
    assert_eq!(delta(&start, &planned, PUSH_SENT), 0.0);

    // 08:00:05 by the service's clock, before any dispatch: due for 5 s (the lag).
    app.clock
        .set(utc(2026, 3, 2, 8, 0) + chrono::Duration::seconds(5));
    let waiting = scrape(port).await;
    assert_eq!(waiting.value("smp_queue_oldest_due_age_seconds"), 5.0);

    // The dispatch: one push (201 from the peer) and one email, each counted once.
    let report = engine.dispatch(app.clock.now()).await.unwrap();
    assert_eq!(report.sent, 2, "{report:?}");
    let sent = scrape(port).await;
    assert_eq!(delta(&planned, &sent, PUSH_SENT), 1.0, "{}", sent.text);
    assert_eq!(delta(&planned, &sent, EMAIL_SENT), 1.0);
    assert_eq!(
        delta(&planned, &sent, "smp_push_responses_total{class=\"2xx\"}"),
        1.0
    );
    for channel in ["push", "email"] {
        let sends = format!("smp_send_duration_seconds_count{{channel=\"{channel}\"}}");
        assert_eq!(delta(&planned, &sent, &sends), 1.0, "{sends}");
    }
    let dispatch_ticks = "smp_engine_tick_duration_seconds_count{job=\"dispatch\"}";
    assert_eq!(delta(&planned, &sent, dispatch_ticks), 1.0);
    assert_eq!(
        delta(
            &planned,
            &sent,
            "smp_engine_tick_rows_sum{job=\"dispatch\"}"
        ),
        2.0
    );
    assert_eq!(sent.value("smp_queue_depth{status=\"pending\"}"), 0.0);
    assert_eq!(sent.value("smp_queue_oldest_due_age_seconds"), 0.0);

    // A pass with nothing to do moves no delivery counter.
    engine.run_once(utc(2026, 3, 2, 9, 0)).await.unwrap();
    let idle = scrape(port).await;
    for series in [PUSH_SENT, EMAIL_SENT, inserted] {
        assert_eq!(delta(&sent, &idle, series), 0.0, "{series}");
    }

    // HTTP by route template, never the raw path (ids and tokens stay out).
    let (_, key) = app.create_clinic("Other SMP", "front@other.test");
    let clinic = app.clinic_client(&key);
    assert_eq!(
        clinic
            .get(&format!("/v1/clients/{client_id}"))
            .await
            .status(),
        404
    );
    let me = app.clinic_client(&token);
    assert_eq!(me.get("/v1/me/deliveries").await.status(), 200);
    assert_eq!(app.get("/no/such/route").await.status(), 404);
    let http = scrape(port).await;
    let series = [
        "smp_http_requests_total{method=\"GET\",route=\"/v1/clients/{id}\",status=\"4xx\"}",
        "smp_http_requests_total{method=\"GET\",route=\"/v1/me/deliveries\",status=\"2xx\"}",
        "smp_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"4xx\"}",
    ];
    for series in series {
        assert_eq!(
            delta(&idle, &http, series),
            1.0,
            "{series} in {}",
            http.text
        );
    }
    let latency =
        "smp_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/me/deliveries\"}";
    assert_eq!(delta(&idle, &http, latency), 1.0);
    for secret in [
        client_id.as_str(),
        token.as_str(),
        key.as_str(),
        "/no/such/route",
    ] {
        assert!(
            !http.text.contains(secret),
            "{secret} leaked into the metrics"
        );
    }

    // The API's own address serves no metrics.
    assert_eq!(app.get("/metrics").await.status(), 404);
    metrics.stop().await;
});

db_test!(a_failing_push_service_shows_in_the_metrics, |app| {
    let metrics = start_metrics(&app);
    let push = PushPeer::start();
    let (_, token) = onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
    register_push(&app, &token, &push, "500").await;
    register_push(&app, &token, &push, "410").await;
    let before = scrape(metrics.port()).await;
    let report = app.engine().run_once(utc(2026, 3, 2, 8, 1)).await.unwrap();
    assert_eq!(report.dispatched.retried, 1, "{report:?}");
    let after = scrape(metrics.port()).await;
    assert_eq!(
        delta(&before, &after, "smp_push_responses_total{class=\"5xx\"}"),
        1.0
    );
    assert_eq!(
        delta(&before, &after, "smp_push_responses_total{class=\"4xx\"}"),
        1.0
    );
    assert_eq!(
        delta(
            &before,
            &after,
            "smp_delivery_retries_total{channel=\"push\"}"
        ),
        1.0
    );
    let gone = "smp_deliveries_total{kind=\"daily_aftercare\",channel=\"push\",status=\"failed\"}";
    assert_eq!(delta(&before, &after, gone), 1.0, "{}", after.text);
    assert_eq!(after.value("smp_queue_depth{status=\"retry\"}"), 1.0);
    metrics.stop().await;
});

/// A bad `metrics.bind` stops the start naming the key (exit 2), and a real `worker`
/// process serves `/metrics` on it, off the API's address.
#[tokio::test]
async fn a_worker_process_serves_metrics_on_metrics_bind() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/smp.db", dir.path().display());
    let bad = run_cli(
        &["migrate"],
        &[
            ("SMP__DATABASE__URL", url.as_str()),
            ("SMP__METRICS__BIND", "localhost"),
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("metrics.bind"), "{}", stderr(&bad));

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let vapid = dir.path().join("vapid.pem");
    let mut worker = std::process::Command::new(env!("CARGO_BIN_EXE_smp-aftercare"))
        .arg("worker")
        .current_dir(dir.path())
        .env("SMP__LOG__LEVEL", "warn")
        .env("SMP__DATABASE__URL", &url)
        .env("SMP__PUSH__VAPID_KEY_FILE", &vapid)
        .env("SMP__EMAIL__FILE_DIR", dir.path().join("mail"))
        .env("SMP__METRICS__BIND", &bind)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut text = None;
    for _ in 0..100 {
        if let Ok(response) = reqwest::get(format!("http://{bind}/metrics")).await {
            text = Some(response.text().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = worker.kill();
    let _ = worker.wait();
    let text = text.expect("the worker serves /metrics on metrics.bind");
    assert!(text.contains("smp_ready 1"), "{text}");
    assert!(
        text.contains("# TYPE smp_queue_oldest_due_age_seconds gauge"),
        "{text}"
    );
}
