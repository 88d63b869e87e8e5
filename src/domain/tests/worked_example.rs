//! domain.md's worked example, verbatim:
//!
//! > Example: sessions on 2026-03-02 (1 of 3) and 2026-03-12 (2 of 3). On 2026-03-15 the
//! > current session is 2, day 3, stage `fresh`, rules `no_washing`, `no_heavy_sweating`,
//! > `no_swimming`, `avoid_sun`; the next-session window is 2026-03-19 to 2026-03-26. On
//! > 2026-03-23 it is day 11 of session 2, stage `settled`, rules `gentle_washing_ok`,
//! > `daily_spf`, and a `sun_avoidance_over` milestone.

use super::support::{date, plan, rule_ids, view};
use crate::domain::ids::{ReminderKind, RuleId, Stage};
use crate::domain::timeline::SessionWindow;

#[test]
fn on_2026_03_15_it_is_session_2_day_3_fresh() {
    let plan = plan(3, &["2026-03-02", "2026-03-12"]);
    let day = view(&plan, "2026-03-15");
    assert_eq!(day.session_number, Some(2));
    assert_eq!(day.day, Some(3));
    assert!(!day.is_final_session);
    assert_eq!(day.stage, Stage::Fresh);
    assert_eq!(
        rule_ids(&day),
        [
            RuleId::NoWashing,
            RuleId::NoHeavySweating,
            RuleId::NoSwimming,
            RuleId::AvoidSun
        ]
    );
    assert_eq!(
        day.next_session_window,
        Some(SessionWindow {
            from: date("2026-03-19"),
            to: date("2026-03-26"),
            overdue: false
        })
    );
    assert!(day.milestones.is_empty());
}

#[test]
fn on_2026_03_23_it_is_session_2_day_11_settled() {
    let plan = plan(3, &["2026-03-02", "2026-03-12"]);
    let day = view(&plan, "2026-03-23");
    assert_eq!(day.session_number, Some(2));
    assert_eq!(day.day, Some(11));
    assert_eq!(day.stage, Stage::Settled);
    assert_eq!(rule_ids(&day), [RuleId::GentleWashingOk, RuleId::DailySpf]);
    let milestones: Vec<ReminderKind> = day.milestones.iter().map(|m| m.id).collect();
    assert_eq!(milestones, [ReminderKind::SunAvoidanceOver]);
}
