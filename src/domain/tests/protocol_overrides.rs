//! A clinic's protocol is the default with overrides.

use super::support::{date, plan, rule_ids};
use crate::domain::ids::{ReminderKind, RuleId};
use crate::domain::protocol::{DayRange, Protocol, ProtocolOverrides};
use crate::domain::timeline::{self, DayView, Plan};

const WASH_FROM_DAY_10: &str =
    include_str!("../../../tests/fixtures/protocols/wash_from_day_10.toml");
const SUN_TO_DAY_30: &str = include_str!("../../../tests/fixtures/protocols/sun_to_day_30.toml");

fn overridden(toml_text: &str) -> Protocol {
    let overrides = ProtocolOverrides::from_toml_str(toml_text).expect("valid TOML");
    Protocol::default_protocol()
        .with_overrides(&overrides)
        .expect("valid override")
}

/// Session 1 of 1 on 2026-03-02, so day N is 2026-03-(02+N).
fn single_session() -> Plan {
    plan(1, &["2026-03-02"])
}

fn day_n(protocol: &Protocol, n: u64, locale: &str) -> DayView {
    let on = date("2026-03-02") + chrono::Days::new(n);
    timeline::day(&single_session(), protocol, on, locale)
}

fn milestone_ids(view: &DayView) -> Vec<ReminderKind> {
    view.milestones.iter().map(|m| m.id).collect()
}

#[test]
fn washing_from_day_10_is_a_one_line_override() {
    let lines: Vec<&str> = WASH_FROM_DAY_10
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    assert_eq!(lines, ["rules.gentle_washing_ok.from = 10"]);

    let protocol = overridden(WASH_FROM_DAY_10);
    let no_washing = protocol.rule(RuleId::NoWashing).range;
    assert_eq!(
        no_washing,
        DayRange {
            from: 0,
            to: Some(9)
        }
    );

    let day4 = day_n(&protocol, 4, "en");
    assert!(day4.has_rule(RuleId::NoWashing));
    assert!(!day4.tomorrow.iter().any(|s| s.contains("wash gently")));
    let day5 = day_n(&protocol, 5, "en");
    assert!(day5.has_rule(RuleId::NoWashing));
    assert!(!day5.has_rule(RuleId::GentleWashingOk));
    assert!(!milestone_ids(&day5).contains(&ReminderKind::GentleWashingAllowed));
    let day9 = day_n(&protocol, 9, "en");
    assert_eq!(
        rule_ids(&day9),
        [
            RuleId::NoWashing,
            RuleId::AvoidSun,
            RuleId::NoPoolsSaunasHeavyExercise
        ]
    );
    assert!(day9
        .tomorrow
        .contains(&"From tomorrow you may wash gently.".to_string()));
    let day10 = day_n(&protocol, 10, "en");
    assert!(!day10.has_rule(RuleId::NoWashing));
    assert!(day10.has_rule(RuleId::GentleWashingOk));
    assert_eq!(milestone_ids(&day10), [ReminderKind::GentleWashingAllowed]);
    // The other rules keep their default days.
    assert!(!day5.has_rule(RuleId::NoHeavySweating));
    assert!(day_n(&protocol, 11, "en").has_rule(RuleId::DailySpf));
}

#[test]
fn the_same_override_reads_from_json() {
    let from_json =
        ProtocolOverrides::from_json_str(r#"{"rules":{"gentle_washing_ok":{"from":10}}}"#).unwrap();
    let from_toml = ProtocolOverrides::from_toml_str(WASH_FROM_DAY_10).unwrap();
    assert_eq!(from_json, from_toml);
}

#[test]
fn sun_avoidance_to_day_30_moves_spf_and_its_milestone() {
    let protocol = overridden(SUN_TO_DAY_30);
    assert_eq!(
        protocol.rule(RuleId::DailySpf).range,
        DayRange { from: 31, to: None }
    );
    let day11 = day_n(&protocol, 11, "en");
    assert!(day11.has_rule(RuleId::AvoidSun));
    assert!(!day11.has_rule(RuleId::DailySpf));
    assert!(day11.milestones.is_empty());
    let day30 = day_n(&protocol, 30, "en");
    assert!(day30.has_rule(RuleId::AvoidSun));
    assert_eq!(milestone_ids(&day30), [ReminderKind::HealingComplete]);
    let day31 = day_n(&protocol, 31, "en");
    assert!(day31.has_rule(RuleId::DailySpf));
    assert_eq!(milestone_ids(&day31), [ReminderKind::SunAvoidanceOver]);
}

#[test]
fn translations_merge_per_locale() {
    let protocol = overridden(
        "rules.no_swimming.text.fr = \"Ne nagez pas.\"\nstages.fresh.title.fr = \"Frais\"",
    );
    assert_eq!(
        protocol.rule_text(RuleId::NoSwimming, "fr"),
        "Ne nagez pas."
    );
    assert_eq!(
        protocol.rule_text(RuleId::NoSwimming, "fr-CA"),
        "Ne nagez pas."
    );
    assert_eq!(protocol.rule_text(RuleId::NoSwimming, "en"), "Do not swim.");
    assert_eq!(
        protocol.rule_text(RuleId::AvoidSun, "fr"),
        protocol.rule_text(RuleId::AvoidSun, "en")
    );
    let day1 = day_n(&protocol, 1, "fr");
    assert_eq!(day1.stage_title, "Frais");
    assert!(day1.rules.iter().any(|r| r.text == "Ne nagez pas."));
}

#[test]
fn overrides_stack() {
    let washing = overridden(WASH_FROM_DAY_10);
    let both = washing
        .with_overrides(&ProtocolOverrides::from_toml_str(SUN_TO_DAY_30).unwrap())
        .unwrap();
    assert_eq!(both.rule(RuleId::GentleWashingOk).range.from, 10);
    assert_eq!(both.rule(RuleId::AvoidSun).range.to, Some(30));
}

#[test]
fn touch_up_interval_and_planned_count_are_data() {
    let protocol = overridden("touch_up_after_years = 5\nplanned_sessions = 4");
    assert_eq!(protocol.planned_sessions(), 4);
    let view = day_n(&protocol, 0, "en");
    assert_eq!(view.touch_up_due_on, Some(date("2031-03-02")));
}

#[test]
fn an_optional_sentence_can_be_switched_off() {
    let protocol = overridden("rules.gentle_washing_ok.starts_tomorrow.en = \"\"");
    assert!(protocol
        .rule_starts_tomorrow(RuleId::GentleWashingOk, "en")
        .is_none());
    assert!(day_n(&protocol, 4, "en").tomorrow.is_empty());
    let default_day4 = day_n(&Protocol::default_protocol(), 4, "en");
    assert_eq!(
        default_day4.tomorrow,
        ["From tomorrow you may wash gently."]
    );
}
