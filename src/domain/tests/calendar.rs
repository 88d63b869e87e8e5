//! The calendar's events: the domain.md example by hand, and every plan against the
//! timeline it is derived from.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate};

use super::support::{date, plan, protocol};
use crate::domain::calendar::{events, Anchor, CalendarEvent, CalendarEventKind};
use crate::domain::ids::ReminderKind;
use crate::domain::protocol::{Protocol, ProtocolOverrides};
use crate::domain::timeline::{self, Plan, Session};

use CalendarEventKind::*;

/// (kind, first, last) of every event.
fn spans(events: &[CalendarEvent]) -> Vec<(CalendarEventKind, NaiveDate, NaiveDate)> {
    events.iter().map(|e| (e.kind, e.first, e.last)).collect()
}

fn one_day(kind: CalendarEventKind, on: &str) -> (CalendarEventKind, NaiveDate, NaiveDate) {
    (kind, date(on), date(on))
}

#[test]
fn the_domain_example_two_sessions_of_three() {
    // domain.md: sessions 2026-03-02 (1 of 3) and 2026-03-12 (2 of 3); the
    // next-session window is 2026-03-19 to 2026-03-26; 2026-03-23 is sun_avoidance_over.
    let plan = plan(3, &["2026-03-02", "2026-03-12"]);
    let events = events(&plan, &protocol(), "en");
    assert_eq!(
        spans(&events),
        [
            one_day(Session, "2026-03-02"),
            // Day 5 of session 1; its day 11 (2026-03-13) falls after session 2.
            one_day(GentleWashingAllowed, "2026-03-07"),
            one_day(Session, "2026-03-12"),
            one_day(GentleWashingAllowed, "2026-03-17"),
            (NextSessionWindow, date("2026-03-19"), date("2026-03-26")),
            one_day(SunAvoidanceOver, "2026-03-23"),
        ]
    );
    let titles: Vec<&str> = events.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "SMP session 1",
            "You may wash gently from today",
            "SMP session 2",
            "You may wash gently from today",
            "Window for SMP session 3",
            "Sun avoidance is over",
        ]
    );
    let window = &events[4];
    assert_eq!(window.anchor, Anchor::Plan);
    assert!(
        window.description.contains("session 3") && window.description.contains("2026-03-26"),
        "{}",
        window.description
    );
    assert_eq!(events[1].anchor, Anchor::Session(date("2026-03-02")));
    assert_eq!(events[3].anchor, Anchor::Session(date("2026-03-12")));
}

#[test]
fn the_final_session_brings_healing_complete_and_the_touch_up() {
    let plan = plan(3, &["2026-03-02", "2026-03-12", "2026-03-24"]);
    let events = events(&plan, &protocol(), "en");
    assert_eq!(
        spans(&events),
        [
            one_day(Session, "2026-03-02"),
            one_day(GentleWashingAllowed, "2026-03-07"),
            one_day(Session, "2026-03-12"),
            one_day(GentleWashingAllowed, "2026-03-17"),
            one_day(SunAvoidanceOver, "2026-03-23"),
            one_day(Session, "2026-03-24"),
            one_day(GentleWashingAllowed, "2026-03-29"),
            one_day(SunAvoidanceOver, "2026-04-04"),
            // Day 30 after the final session.
            one_day(HealingComplete, "2026-04-23"),
            // touch_up_after_years = 3.
            one_day(TouchUpDue, "2029-03-24"),
        ]
    );
    let healed = &events[8];
    assert_eq!(healed.anchor, Anchor::Plan);
    assert_eq!(healed.title, "Your scalp has healed");
    let touch_up = &events[9];
    assert_eq!(touch_up.anchor, Anchor::Plan);
    assert!(touch_up.description.contains("3 years"), "{touch_up:?}");
}

#[test]
fn no_sessions_no_events() {
    assert!(events(&plan(3, &[]), &protocol(), "en").is_empty());
}

fn overridden(toml_text: &str) -> Protocol {
    let overrides = ProtocolOverrides::from_toml_str(toml_text).expect("valid TOML");
    protocol()
        .with_overrides(&overrides)
        .expect("valid override")
}

#[test]
fn the_days_and_texts_are_the_protocols() {
    let custom = overridden(
        r#"
        touch_up_after_years = 5
        next_session_window = { from = 10, to = 21 }
        rules.gentle_washing_ok.from = 10
        rules.avoid_sun.to = 14
        reminders.gentle_washing_allowed.title.en = "Wash day"
        phrases.calendar_session.en = "Visit {session}"
        "#,
    );
    let two = plan(3, &["2026-03-02", "2026-03-30"]);
    assert_eq!(
        spans(&events(&two, &custom, "en")),
        [
            one_day(Session, "2026-03-02"),
            one_day(GentleWashingAllowed, "2026-03-12"),
            one_day(SunAvoidanceOver, "2026-03-17"),
            one_day(Session, "2026-03-30"),
            (NextSessionWindow, date("2026-04-09"), date("2026-04-20")),
            one_day(GentleWashingAllowed, "2026-04-09"),
            one_day(SunAvoidanceOver, "2026-04-14"),
        ]
    );
    let titles: Vec<String> = events(&two, &custom, "en")
        .into_iter()
        .filter(|e| matches!(e.kind, Session | GentleWashingAllowed))
        .map(|e| e.title)
        .collect();
    assert_eq!(titles, ["Visit 1", "Wash day", "Visit 2", "Wash day"]);

    let final_two = plan(2, &["2026-03-02", "2026-03-30"]);
    let last = events(&final_two, &custom, "en").pop().unwrap();
    assert_eq!((last.kind, last.first), (TouchUpDue, date("2031-03-30")));
}

/// Sessions from `start`, `gaps` days apart, the last one marked final or not.
fn plan_with(start: NaiveDate, gaps: &[u64], planned: u32) -> Plan {
    let mut dates = vec![start];
    for gap in gaps {
        let last = *dates.last().unwrap();
        dates.push(last + Days::new(*gap));
    }
    Plan::new(planned, dates.into_iter().map(Session::on).collect()).unwrap()
}

/// For every plan shape: the milestone events are exactly the timeline's milestones
/// of those kinds, day by day; sessions are the plan's sessions; the window is the one
/// the timeline shows after the latest session.
#[test]
fn every_event_is_the_timelines() {
    let protocol = protocol();
    let start = date("2026-03-02");
    let shapes: &[(&[u64], u32)] = &[
        (&[], 1),
        (&[], 3),
        (&[7], 2),
        (&[10], 3),
        (&[4], 2),
        (&[7, 14], 3),
        (&[9, 12], 4),
        (&[12, 8, 14], 4),
        (&[30, 40], 3),
    ];
    let shown: BTreeSet<ReminderKind> = [
        ReminderKind::GentleWashingAllowed,
        ReminderKind::SunAvoidanceOver,
        ReminderKind::HealingComplete,
        ReminderKind::TouchUpDue,
    ]
    .into();
    for &(gaps, planned) in shapes {
        let plan = plan_with(start, gaps, planned);
        let events = events(&plan, &protocol, "en");
        let last_session = plan.sessions().last().unwrap().date;
        let end = last_session + Days::new(6 * 365);
        let mut from_timeline = BTreeSet::new();
        for view in timeline::range(&plan, &protocol, start, end, "en") {
            for m in &view.milestones {
                if shown.contains(&m.id) {
                    from_timeline.insert((view.date, m.id.as_str().to_string(), m.title.clone()));
                }
            }
        }
        let from_calendar: BTreeSet<_> = events
            .iter()
            .filter(|e| !matches!(e.kind, Session | NextSessionWindow))
            .map(|e| (e.first, e.kind.as_str().to_string(), e.title.clone()))
            .collect();
        assert_eq!(from_calendar, from_timeline, "{gaps:?} of {planned}");

        let sessions: Vec<NaiveDate> = events
            .iter()
            .filter(|e| e.kind == Session)
            .map(|e| e.first)
            .collect();
        let recorded: Vec<NaiveDate> = plan.sessions().iter().map(|s| s.date).collect();
        assert_eq!(sessions, recorded, "{gaps:?} of {planned}");

        let window = events.iter().find(|e| e.kind == NextSessionWindow);
        let expected = timeline::day(&plan, &protocol, last_session, "en").next_session_window;
        assert_eq!(
            window.map(|w| (w.first, w.last)),
            expected.map(|w| (w.from, w.to)),
            "{gaps:?} of {planned}"
        );
        assert!(
            events
                .windows(2)
                .all(|w| (w[0].first, w[0].kind) <= (w[1].first, w[1].kind)),
            "sorted"
        );
    }
}
