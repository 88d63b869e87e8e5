//! The embedded default protocol loads and says what domain.md says.

use crate::domain::ids::{ReminderKind, RuleId, Scope, Stage};
use crate::domain::protocol::{DayRange, DayWindow, Protocol, ProtocolOverrides};

fn range(from: i64, to: Option<i64>) -> DayRange {
    DayRange { from, to }
}

#[test]
fn the_default_protocol_loads() {
    let protocol = Protocol::default_protocol();
    assert_eq!(protocol.planned_sessions(), 3);
    assert_eq!(protocol.touch_up_after_years(), 3);
    assert_eq!(
        protocol.next_session_window(),
        DayWindow { from: 7, to: 14 }
    );
    assert_eq!(protocol.next_session_overdue_day(), 15);
    assert_eq!(protocol.healing_complete_day(), 30);
}

#[test]
fn default_rule_ranges_are_those_of_domain_md() {
    let protocol = Protocol::default_protocol();
    let expected = [
        (
            RuleId::NoWashing,
            range(0, Some(4)),
            Scope::EverySession,
            true,
        ),
        (
            RuleId::NoHeavySweating,
            range(0, Some(4)),
            Scope::EverySession,
            true,
        ),
        (
            RuleId::NoSwimming,
            range(0, Some(4)),
            Scope::EverySession,
            true,
        ),
        (
            RuleId::GentleWashingOk,
            range(5, None),
            Scope::EverySession,
            false,
        ),
        (
            RuleId::AvoidSun,
            range(0, Some(10)),
            Scope::EverySession,
            true,
        ),
        (RuleId::DailySpf, range(11, None), Scope::EverySession, true),
        (
            RuleId::NoPoolsSaunasHeavyExercise,
            range(0, Some(29)),
            Scope::FinalSession,
            true,
        ),
    ];
    for (id, range, scope, reminds_daily) in expected {
        let rule = protocol.rule(id);
        assert_eq!(rule.range, range, "{id}");
        assert_eq!(rule.scope, scope, "{id}");
        assert_eq!(rule.reminds_daily, reminds_daily, "{id}");
    }
}

#[test]
fn default_stage_ranges_are_those_of_domain_md() {
    let protocol = Protocol::default_protocol();
    let expected = [
        (Stage::SessionDay, range(0, Some(0)), Scope::EverySession),
        (Stage::Fresh, range(1, Some(3)), Scope::EverySession),
        (Stage::Settling, range(4, Some(6)), Scope::EverySession),
        (Stage::Settled, range(7, None), Scope::NonFinalSession),
        (Stage::Healing, range(7, Some(29)), Scope::FinalSession),
        (Stage::Healed, range(30, None), Scope::FinalSession),
    ];
    for (stage, range, scope) in expected {
        let def = protocol.stage(stage);
        assert_eq!(def.range, Some(range), "{stage}");
        assert_eq!(def.scope, scope, "{stage}");
    }
    assert_eq!(protocol.stage(Stage::PreTreatment).range, None);
}

#[test]
fn every_text_exists_in_english() {
    let protocol = Protocol::default_protocol();
    for &stage in Stage::ALL {
        assert!(!protocol.stage_title(stage, "en").is_empty(), "{stage}");
        assert!(!protocol.stage_expect(stage, "en").is_empty(), "{stage}");
    }
    for &rule in RuleId::ALL {
        assert!(!protocol.rule_text(rule, "en").is_empty(), "{rule}");
    }
    for &kind in ReminderKind::ALL {
        assert!(!protocol.reminder_title(kind, "en").is_empty(), "{kind}");
        assert!(!protocol.reminder_text(kind, "en").is_empty(), "{kind}");
    }
    assert_eq!(
        protocol.phrase("session_tomorrow", "en"),
        "Tomorrow is session {session}."
    );
}

#[test]
fn lookups_fall_back_to_english() {
    let protocol = Protocol::default_protocol();
    let english = protocol.rule_text(RuleId::NoSwimming, "en");
    assert_eq!(protocol.rule_text(RuleId::NoSwimming, "fr"), english);
    assert_eq!(protocol.rule_text(RuleId::NoSwimming, "pt-BR"), english);
    assert_eq!(protocol.rule_text(RuleId::NoSwimming, ""), english);
}

#[test]
fn a_protocol_serializes_as_its_source_and_reads_back_equal() {
    let protocol = Protocol::default_protocol();
    let as_toml = toml::to_string(&protocol).unwrap();
    assert_eq!(Protocol::from_toml_str(&as_toml).unwrap(), protocol);
    let as_json = serde_json::to_string(&protocol).unwrap();
    let source = ProtocolOverrides::from_json_str(&as_json).unwrap();
    assert_eq!(Protocol::from_source(source).unwrap(), protocol);
}

#[test]
fn empty_overrides_change_nothing() {
    let protocol = Protocol::default_protocol();
    let empty = ProtocolOverrides::from_json_str("{}").unwrap();
    assert!(empty.is_empty());
    assert_eq!(protocol.with_overrides(&empty).unwrap(), protocol);
}
