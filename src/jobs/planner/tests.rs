use chrono::{Days, NaiveDate};

use super::*;
use crate::domain::timeline::{Plan, Session};
use crate::domain::{Preferences, Protocol};
use crate::notify::push::MAX_PAYLOAD_BYTES;
use serde_json::json;

/// Every reminder of every day (through the touch-up) of plans of 1-4 sessions, final
/// or not, with the default protocol: the largest payload stays well under the 3 KB
/// push services accept (RFC 8291 leaves room for at least 3993 bytes; we refuse
/// above `MAX_PAYLOAD_BYTES`).
#[test]
fn the_largest_day_is_well_under_3_kb() {
    let protocol = Protocol::default_protocol();
    let prefs = Preferences::default();
    let url: url::Url = "https://aftercare.northside-smp-clinic.example"
        .parse()
        .unwrap();
    let links = Links::new(&url, &url);
    let start = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let key = uuid::Uuid::now_v7().to_string();
    let mut largest = (0, String::new());
    for sessions in 1..=4u64 {
        for planned in [sessions as u32, sessions as u32 + 1] {
            let dates = (0..sessions).map(|n| Session::on(start + Days::new(10 * n)));
            let plan = Plan::new(planned, dates.collect()).unwrap();
            let end = start + Days::new(3 * 366 + 60);
            for date in start.iter_days().take_while(|d| *d <= end) {
                let day = timeline::day(&plan, &protocol, date, "en");
                for reminder in reminders::due(&key, &day, &prefs, &protocol) {
                    let payload = payload(&reminder, &day, &links);
                    if payload.len() > largest.0 {
                        largest = (payload.len(), payload);
                    }
                }
            }
        }
    }
    let (size, payload) = largest;
    eprintln!("largest payload: {size} bytes: {payload}");
    assert!(size > 0);
    assert!(size <= MAX_PAYLOAD_BYTES / 2, "{size} bytes: {payload}");
    let parsed: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert!(
        parsed["url"].as_str().unwrap().contains("/days/"),
        "{payload}"
    );
    assert!(parsed["milestones"].is_array(), "{payload}");
}

#[test]
fn the_payload_names_the_days_milestones_and_opens_that_day() {
    // Gentle washing from day 7 puts two milestones on day 7 of a non-final session.
    let overrides =
        crate::domain::ProtocolOverrides::from_toml_str("rules.gentle_washing_ok.from = 7")
            .unwrap();
    let protocol = Protocol::default_protocol()
        .with_overrides(&overrides)
        .unwrap();
    let session = NaiveDate::from_ymd_opt(2026, 2, 23).unwrap();
    let plan = Plan::new(3, vec![Session::on(session)]).unwrap();
    let date = session + Days::new(7);
    let day = timeline::day(&plan, &protocol, date, "en");
    let reminder = reminders::due("c", &day, &Preferences::default(), &protocol)
        .into_iter()
        .next()
        .unwrap();
    let public: url::Url = "https://care.clinic.example".parse().unwrap();
    let app: url::Url = "https://app.clinic.example".parse().unwrap();
    let parsed: serde_json::Value =
        serde_json::from_str(&payload(&reminder, &day, &Links::new(&public, &app))).unwrap();
    assert_eq!(parsed["kind"], "daily_aftercare");
    assert_eq!(
        parsed["milestones"],
        json!(["gentle_washing_allowed", "next_session_window_open"])
    );
    assert_eq!(parsed["url"], "https://app.clinic.example/days/2026-03-02");
    assert_eq!(parsed["date"], "2026-03-02");
}
