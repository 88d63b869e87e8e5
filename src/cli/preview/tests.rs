use super::*;
use crate::domain::ProtocolOverrides;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn request(sessions: &[&str], from: &str, days: u32) -> PreviewRequest {
    PreviewRequest {
        sessions: sessions.iter().map(|d| date(d)).collect(),
        planned: 3,
        from: date(from),
        days,
        tz: chrono_tz::UTC,
        protocol: Protocol::default_protocol(),
        json: false,
        locale: "en".to_string(),
    }
}

fn line_for<'a>(text: &'a str, day: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(day))
        .unwrap_or_else(|| panic!("no line for {day} in\n{text}"))
}

#[test]
fn reproduces_the_worked_example_of_domain_md() {
    let text = render(&request(&["2026-03-02", "2026-03-12"], "2026-03-14", 10)).unwrap();
    assert_eq!(text.lines().count(), 10);
    assert_eq!(
        line_for(&text, "2026-03-15"),
        "2026-03-15  session 2/3 day 3  fresh  \
         rules: no_washing no_heavy_sweating no_swimming avoid_sun  \
         window: 2026-03-19..2026-03-26  \
         check-in: expected redness tenderness swelling itching; \
         watch flaking bumps_or_rash pigment_spreading redness_spreading_or_hot; \
         urgent discharge fever_or_unwell  \
         reminders: daily_aftercare push+email 2026-03-15T08:00:00Z"
    );
    assert_eq!(
        line_for(&text, "2026-03-23"),
        "2026-03-23  session 2/3 day 11  settled  \
         rules: gentle_washing_ok daily_spf  milestones: sun_avoidance_over  \
         window: 2026-03-19..2026-03-26  \
         check-in: watch redness tenderness swelling itching flaking bumps_or_rash \
         pigment_spreading; urgent redness_spreading_or_hot discharge fever_or_unwell  \
         reminders: daily_aftercare push+email 2026-03-23T08:00:00Z"
    );
    // Day 7 of the non-final session 2: the photo for planning session 3.
    assert!(
        line_for(&text, "2026-03-19").contains("  photo: plan_next_session  check-in: "),
        "{text}"
    );
    assert!(!line_for(&text, "2026-03-18").contains("photo:"), "{text}");
}

#[test]
fn reproduces_the_worked_example_as_json() {
    let mut request = request(&["2026-03-12", "2026-03-02"], "2026-03-15", 9);
    request.json = true;
    let json: serde_json::Value = serde_json::from_str(&render(&request).unwrap()).unwrap();
    let days = json.as_array().unwrap();
    assert_eq!(days.len(), 9);
    let day = &days[0];
    assert_eq!(day["date"], "2026-03-15");
    assert_eq!(day["session_number"], 2);
    assert_eq!(day["day"], 3);
    assert_eq!(day["stage"], "fresh");
    let rules: Vec<&str> = day["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "no_washing",
            "no_heavy_sweating",
            "no_swimming",
            "avoid_sun"
        ]
    );
    assert_eq!(day["next_session_window"]["from"], "2026-03-19");
    assert_eq!(day["next_session_window"]["to"], "2026-03-26");
    assert_eq!(day["reminders"][0]["kind"], "daily_aftercare");
    assert_eq!(day["reminders"][0]["channel"], "push");
    assert_eq!(day["reminders"][0]["send_at"], "2026-03-15T08:00:00Z");
    assert_eq!(
        day["reminders"][0]["idempotency_key"],
        "preview:2026-03-15:daily_aftercare:push"
    );
    let later = &days[8];
    assert_eq!(later["date"], "2026-03-23");
    assert_eq!(later["day"], 11);
    assert_eq!(later["stage"], "settled");
    assert_eq!(later["milestones"][0]["id"], "sun_avoidance_over");
    assert_eq!(later["reminders"][0]["milestones"][0], "sun_avoidance_over");
    assert_eq!(
        day["check_in"]["urgent"],
        serde_json::json!(["discharge", "fever_or_unwell"])
    );
    assert_eq!(day["check_in"]["expected"][0], "redness");
    assert_eq!(later["check_in"].get("expected"), None);
    assert_eq!(day["photo_request"], serde_json::Value::Null);
    let photo = &days[4]["photo_request"];
    assert_eq!(days[4]["date"], "2026-03-19");
    assert_eq!(photo["kind"], "plan_next_session");
    assert!(photo["text"]
        .as_str()
        .unwrap()
        .contains("so your practitioner can plan the next session"));
}

#[test]
fn the_issue_example_in_london() {
    let mut request = request(
        &["2026-03-02", "2026-03-12", "2026-03-24"],
        "2026-03-01",
        40,
    );
    request.tz = chrono_tz::Europe::London;
    let text = render(&request).unwrap();
    assert_eq!(text.lines().count(), 40);
    assert_eq!(
        line_for(&text, "2026-03-01"),
        "2026-03-01  first session in 1 day  pre_treatment"
    );
    assert!(line_for(&text, "2026-03-24")
        .starts_with("2026-03-24  session 3/3 (final) day 0  session_day  "));
    // GMT before the clocks change, BST after.
    assert!(
        line_for(&text, "2026-03-28").ends_with("daily_aftercare push+email 2026-03-28T08:00:00Z")
    );
    assert!(
        line_for(&text, "2026-03-30").ends_with("daily_aftercare push+email 2026-03-30T07:00:00Z")
    );
}

#[test]
fn a_clinic_protocol_changes_the_preview() {
    let mut request = request(&["2026-03-02"], "2026-03-07", 1);
    let overrides = ProtocolOverrides::from_toml_str("rules.gentle_washing_ok.from = 10").unwrap();
    request.protocol = request.protocol.with_overrides(&overrides).unwrap();
    let text = render(&request).unwrap();
    assert!(text.contains("rules: no_washing avoid_sun"), "{text}");
}

#[test]
fn a_clinic_check_in_changes_the_preview() {
    let mut request = request(&["2026-03-02"], "2026-03-14", 1);
    request.planned = 1;
    let overrides = ProtocolOverrides::from_toml_str(
        "check_in.symptoms.itching.days = [\n\
           { from = 0, to = 14, level = \"expected\" },\n\
           { from = 15, to = \"for_good\", level = \"watch\" },\n\
         ]",
    )
    .unwrap();
    let before = render(&request).unwrap();
    assert!(before.contains("check-in: watch redness"), "{before}");
    request.protocol = request.protocol.with_overrides(&overrides).unwrap();
    let after = render(&request).unwrap();
    assert!(
        after.contains("check-in: expected itching; watch redness"),
        "{after}"
    );
}

#[test]
fn the_final_session_asks_for_the_healed_photo_and_the_yearly_one() {
    let mut request = request(&["2026-03-02"], "2026-04-01", 1);
    request.planned = 1;
    assert!(render(&request).unwrap().contains("photo: healed_result"));
    request.from = date("2027-03-02");
    assert!(render(&request).unwrap().contains("photo: fade_record"));
}

#[test]
fn bad_requests_are_refused() {
    let duplicate = request(&["2026-03-02", "2026-03-02"], "2026-03-01", 5);
    assert_eq!(
        render(&duplicate).unwrap_err().to_string(),
        "two sessions on 2026-03-02: there can be only one session per date"
    );
    let mut no_plan = request(&["2026-03-02"], "2026-03-01", 5);
    no_plan.planned = 0;
    assert_eq!(
        render(&no_plan).unwrap_err(),
        PreviewError::Plan(PlanError::NoPlannedSessions)
    );
    let no_days = request(&["2026-03-02"], "2026-03-01", 0);
    assert_eq!(
        render(&no_days).unwrap_err().to_string(),
        "--days must be between 1 and 3660, not 0"
    );
}

#[test]
fn days_without_a_reminder_say_so() {
    let mut request = request(&["2026-03-02"], "2026-04-20", 1);
    request.planned = 1;
    // Day 49 after the only (final) session: daily SPF keeps the message going.
    let text = render(&request).unwrap();
    assert!(text.contains("reminders: daily_aftercare"), "{text}");
    let mut none = request.clone();
    none.sessions = vec![];
    assert_eq!(
        render(&none).unwrap(),
        "2026-04-20  no session booked  pre_treatment\n"
    );
}
