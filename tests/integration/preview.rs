//! The preview command, run as a clinic would run it, reproduces domain.md's worked
//! example and reports bad input in one line.

use crate::helpers::*;

fn preview(args: &[&str]) -> std::process::Output {
    let mut all = vec!["preview"];
    all.extend_from_slice(args);
    run_cli(&all, &[])
}

#[test]
fn preview_reproduces_the_worked_example_of_domain_md() {
    let out = preview(&[
        "--sessions",
        "2026-03-12,2026-03-02",
        "--planned",
        "3",
        "--from",
        "2026-03-01",
        "--days",
        "40",
        "--tz",
        "Europe/London",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let days: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let days = days.as_array().unwrap();
    assert_eq!(days.len(), 40);
    let on = |date: &str| days.iter().find(|d| d["date"] == date).unwrap().clone();
    let rules = |day: &serde_json::Value| -> Vec<String> {
        day["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };

    let d = on("2026-03-15");
    assert_eq!(d["session_number"], 2);
    assert_eq!(d["day"], 3);
    assert_eq!(d["stage"], "fresh");
    assert_eq!(
        rules(&d),
        [
            "no_washing",
            "no_heavy_sweating",
            "no_swimming",
            "avoid_sun"
        ]
    );
    assert_eq!(d["next_session_window"]["from"], "2026-03-19");
    assert_eq!(d["next_session_window"]["to"], "2026-03-26");

    let d = on("2026-03-23");
    assert_eq!(d["session_number"], 2);
    assert_eq!(d["day"], 11);
    assert_eq!(d["stage"], "settled");
    assert_eq!(rules(&d), ["gentle_washing_ok", "daily_spf"]);
    let milestones: Vec<&str> = d["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(milestones, ["sun_avoidance_over"]);
    // One message per channel, at 08:00 London (GMT in March before the 29th).
    let reminders = d["reminders"].as_array().unwrap();
    assert_eq!(reminders.len(), 2);
    assert!(reminders
        .iter()
        .all(|r| r["send_at"] == "2026-03-23T08:00:00Z"));

    let d = on("2026-03-01");
    assert_eq!(d["stage"], "pre_treatment");
    assert_eq!(d["days_until_first_session"], 1);
}

#[test]
fn preview_text_has_one_line_per_day() {
    let out = preview(&[
        "--sessions",
        "2026-03-02,2026-03-12,2026-03-24",
        "--planned",
        "3",
        "--from",
        "2026-03-01",
        "--days",
        "40",
        "--tz",
        "Europe/London",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(text.lines().count(), 40);
    let line = text.lines().find(|l| l.starts_with("2026-03-29")).unwrap();
    // The clocks go forward in London that night: 08:00 BST is 07:00 UTC.
    assert!(line.contains("2026-03-29T07:00:00Z"), "{line}");
}

#[test]
fn preview_rejects_bad_input_in_one_line() {
    let out = preview(&["--sessions", "2026-03-02,2026-03-02"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("2026-03-02"), "{}", stderr(&out));

    let out = preview(&["--sessions", "2026-03-02", "--tz", "Mars/Olympus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Mars/Olympus"));

    let out = preview(&["--sessions", "2026-02-30"]);
    assert_eq!(out.status.code(), Some(2), "impossible date");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("protocol.toml");
    std::fs::write(&file, "[rules.avoid_sun]\nfrom = 0\nto = -3\n").unwrap();
    let out = preview(&[
        "--sessions",
        "2026-03-02",
        "--protocol",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("avoid_sun"), "{}", stderr(&out));
}

#[test]
fn preview_applies_a_protocol_override_file() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/protocols/wash_from_day_10.toml"
    );
    let out = preview(&[
        "--sessions",
        "2026-03-02",
        "--planned",
        "1",
        "--from",
        "2026-03-02",
        "--days",
        "12",
        "--protocol",
        file,
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let days: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let washing_allowed_from = days
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            d["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["id"] == "gentle_washing_ok")
        })
        .map(|d| d["day"].clone());
    assert_eq!(washing_allowed_from, Some(serde_json::json!(10)));
}
