//! Which photo request is due on a local date: day 7 of every non-final session, day 30
//! after the final session, then every 12 months (the fade record).

use chrono::Days;

use super::support::{date, plan, protocol};
use crate::domain::check_in::photo_request_on;
use crate::domain::ids::PhotoRequestKind::{self, FadeRecord, HealedResult, PlanNextSession};
use crate::domain::protocol::{Protocol, ProtocolOverrides};
use crate::domain::timeline::Plan;

/// Every date from `from` to `to` with a photo request, and its kind.
fn requests(
    plan: &Plan,
    protocol: &Protocol,
    from: &str,
    to: &str,
) -> Vec<(String, PhotoRequestKind)> {
    let (mut on, last) = (date(from), date(to));
    let mut out = Vec::new();
    while on <= last {
        if let Some(request) = photo_request_on(plan, protocol, on, "en") {
            out.push((on.to_string(), request.kind));
        }
        on = on + Days::new(1);
    }
    out
}

fn owned(expected: &[(&str, PhotoRequestKind)]) -> Vec<(String, PhotoRequestKind)> {
    expected.iter().map(|(d, k)| (d.to_string(), *k)).collect()
}

fn overridden(toml_text: &str) -> Protocol {
    let overrides = ProtocolOverrides::from_toml_str(toml_text).expect("valid TOML");
    protocol()
        .with_overrides(&overrides)
        .expect("valid override")
}

#[test]
fn a_three_session_plan_over_five_years() {
    let plan = plan(3, &["2026-03-02", "2026-03-12", "2026-03-24"]);
    assert_eq!(
        requests(&plan, &protocol(), "2026-02-01", "2031-03-31"),
        owned(&[
            ("2026-03-09", PlanNextSession),
            ("2026-03-19", PlanNextSession),
            ("2026-04-23", HealedResult),
            ("2027-03-24", FadeRecord),
            ("2028-03-24", FadeRecord),
            ("2029-03-24", FadeRecord),
            ("2030-03-24", FadeRecord),
            ("2031-03-24", FadeRecord),
        ])
    );
}

#[test]
fn a_request_carries_its_session_day_and_texts() {
    let plan = plan(3, &["2026-03-02", "2026-03-12", "2026-03-24"]);
    let request = photo_request_on(&plan, &protocol(), date("2026-03-19"), "pt-BR").unwrap();
    assert_eq!(request.kind, PlanNextSession);
    assert_eq!((request.session.number, request.day), (2, 7));
    assert!(!request.session.is_final);
    assert!(
        request
            .text
            .contains("so your practitioner can plan the next session"),
        "{}",
        request.text
    );
    assert!(!request.title.is_empty());
    let fade = photo_request_on(&plan, &protocol(), date("2027-03-24"), "en").unwrap();
    assert_eq!((fade.session.number, fade.day), (3, 365));
    assert!(fade.session.is_final);
}

#[test]
fn a_day_a_later_session_overtakes_asks_nothing() {
    // Session 2 on day 5 of session 1: day 7 of session 1 is day 2 of session 2.
    let plan = plan(3, &["2026-03-02", "2026-03-07"]);
    assert_eq!(
        requests(&plan, &protocol(), "2026-03-01", "2026-04-30"),
        owned(&[("2026-03-14", PlanNextSession)])
    );
}

#[test]
fn nothing_before_the_first_session_and_no_healed_photo_until_the_plan_is_complete() {
    let protocol = protocol();
    let none = plan(3, &[]);
    assert!(requests(&none, &protocol, "2026-01-01", "2026-12-31").is_empty());
    // One of three recorded: session 1 is not final, so day 30 asks nothing.
    let one = plan(3, &["2026-03-02"]);
    assert_eq!(
        requests(&one, &protocol, "2026-03-01", "2027-06-30"),
        owned(&[("2026-03-09", PlanNextSession)])
    );
    // A single-session plan: the session is final, so no next-session photo.
    let single = plan(1, &["2026-03-02"]);
    assert_eq!(
        requests(&single, &protocol, "2026-03-01", "2027-03-31"),
        owned(&[("2026-04-01", HealedResult), ("2027-03-02", FadeRecord)])
    );
}

#[test]
fn month_ends_clamp_and_leap_days_land_on_the_last_of_february() {
    let leap = plan(1, &["2028-02-29"]);
    let fade_dates: Vec<String> = requests(&leap, &protocol(), "2028-04-01", "2032-03-31")
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    assert_eq!(
        fade_dates,
        ["2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"]
    );
    let six_months = overridden("check_in.photo_requests.fade_record.every_months = 6");
    let august = plan(1, &["2026-08-31"]);
    assert_eq!(
        requests(&august, &six_months, "2026-10-01", "2027-09-30"),
        owned(&[("2027-02-28", FadeRecord), ("2027-08-31", FadeRecord)])
    );
}

#[test]
fn a_clinic_moves_the_requests_in_its_protocol() {
    let moved = overridden(
        "check_in.photo_requests.plan_next_session.day = 10\n\
         check_in.photo_requests.healed_result.day = 35\n",
    );
    let plan = plan(2, &["2026-03-02", "2026-03-16"]);
    assert_eq!(
        requests(&plan, &moved, "2026-03-01", "2026-05-31"),
        owned(&[
            ("2026-03-12", PlanNextSession),
            ("2026-04-20", HealedResult)
        ])
    );
}

#[test]
fn healed_result_wins_a_date_it_shares_with_the_fade_record() {
    // Monthly fade photos: 30 days after 2026-03-01 is 2026-03-31, one month after is
    // 2026-04-01; with the healed photo on day 31 both fall on 2026-04-01.
    let monthly = overridden(
        "check_in.photo_requests.fade_record.every_months = 1\n\
         check_in.photo_requests.healed_result.day = 31\n",
    );
    let plan = plan(1, &["2026-03-01"]);
    let on = |d: &str| photo_request_on(&plan, &monthly, date(d), "en").map(|r| r.kind);
    assert_eq!(on("2026-04-01"), Some(HealedResult));
    assert_eq!(on("2026-05-01"), Some(FadeRecord));
    assert_eq!(on("2026-03-31"), None);
}
