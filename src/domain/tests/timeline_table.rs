//! Table tests taken straight from domain.md: every day 0-35 for plans of 1, 2, 3 and 4
//! sessions at spacings of 7, 10 and 14 days.
//!
//! The tables below are copied from domain.md, not read from protocol.toml, so a wrong
//! number in either fails here.

use chrono::{Days, Months, NaiveDate};

use super::support::{date, protocol, rule_ids};
use crate::domain::ids::{ReminderKind, RuleId, Scope, Stage};
use crate::domain::timeline::{self, DayView, Plan, Session, SessionWindow};

/// domain.md, "What the scalp looks like": stage, first day, last day, sessions.
const STAGES: &[(Stage, i64, Option<i64>, Scope)] = &[
    (Stage::SessionDay, 0, Some(0), Scope::EverySession),
    (Stage::Fresh, 1, Some(3), Scope::EverySession),
    (Stage::Settling, 4, Some(6), Scope::EverySession),
    (Stage::Settled, 7, None, Scope::NonFinalSession),
    (Stage::Healing, 7, Some(29), Scope::FinalSession),
    (Stage::Healed, 30, None, Scope::FinalSession),
];

/// domain.md, "Aftercare rules": rule, first day, last day, sessions.
const RULES: &[(RuleId, i64, Option<i64>, Scope)] = &[
    (RuleId::NoWashing, 0, Some(4), Scope::EverySession),
    (RuleId::NoHeavySweating, 0, Some(4), Scope::EverySession),
    (RuleId::NoSwimming, 0, Some(4), Scope::EverySession),
    (RuleId::GentleWashingOk, 5, None, Scope::EverySession),
    (RuleId::AvoidSun, 0, Some(10), Scope::EverySession),
    (RuleId::DailySpf, 11, None, Scope::EverySession),
    (
        RuleId::NoPoolsSaunasHeavyExercise,
        0,
        Some(29),
        Scope::FinalSession,
    ),
];

/// domain.md, "Reminders the product sends": milestone, day, sessions. The overdue day
/// is day 15, the first day after the 7-14 window (issue 3: "once, on day 15").
const MILESTONES: &[(ReminderKind, i64, Scope)] = &[
    (ReminderKind::GentleWashingAllowed, 5, Scope::EverySession),
    (ReminderKind::SunAvoidanceOver, 11, Scope::EverySession),
    (
        ReminderKind::NextSessionWindowOpen,
        7,
        Scope::NonFinalSession,
    ),
    (ReminderKind::NextSessionOverdue, 15, Scope::NonFinalSession),
    (ReminderKind::HealingComplete, 30, Scope::FinalSession),
];

fn in_range(day: i64, from: i64, to: Option<i64>) -> bool {
    day >= from && to.is_none_or(|to| day <= to)
}

fn expected_stage(day: i64, is_final: bool) -> Stage {
    let matching: Vec<Stage> = STAGES
        .iter()
        .filter(|(_, from, to, scope)| scope.applies(is_final) && in_range(day, *from, *to))
        .map(|(stage, ..)| *stage)
        .collect();
    assert_eq!(matching.len(), 1, "the table itself is wrong on day {day}");
    matching[0]
}

fn expected_rules(day: i64, is_final: bool) -> Vec<RuleId> {
    RULES
        .iter()
        .filter(|(_, from, to, scope)| scope.applies(is_final) && in_range(day, *from, *to))
        .map(|(rule, ..)| *rule)
        .collect()
}

fn expected_milestones(day: i64, is_final: bool) -> Vec<ReminderKind> {
    let mut out: Vec<ReminderKind> = MILESTONES
        .iter()
        .filter(|(_, at, scope)| scope.applies(is_final) && day == *at)
        .map(|(kind, ..)| *kind)
        .collect();
    out.sort();
    out
}

/// Checks one date of a plan against the tables; returns (final?, day) for coverage.
fn check_date(plan: &Plan, dates: &[NaiveDate], on: NaiveDate) -> (bool, i64) {
    let view = timeline::day(plan, &protocol(), on, "en");
    let context = format!("plan {dates:?} planned {} on {on}", plan.planned_sessions());
    let index = dates
        .iter()
        .rposition(|d| *d <= on)
        .expect("on or after session 1");
    let session = dates[index];
    let day = (on - session).num_days();
    let is_final = index + 1 == dates.len() && dates.len() >= plan.planned_sessions() as usize;

    assert_eq!(view.session_number, Some(index as u32 + 1), "{context}");
    assert_eq!(view.session_date, Some(session), "{context}");
    assert_eq!(view.day, Some(day), "{context}");
    assert_eq!(view.is_final_session, is_final, "{context}");
    assert_eq!(view.stage, expected_stage(day, is_final), "{context}");
    assert_eq!(rule_ids(&view), expected_rules(day, is_final), "{context}");
    let milestones: Vec<ReminderKind> = view.milestones.iter().map(|m| m.id).collect();
    assert_eq!(milestones, expected_milestones(day, is_final), "{context}");
    let window = (!is_final).then(|| SessionWindow {
        from: session + Days::new(7),
        to: session + Days::new(14),
        overdue: day > 14,
    });
    assert_eq!(view.next_session_window, window, "{context}");
    assert_eq!(
        view.next_session_on,
        dates.get(index + 1).copied(),
        "{context}"
    );
    assert_eq!(view.days_until_first_session, None, "{context}");
    let last = *dates.last().unwrap();
    let complete = dates.len() >= plan.planned_sessions() as usize;
    assert_eq!(
        view.healing_complete_on,
        complete.then(|| last + Days::new(30)),
        "{context}"
    );
    assert_eq!(
        view.touch_up_due_on,
        complete.then(|| last + Months::new(36)),
        "{context}"
    );
    assert!(!view.expect.is_empty(), "{context}");
    (is_final, day)
}

#[test]
fn every_day_0_to_35_of_plans_of_1_to_4_sessions() {
    let start = date("2026-03-02");
    let mut covered = std::collections::BTreeSet::new();
    let mut checked = 0;
    for sessions in 1..=4u32 {
        for spacing in [7u64, 10, 14] {
            let dates: Vec<NaiveDate> = (0..sessions)
                .map(|k| start + Days::new(spacing * u64::from(k)))
                .collect();
            // Complete plans (the last session is final) and plans still waiting for
            // one more session (so days 7-35 of a non-final session are reached too).
            for planned in [sessions, sessions + 1] {
                let plan =
                    Plan::new(planned, dates.iter().copied().map(Session::on).collect()).unwrap();
                let last = *dates.last().unwrap();
                for on in start.iter_days().take_while(|d| *d <= last + Days::new(35)) {
                    covered.insert(check_date(&plan, &dates, on));
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} dates checked");
    for is_final in [false, true] {
        for day in 0..=35 {
            assert!(
                covered.contains(&(is_final, day)),
                "day {day} final {is_final} never checked"
            );
        }
    }
}

/// The boundaries of domain.md, spelled out one by one.
#[test]
fn stage_and_rule_boundaries() {
    let plan = super::support::plan(1, &["2026-03-02"]);
    let non_final = super::support::plan(2, &["2026-03-02"]);
    let at = |plan: &Plan, n: u64| {
        timeline::day(plan, &protocol(), date("2026-03-02") + Days::new(n), "en")
    };
    let stage = |plan: &Plan, n| at(plan, n).stage;
    let has = |plan: &Plan, n, rule| at(plan, n).has_rule(rule);

    assert_eq!(stage(&plan, 0), Stage::SessionDay);
    assert_eq!(stage(&plan, 1), Stage::Fresh);
    assert_eq!(stage(&plan, 3), Stage::Fresh);
    assert_eq!(stage(&plan, 4), Stage::Settling);
    assert_eq!(stage(&plan, 6), Stage::Settling);
    assert_eq!(stage(&non_final, 7), Stage::Settled);
    assert_eq!(stage(&non_final, 35), Stage::Settled);
    assert_eq!(stage(&plan, 7), Stage::Healing);
    assert_eq!(stage(&plan, 29), Stage::Healing);
    assert_eq!(stage(&plan, 30), Stage::Healed);

    for rule in [
        RuleId::NoWashing,
        RuleId::NoHeavySweating,
        RuleId::NoSwimming,
    ] {
        assert!(has(&plan, 0, rule) && has(&plan, 4, rule), "{rule}");
        assert!(!has(&plan, 5, rule), "{rule}");
    }
    assert!(!has(&plan, 4, RuleId::GentleWashingOk));
    assert!(has(&plan, 5, RuleId::GentleWashingOk));
    assert!(has(&plan, 10, RuleId::AvoidSun));
    assert!(!has(&plan, 11, RuleId::AvoidSun));
    assert!(!has(&plan, 10, RuleId::DailySpf));
    assert!(has(&plan, 11, RuleId::DailySpf));
    assert!(has(&plan, 35, RuleId::DailySpf));
    assert!(has(&plan, 29, RuleId::NoPoolsSaunasHeavyExercise));
    assert!(!has(&plan, 30, RuleId::NoPoolsSaunasHeavyExercise));
    assert!(!has(&non_final, 0, RuleId::NoPoolsSaunasHeavyExercise));
}

#[test]
fn what_changes_tomorrow_at_the_boundaries() {
    let plan = super::support::plan(1, &["2026-03-02"]);
    let tomorrow = |n: u64| {
        timeline::day(&plan, &protocol(), date("2026-03-02") + Days::new(n), "en").tomorrow
    };
    assert!(tomorrow(1).is_empty());
    assert_eq!(
        tomorrow(3),
        ["From tomorrow the surface pigment starts to shed and the dots will look lighter and softer. That is normal."]
    );
    assert_eq!(tomorrow(4), ["From tomorrow you may wash gently."]);
    assert_eq!(
        tomorrow(10),
        ["From tomorrow sun avoidance is over: protect your scalp with SPF 30-50 every day instead."]
    );
    assert_eq!(
        tomorrow(29),
        [
            "Tomorrow your scalp is fully healed and you can judge the final result.",
            "From tomorrow swimming pools, saunas and heavy exercise are fine again."
        ]
    );
    assert!(tomorrow(30).is_empty());
}

#[test]
fn day_views_serialize_with_the_identifiers_of_domain_md() {
    let plan = super::support::plan(3, &["2026-03-02", "2026-03-12"]);
    let view: DayView = timeline::day(&plan, &protocol(), date("2026-03-23"), "en");
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["date"], "2026-03-23");
    assert_eq!(json["session_number"], 2);
    assert_eq!(json["day"], 11);
    assert_eq!(json["is_final_session"], false);
    assert_eq!(json["stage"], "settled");
    assert_eq!(json["rules"][0]["id"], "gentle_washing_ok");
    assert_eq!(json["rules"][1]["id"], "daily_spf");
    assert_eq!(json["milestones"][0]["id"], "sun_avoidance_over");
    assert_eq!(json["next_session_window"]["from"], "2026-03-19");
    assert_eq!(json["next_session_window"]["to"], "2026-03-26");
    assert_eq!(json["next_session_window"]["overdue"], false);
    assert_eq!(json["days_until_first_session"], serde_json::Value::Null);
    assert_eq!(json["healing_complete_on"], serde_json::Value::Null);
    assert_eq!(json["touch_up_due_on"], serde_json::Value::Null);
    assert!(json["expect"].as_str().unwrap().contains("dermis"));
    assert!(json["tomorrow"].is_array());
}
