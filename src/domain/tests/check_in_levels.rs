//! The default check-in levels, day by day: every symptom on days 0-60 of the first, a
//! middle and the final session, against the defaults of the brief written out here
//! independently of config/protocol.toml.

use chrono::Days;

use super::support::{date, plan, protocol};
use crate::domain::check_in::{assess, assess_on};
use crate::domain::ids::CheckInLevel::{self, Expected, Urgent, Watch};
use crate::domain::ids::Symptom;
use crate::domain::timeline::Plan;

/// Open-ended: the level holds for good.
const ON: i64 = i64::MAX;

/// An inclusive range of days and the level on them.
type Span = (i64, i64, CheckInLevel);

/// The brief's defaults, one row per symptom.
const DEFAULTS: &[(Symptom, &[Span])] = &[
    // "redness and tenderness days 0-3 expected, after day 4 watch" (day 4 is watch).
    (Symptom::Redness, &[(0, 3, Expected), (4, ON, Watch)]),
    (Symptom::Tenderness, &[(0, 3, Expected), (4, ON, Watch)]),
    // "swelling days 0-3 expected, beyond day 3 watch".
    (Symptom::Swelling, &[(0, 3, Expected), (4, ON, Watch)]),
    // "mild itching days 3-10 expected (outside: watch)".
    (
        Symptom::Itching,
        &[(0, 2, Watch), (3, 10, Expected), (11, ON, Watch)],
    ),
    // "flaking or light crust days 4-10 expected (outside: watch)".
    (
        Symptom::Flaking,
        &[(0, 3, Watch), (4, 10, Expected), (11, ON, Watch)],
    ),
    // "bumps or a rash watch", "pigment spreading or blurring watch".
    (Symptom::BumpsOrRash, &[(0, ON, Watch)]),
    (Symptom::PigmentSpreading, &[(0, ON, Watch)]),
    // "redness spreading or hot to the touch after day 3: urgent"; before, watch.
    (
        Symptom::RednessSpreadingOrHot,
        &[(0, 3, Watch), (4, ON, Urgent)],
    ),
    // "yellow or green discharge, fever, or feeling unwell: urgent at any day".
    (Symptom::Discharge, &[(0, ON, Urgent)]),
    (Symptom::FeverOrUnwell, &[(0, ON, Urgent)]),
];

fn expected_level(symptom: Symptom, day: i64) -> CheckInLevel {
    let (_, ranges) = DEFAULTS
        .iter()
        .find(|(s, _)| *s == symptom)
        .unwrap_or_else(|| panic!("{symptom} is not in the table"));
    ranges
        .iter()
        .find(|(from, to, _)| (*from..=*to).contains(&day))
        .map(|(_, _, level)| *level)
        .unwrap_or_else(|| panic!("the table has no level for {symptom} on day {day}"))
}

/// Sessions 10-12 days apart, the third of three final.
const SESSIONS: [&str; 3] = ["2026-03-02", "2026-03-12", "2026-03-24"];

/// The plan as it stands while `number` is the latest session recorded.
fn plan_up_to(number: usize) -> Plan {
    plan(3, &SESSIONS[..number])
}

#[test]
fn the_table_names_every_symptom_once() {
    let mut named: Vec<Symptom> = DEFAULTS.iter().map(|(s, _)| *s).collect();
    named.sort();
    assert_eq!(named, Symptom::ALL);
}

#[test]
fn every_default_symptom_on_days_0_to_60_of_the_first_a_middle_and_the_final_session() {
    let protocol = protocol();
    for (number, is_final) in [(1, false), (2, false), (3, true)] {
        let plan = plan_up_to(number);
        let session = date(SESSIONS[number - 1]);
        for day in 0..=60_i64 {
            let on = session + Days::new(day as u64);
            for &symptom in Symptom::ALL {
                let want = expected_level(symptom, day);
                let case = format!("{symptom}, session {number}, day {day}");
                let by_date = assess_on(&plan, &protocol, on, &[symptom], "en")
                    .unwrap_or_else(|| panic!("{case}: no assessment"));
                assert_eq!(by_date.day, day, "{case}");
                assert_eq!(by_date.is_final_session, is_final, "{case}");
                assert_eq!(by_date.level, Some(want), "{case}");
                let by_day = assess(&protocol, &[symptom], day, is_final, "en").unwrap();
                assert_eq!(by_day, by_date, "{case}");
                let answer = &by_day.symptoms[0];
                assert_eq!(answer.level, want, "{case}");
                assert!(!answer.text.is_empty(), "{case}: no text");
                assert!(!answer.label.is_empty(), "{case}: no label");
            }
        }
    }
}

#[test]
fn the_worst_level_wins_and_comes_first() {
    let protocol = protocol();
    let symptoms = [
        Symptom::Redness,
        Symptom::Discharge,
        Symptom::Itching,
        Symptom::Redness,
    ];
    // Day 2: redness expected, itching watch, discharge urgent.
    let answer = assess(&protocol, &symptoms, 2, false, "en").unwrap();
    assert_eq!(answer.level, Some(Urgent));
    let order: Vec<(Symptom, CheckInLevel)> = answer
        .symptoms
        .iter()
        .map(|a| (a.symptom, a.level))
        .collect();
    assert_eq!(
        order,
        [
            (Symptom::Discharge, Urgent),
            (Symptom::Itching, Watch),
            (Symptom::Redness, Expected)
        ]
    );
    // Day 5 (the client): redness now watch, flaking expected.
    let answer = assess(
        &protocol,
        &[Symptom::Flaking, Symptom::Redness],
        5,
        false,
        "en",
    )
    .unwrap();
    assert_eq!(answer.level, Some(Watch));
}

#[test]
fn the_client_reads_the_text_of_the_level_and_urgent_says_when_to_seek_care() {
    let protocol = protocol();
    let check_in = protocol.check_in();
    let day2 = assess(&protocol, &[Symptom::Redness], 2, false, "en").unwrap();
    assert_eq!(
        day2.symptoms[0].text,
        check_in.text(Symptom::Redness, Expected, "en")
    );
    let day6 = assess(&protocol, &[Symptom::Redness], 6, false, "en").unwrap();
    assert_eq!(
        day6.symptoms[0].text,
        check_in.text(Symptom::Redness, Watch, "en")
    );
    assert_ne!(day2.symptoms[0].text, day6.symptoms[0].text);
    for &symptom in Symptom::ALL {
        for &level in CheckInLevel::ALL {
            let text = check_in.text(symptom, level, "en");
            if level == Urgent && !text.is_empty() {
                assert!(
                    text.contains("Contact your clinic today"),
                    "{symptom}: {text}"
                );
                assert!(text.contains("seek medical care"), "{symptom}: {text}");
            }
            if level == Watch && !text.is_empty() {
                assert!(text.contains("clinic"), "{symptom}: {text}");
            }
        }
    }
}

#[test]
fn nothing_is_judged_before_the_first_session_and_nothing_reported_has_no_level() {
    let protocol = protocol();
    let plan = plan_up_to(1);
    assert_eq!(
        assess_on(
            &plan,
            &protocol,
            date("2026-03-01"),
            &[Symptom::Redness],
            "en"
        ),
        None
    );
    assert_eq!(
        assess(&protocol, &[Symptom::Redness], -1, false, "en"),
        None
    );
    let none = assess_on(&plan, &protocol, date("2026-03-03"), &[], "en").unwrap();
    assert_eq!((none.day, none.level), (1, None));
    assert!(none.symptoms.is_empty());
}

#[test]
fn texts_fall_back_to_english_and_icons_are_named() {
    let protocol = protocol();
    let en = assess(&protocol, &[Symptom::Swelling], 1, true, "en").unwrap();
    let fr = assess(&protocol, &[Symptom::Swelling], 1, true, "fr-CA").unwrap();
    assert_eq!(en, fr);
    assert_eq!(en.symptoms[0].label, "Swelling");
    assert_eq!(en.symptoms[0].icon, "swelling");
}
