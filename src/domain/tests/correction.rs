//! The same-day correction: which changes flip a topic, and when one is sent.

use super::support::{plan, protocol, utc, view};
use crate::domain::correction::{correction, flipped};
use crate::domain::ids::{Channel, ReminderKind, RuleId};
use crate::domain::reminders::{Channels, Preferences};

use RuleId::*;

#[test]
fn each_topic_flips_and_nothing_else_does() {
    // The case: day 10 said gentle washing, a session today says no washing.
    let day_10 = [GentleWashingOk, AvoidSun];
    let session_day = [NoWashing, NoHeavySweating, NoSwimming, AvoidSun];
    assert!(flipped(&day_10, &session_day));
    assert!(flipped(&session_day, &day_10));
    // One topic at a time.
    assert!(flipped(
        &[GentleWashingOk, AvoidSun],
        &[NoWashing, AvoidSun]
    ));
    assert!(flipped(
        &[GentleWashingOk, DailySpf],
        &[GentleWashingOk, AvoidSun]
    ));
    assert!(flipped(&[AvoidSun], &[AvoidSun, NoHeavySweating]));
    assert!(flipped(&[AvoidSun, NoHeavySweating], &[AvoidSun]));
    assert!(flipped(
        &[AvoidSun],
        &[AvoidSun, NoPoolsSaunasHeavyExercise]
    ));
    // Swimming is one topic whichever rule says it.
    assert!(!flipped(
        &[AvoidSun, NoSwimming],
        &[AvoidSun, NoPoolsSaunasHeavyExercise]
    ));
    // No topic changes sides.
    assert!(!flipped(&day_10, &day_10));
    // A session marked final on day 2 adds a swimming rule to one already told.
    let day_2 = [NoWashing, NoHeavySweating, NoSwimming, AvoidSun];
    let day_2_final = [
        NoWashing,
        NoHeavySweating,
        NoSwimming,
        AvoidSun,
        NoPoolsSaunasHeavyExercise,
    ];
    assert!(!flipped(&day_2, &day_2_final));
    // A rule merely left out (weekly SPF) is no opposite.
    assert!(!flipped(&[GentleWashingOk, AvoidSun], &[GentleWashingOk]));
    // Nothing told, or nothing to tell now: nothing to correct.
    assert!(!flipped(&[], &session_day));
    assert!(!flipped(&session_day, &[]));
}

/// Sessions on 2026-03-02 and (recorded later that day) 2026-03-12, in UTC.
fn after_second_session() -> crate::domain::timeline::DayView {
    view(&plan(3, &["2026-03-02", "2026-03-12"]), "2026-03-12")
}

#[test]
fn a_correction_lists_todays_rules_until_21_00_local() {
    let protocol = protocol();
    let day = after_second_session();
    let prefs = Preferences::default();
    let told = [GentleWashingOk, AvoidSun];
    let at = utc("2026-03-12T11:00:00Z");
    let sent = correction("c-1", &day, &prefs, &protocol, Channel::Push, &told, at).unwrap();
    assert_eq!(sent.kind, ReminderKind::PlanChanged);
    assert_eq!(
        sent.rules,
        [NoWashing, NoHeavySweating, NoSwimming, AvoidSun]
    );
    assert_eq!(sent.send_at, at);
    assert_eq!(sent.stale_at, utc("2026-03-12T21:00:00Z"));
    assert_eq!(sent.idempotency_key, "c-1:2026-03-12:plan_changed:push");
    assert!(
        sent.body.contains("- Do not wash your scalp."),
        "{}",
        sent.body
    );
    assert!(sent.title.contains("day 0"), "{}", sent.title);

    let late = utc("2026-03-12T21:00:00Z");
    assert_eq!(
        correction("c-1", &day, &prefs, &protocol, Channel::Push, &told, late),
        None
    );
    // Nothing flipped.
    let same = &sent.rules;
    assert_eq!(
        correction("c-1", &day, &prefs, &protocol, Channel::Push, same, at),
        None
    );
}

#[test]
fn muting_or_a_disabled_channel_sends_no_correction() {
    let protocol = protocol();
    let day = after_second_session();
    let told = [GentleWashingOk, AvoidSun];
    let at = utc("2026-03-12T11:00:00Z");
    let muted = Preferences {
        muted: vec![ReminderKind::PlanChanged],
        ..Preferences::default()
    };
    assert_eq!(
        correction("c-1", &day, &muted, &protocol, Channel::Push, &told, at),
        None
    );
    let email_only = Preferences {
        channels: Channels {
            push: false,
            email: true,
        },
        ..Preferences::default()
    };
    assert_eq!(
        correction(
            "c-1",
            &day,
            &email_only,
            &protocol,
            Channel::Push,
            &told,
            at
        ),
        None
    );
    assert!(correction(
        "c-1",
        &day,
        &email_only,
        &protocol,
        Channel::Email,
        &told,
        at
    )
    .is_some());
}
