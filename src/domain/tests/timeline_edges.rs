//! The edge cases issue 3 gives defined answers for.

use chrono::{Days, NaiveDate};

use super::support::{date, plan, protocol, rule_ids, view};
use crate::domain::ids::{ReminderKind, Stage};
use crate::domain::timeline::{self, DayView, Plan, PlanError, Session};

fn milestone_ids(view: &DayView) -> Vec<ReminderKind> {
    view.milestones.iter().map(|m| m.id).collect()
}

#[test]
fn before_the_first_session_it_is_pre_treatment_with_a_countdown() {
    let plan = plan(3, &["2026-03-02", "2026-03-12"]);
    let day = view(&plan, "2026-02-25");
    assert_eq!(day.stage, Stage::PreTreatment);
    assert_eq!(day.days_until_first_session, Some(5));
    assert_eq!(day.session_number, None);
    assert_eq!(day.day, None);
    assert!(!day.is_final_session);
    assert!(day.rules.is_empty());
    assert!(day.milestones.is_empty());
    assert_eq!(day.next_session_window, None);
    assert_eq!(day.next_session_on, Some(date("2026-03-02")));
    assert!(day.tomorrow.is_empty());
    assert!(!day.expect.is_empty());

    let eve = view(&plan, "2026-03-01");
    assert_eq!(eve.days_until_first_session, Some(1));
    assert_eq!(eve.tomorrow, ["Tomorrow is session 1."]);
}

#[test]
fn with_no_session_booked_it_is_pre_treatment_without_a_countdown() {
    let plan = plan(3, &[]);
    let day = view(&plan, "2026-03-01");
    assert_eq!(day.stage, Stage::PreTreatment);
    assert_eq!(day.days_until_first_session, None);
    assert_eq!(day.healing_complete_on, None);
    assert_eq!(day.total_sessions, 3);
}

#[test]
fn sessions_entered_out_of_order_are_sorted() {
    let shuffled = plan(3, &["2026-03-24", "2026-03-02", "2026-03-12"]);
    let sorted = plan(3, &["2026-03-02", "2026-03-12", "2026-03-24"]);
    assert_eq!(shuffled, sorted);
    let day = view(&shuffled, "2026-03-15");
    assert_eq!((day.session_number, day.day), (Some(2), Some(3)));
}

#[test]
fn two_sessions_on_one_date_are_refused() {
    let sessions = vec![
        Session::on(date("2026-03-12")),
        Session::on(date("2026-03-02")),
        Session::on(date("2026-03-12")),
    ];
    let error = Plan::new(3, sessions).unwrap_err();
    assert_eq!(error, PlanError::DuplicateDate(date("2026-03-12")));
    assert_eq!(
        error.to_string(),
        "two sessions on 2026-03-12: there can be only one session per date"
    );
}

#[test]
fn zero_planned_sessions_are_refused() {
    let error = Plan::new(0, vec![]).unwrap_err();
    assert_eq!(error, PlanError::NoPlannedSessions);
    assert_eq!(
        error.to_string(),
        "a treatment plan needs at least 1 planned session"
    );
}

#[test]
fn more_sessions_than_planned_extend_the_plan_and_the_latest_is_final() {
    let plan = plan(2, &["2026-03-02", "2026-03-12", "2026-03-24"]);
    assert_eq!(plan.total_sessions(), 3);
    let second = view(&plan, "2026-03-20");
    assert_eq!(second.session_number, Some(2));
    assert!(!second.is_final_session);
    assert_eq!(second.stage, Stage::Settled);
    let third = view(&plan, "2026-03-31");
    assert_eq!(third.session_number, Some(3));
    assert!(third.is_final_session);
    assert_eq!(third.stage, Stage::Healing);
    assert_eq!(third.next_session_window, None);
    assert_eq!(third.healing_complete_on, Some(date("2026-04-23")));
    assert_eq!(third.touch_up_due_on, Some(date("2029-03-24")));
}

#[test]
fn a_one_session_plan_heals_after_that_session() {
    let plan = plan(1, &["2026-03-02"]);
    let day7 = view(&plan, "2026-03-09");
    assert!(day7.is_final_session);
    assert_eq!(day7.stage, Stage::Healing);
    assert_eq!(day7.next_session_window, None);
    assert!(milestone_ids(&day7).is_empty(), "no next-session window");
    let day30 = view(&plan, "2026-04-01");
    assert_eq!(day30.stage, Stage::Healed);
    assert_eq!(milestone_ids(&day30), [ReminderKind::HealingComplete]);
    assert_eq!(day30.healing_complete_on, Some(date("2026-04-01")));
}

#[test]
fn a_gap_over_14_days_is_overdue_once_on_day_15() {
    let plan = plan(3, &["2026-03-02", "2026-03-22"]);
    let first = date("2026-03-02");
    let mut overdue_days = Vec::new();
    for n in 7..20u64 {
        let day = timeline::day(&plan, &protocol(), first + Days::new(n), "en");
        assert_eq!(day.session_number, Some(1));
        let window = day.next_session_window.expect("session 1 is not final");
        assert_eq!(window.overdue, n > 14, "day {n}");
        if milestone_ids(&day).contains(&ReminderKind::NextSessionOverdue) {
            overdue_days.push(n);
        }
        assert_eq!(day.next_session_on, Some(date("2026-03-22")));
    }
    assert_eq!(overdue_days, [15]);
    let day15 = view(&plan, "2026-03-17");
    let overdue = &day15.milestones[0];
    assert_eq!(overdue.title, "Time to book session 2");
    let second = view(&plan, "2026-03-22");
    assert_eq!((second.session_number, second.day), (Some(2), Some(0)));
    assert!(!second.next_session_window.unwrap().overdue);
}

#[test]
fn with_no_next_session_booked_the_overdue_milestone_still_comes_once() {
    let plan = plan(3, &["2026-03-02"]);
    let hits: Vec<NaiveDate> = timeline::range(
        &plan,
        &protocol(),
        date("2026-03-02"),
        date("2026-05-01"),
        "en",
    )
    .into_iter()
    .filter(|d| milestone_ids(d).contains(&ReminderKind::NextSessionOverdue))
    .map(|d| d.date)
    .collect();
    assert_eq!(hits, [date("2026-03-17")]);
}

#[test]
fn future_sessions_are_planned_for() {
    // Seen from 2026-03-15, session 3 on 2026-03-24 is still ahead.
    let plan = plan(3, &["2026-03-02", "2026-03-12", "2026-03-24"]);
    let day = view(&plan, "2026-03-15");
    assert!(!day.is_final_session);
    assert_eq!(day.next_session_on, Some(date("2026-03-24")));
    assert_eq!(day.healing_complete_on, Some(date("2026-04-23")));
    assert_eq!(day.touch_up_due_on, Some(date("2029-03-24")));
    let eve = view(&plan, "2026-03-23");
    assert_eq!(eve.tomorrow, ["Tomorrow is session 3."]);
    let session_day = view(&plan, "2026-03-24");
    assert_eq!(session_day.stage, Stage::SessionDay);
    assert!(session_day.is_final_session);
}

#[test]
fn a_session_marked_final_before_the_planned_count_is_final() {
    let sessions = vec![
        Session::on(date("2026-03-02")),
        Session {
            date: date("2026-03-12"),
            final_marked: true,
        },
    ];
    let marked = Plan::new(3, sessions.clone()).unwrap();
    assert_eq!(marked.total_sessions(), 2);
    let day = timeline::day(&marked, &protocol(), date("2026-03-19"), "en");
    assert!(day.is_final_session);
    assert_eq!(day.stage, Stage::Healing);
    assert_eq!(day.next_session_window, None);
    assert_eq!(day.healing_complete_on, Some(date("2026-04-11")));
    let before = timeline::day(&marked, &protocol(), date("2026-03-10"), "en");
    assert!(!before.is_final_session);
    assert_eq!(before.stage, Stage::Settled);

    // A later session takes "final" over.
    let mut extended = sessions;
    extended.push(Session::on(date("2026-03-30")));
    let extended = Plan::new(3, extended).unwrap();
    let day = timeline::day(&extended, &protocol(), date("2026-03-19"), "en");
    assert!(!day.is_final_session);
    assert_eq!(day.stage, Stage::Settled);
    assert_eq!(day.healing_complete_on, Some(date("2026-04-29")));
}

#[test]
fn the_touch_up_is_due_on_its_date_once() {
    let plan = plan(1, &["2026-03-24"]);
    let due = view(&plan, "2029-03-24");
    assert_eq!(milestone_ids(&due), [ReminderKind::TouchUpDue]);
    assert_eq!(
        due.milestones[0].text,
        "It has been 3 years since your final session. A single 2-3 hour touch-up visit keeps your result crisp."
    );
    assert!(view(&plan, "2029-03-23").milestones.is_empty());
    assert!(view(&plan, "2029-03-25").milestones.is_empty());
    assert_eq!(due.stage, Stage::Healed);
}

#[test]
fn a_touch_up_from_29_february_falls_on_28_february() {
    let plan = plan(1, &["2028-02-29"]);
    assert_eq!(
        view(&plan, "2028-03-01").touch_up_due_on,
        Some(date("2031-02-28"))
    );
}

#[test]
fn range_includes_both_ends() {
    let plan = plan(3, &["2026-03-02"]);
    let days = timeline::range(
        &plan,
        &protocol(),
        date("2026-03-01"),
        date("2026-03-05"),
        "en",
    );
    let dates: Vec<NaiveDate> = days.iter().map(|d| d.date).collect();
    assert_eq!(dates.first(), Some(&date("2026-03-01")));
    assert_eq!(dates.last(), Some(&date("2026-03-05")));
    assert_eq!(dates.len(), 5);
    assert!(timeline::range(
        &plan,
        &protocol(),
        date("2026-03-05"),
        date("2026-03-01"),
        "en"
    )
    .is_empty());
    assert_eq!(rule_ids(&days[1]).len(), 4);
}

#[test]
fn milestone_texts_fill_their_placeholders() {
    let plan = plan(3, &["2026-03-02"]);
    let day7 = view(&plan, "2026-03-09");
    assert_eq!(milestone_ids(&day7), [ReminderKind::NextSessionWindowOpen]);
    assert_eq!(
        day7.milestones[0].text,
        "Your scalp has settled, so session 2 can go ahead any day until 2026-03-16. Book it now if you have not yet."
    );
}
