//! Which reminders are due on a day, folded into one message per channel.

use chrono::{Days, NaiveDate};

use super::support::{date, plan, protocol, utc};
use crate::domain::ids::{Channel, ReminderKind, RuleId, SpfFrequency};
use crate::domain::protocol::{Protocol, ProtocolOverrides};
use crate::domain::reminders::{due, Channels, PlannedReminder, Preferences};
use crate::domain::timeline::{self, Plan};

fn due_on(plan: &Plan, on: NaiveDate, prefs: &Preferences) -> Vec<PlannedReminder> {
    let protocol = protocol();
    let day = timeline::day(plan, &protocol, on, &prefs.locale);
    due("client-7", &day, prefs, &protocol)
}

/// One session of one, on 2026-03-02: day N is 2026-03-02 + N.
fn final_day(n: u64, prefs: &Preferences) -> Vec<PlannedReminder> {
    due_on(
        &plan(1, &["2026-03-02"]),
        date("2026-03-02") + Days::new(n),
        prefs,
    )
}

fn kinds(reminders: &[PlannedReminder]) -> Vec<(ReminderKind, Channel)> {
    reminders.iter().map(|r| (r.kind, r.channel)).collect()
}

fn spf(frequency: SpfFrequency) -> Preferences {
    Preferences {
        spf_reminders: frequency,
        ..Preferences::default()
    }
}

#[test]
fn default_preferences_are_those_of_the_brief() {
    let prefs = Preferences::default();
    assert_eq!(
        prefs.channels,
        Channels {
            push: true,
            email: true
        }
    );
    assert_eq!(prefs.spf_reminders, SpfFrequency::Daily);
    assert!(prefs.muted.is_empty());
    assert_eq!(prefs.reminder_time.to_string(), "08:00:00");
    assert_eq!(prefs.timezone, chrono_tz::UTC);
    assert_eq!(prefs.locale, "en");
    let from_json: Preferences = serde_json::from_str("{}").unwrap();
    assert_eq!(from_json, prefs);
}

#[test]
fn a_rule_day_sends_one_daily_message_per_channel() {
    let plan = plan(3, &["2026-03-02", "2026-03-12"]);
    let reminders = due_on(&plan, date("2026-03-15"), &Preferences::default());
    assert_eq!(
        kinds(&reminders),
        [
            (ReminderKind::DailyAftercare, Channel::Push),
            (ReminderKind::DailyAftercare, Channel::Email)
        ]
    );
    let push = &reminders[0];
    assert_eq!(
        push.idempotency_key,
        "client-7:2026-03-15:daily_aftercare:push"
    );
    assert_eq!(
        reminders[1].idempotency_key,
        "client-7:2026-03-15:daily_aftercare:email"
    );
    assert_eq!(push.local_date, date("2026-03-15"));
    assert_eq!(push.send_at, utc("2026-03-15T08:00:00Z"));
    assert_eq!(push.stale_at, utc("2026-03-16T00:00:00Z"));
    assert_eq!(
        push.rules,
        [
            RuleId::NoWashing,
            RuleId::NoHeavySweating,
            RuleId::NoSwimming,
            RuleId::AvoidSun
        ]
    );
    assert!(push.milestones.is_empty());
    assert_eq!(push.title, "Your aftercare today (day 3)");
    assert_eq!(
        push.body,
        "Today's aftercare:\n- Do not wash your scalp.\n- Avoid heavy sweating: no workouts, \
         hot baths or steamy rooms.\n- Do not swim.\n- Keep your scalp out of the sun: stay \
         in the shade or wear a loose hat."
    );
    assert_eq!(reminders[1].body, push.body);
}

#[test]
fn the_daily_message_folds_in_the_days_milestones() {
    let plan = plan(3, &["2026-03-02", "2026-03-12"]);
    let reminders = due_on(&plan, date("2026-03-23"), &Preferences::default());
    assert_eq!(reminders.len(), 2);
    let push = &reminders[0];
    assert_eq!(push.kind, ReminderKind::DailyAftercare);
    assert_eq!(push.milestones, [ReminderKind::SunAvoidanceOver]);
    assert_eq!(push.rules, [RuleId::GentleWashingOk, RuleId::DailySpf]);
    assert_eq!(
        push.body,
        "Today's aftercare:\n- You may wash your scalp gently: lukewarm water, a mild \
         shampoo, pat dry, no scrubbing.\n- Apply SPF 30-50 to your scalp today.\n\nFrom \
         today protect your scalp with SPF 30-50 every day instead of avoiding the sun. SPF \
         is the best way to slow fading."
    );
}

#[test]
fn a_milestone_with_no_rule_to_remind_still_sends_under_its_own_kind() {
    // Day 30 after the final session with SPF reminders off: only gentle washing (a
    // permission) is active, so the healing-complete milestone goes out on its own.
    let reminders = final_day(30, &spf(SpfFrequency::Off));
    assert_eq!(
        kinds(&reminders),
        [
            (ReminderKind::HealingComplete, Channel::Push),
            (ReminderKind::HealingComplete, Channel::Email)
        ]
    );
    assert_eq!(
        reminders[0].idempotency_key,
        "client-7:2026-04-01:healing_complete:push"
    );
    assert_eq!(reminders[0].title, "Your scalp has healed");
    assert!(reminders[0].rules.is_empty());
    assert_eq!(reminders[0].milestones, [ReminderKind::HealingComplete]);
    // With daily SPF the daily message carries it instead.
    let daily = final_day(30, &Preferences::default());
    assert_eq!(daily[0].kind, ReminderKind::DailyAftercare);
    assert_eq!(daily[0].milestones, [ReminderKind::HealingComplete]);
}

#[test]
fn the_touch_up_reminder_sends_on_its_day() {
    let plan = plan(1, &["2026-03-24"]);
    let reminders = due_on(&plan, date("2029-03-24"), &spf(SpfFrequency::Off));
    assert_eq!(reminders.len(), 2);
    assert_eq!(reminders[0].kind, ReminderKind::TouchUpDue);
    assert_eq!(reminders[0].title, "Time for a touch-up");
    assert!(due_on(&plan, date("2029-03-25"), &spf(SpfFrequency::Off)).is_empty());
}

#[test]
fn healed_days_with_spf_off_send_nothing() {
    for n in 31..60 {
        assert!(final_day(n, &spf(SpfFrequency::Off)).is_empty(), "day {n}");
    }
}

#[test]
fn weekly_spf_lists_spf_on_day_11_and_every_7th_day_after() {
    let prefs = spf(SpfFrequency::Weekly);
    let mut spf_days = Vec::new();
    let mut sent_days = Vec::new();
    for n in 0..50 {
        let reminders = final_day(n, &prefs);
        if let Some(first) = reminders.first() {
            sent_days.push(n);
            if first.rules.contains(&RuleId::DailySpf) {
                spf_days.push(n);
            }
        }
    }
    assert_eq!(spf_days, [11, 18, 25, 32, 39, 46]);
    // Days 0-29 are sent anyway (other rules); afterwards only the SPF days and the
    // healing-complete milestone on day 30.
    let expected_sent: Vec<u64> = (0..=30).chain([32, 39, 46]).collect();
    assert_eq!(sent_days, expected_sent);
}

#[test]
fn spf_off_never_lists_spf_but_the_timeline_still_shows_it() {
    let reminders = final_day(12, &spf(SpfFrequency::Off));
    assert_eq!(
        reminders[0].rules,
        [RuleId::GentleWashingOk, RuleId::NoPoolsSaunasHeavyExercise]
    );
    let plan = plan(1, &["2026-03-02"]);
    let day = timeline::day(&plan, &protocol(), date("2026-03-14"), "en");
    assert!(day.has_rule(RuleId::DailySpf));
}

#[test]
fn muted_kinds_are_left_out() {
    let plan = plan(3, &["2026-03-02", "2026-03-12"]);
    let no_milestone = Preferences {
        muted: vec![ReminderKind::SunAvoidanceOver],
        ..Preferences::default()
    };
    let reminders = due_on(&plan, date("2026-03-23"), &no_milestone);
    assert_eq!(reminders[0].kind, ReminderKind::DailyAftercare);
    assert!(reminders[0].milestones.is_empty());

    let no_daily = Preferences {
        muted: vec![ReminderKind::DailyAftercare],
        ..Preferences::default()
    };
    let reminders = due_on(&plan, date("2026-03-23"), &no_daily);
    assert_eq!(reminders[0].kind, ReminderKind::SunAvoidanceOver);
    assert!(reminders[0].rules.is_empty());
    assert!(due_on(&plan, date("2026-03-15"), &no_daily).is_empty());
}

#[test]
fn several_milestones_without_a_daily_message_make_one_message() {
    // Gentle washing from day 7 puts two milestones on day 7 of a non-final session.
    let protocol = Protocol::default_protocol()
        .with_overrides(
            &ProtocolOverrides::from_toml_str("rules.gentle_washing_ok.from = 7").unwrap(),
        )
        .unwrap();
    let plan = plan(3, &["2026-03-02"]);
    let day = timeline::day(&plan, &protocol, date("2026-03-09"), "en");
    let prefs = Preferences {
        muted: vec![ReminderKind::DailyAftercare],
        channels: Channels {
            push: true,
            email: false,
        },
        ..Preferences::default()
    };
    let reminders = due("c", &day, &prefs, &protocol);
    assert_eq!(reminders.len(), 1);
    let only = &reminders[0];
    assert_eq!(only.kind, ReminderKind::GentleWashingAllowed);
    assert_eq!(
        only.milestones,
        [
            ReminderKind::GentleWashingAllowed,
            ReminderKind::NextSessionWindowOpen
        ]
    );
    assert_eq!(
        only.idempotency_key,
        "c:2026-03-09:gentle_washing_allowed:push"
    );
    assert!(
        only.body.contains("wash your scalp gently"),
        "{}",
        only.body
    );
    assert!(
        only.body
            .contains("session 2 can go ahead any day until 2026-03-16"),
        "{}",
        only.body
    );
}

#[test]
fn channels_can_be_switched_off() {
    let plan = plan(3, &["2026-03-02"]);
    let email_only = Preferences {
        channels: Channels {
            push: false,
            email: true,
        },
        ..Preferences::default()
    };
    assert_eq!(
        kinds(&due_on(&plan, date("2026-03-03"), &email_only)),
        [(ReminderKind::DailyAftercare, Channel::Email)]
    );
    let none = Preferences {
        channels: Channels {
            push: false,
            email: false,
        },
        ..Preferences::default()
    };
    assert!(due_on(&plan, date("2026-03-03"), &none).is_empty());
}

#[test]
fn nothing_is_due_before_the_first_session() {
    let plan = plan(3, &["2026-03-02"]);
    assert!(due_on(&plan, date("2026-03-01"), &Preferences::default()).is_empty());
}

#[test]
fn reminders_follow_the_clients_time_and_zone() {
    let plan = plan(3, &["2026-03-02"]);
    let prefs = Preferences {
        timezone: chrono_tz::Europe::Berlin,
        reminder_time: super::support::time("07:30"),
        ..Preferences::default()
    };
    let reminders = due_on(&plan, date("2026-03-03"), &prefs);
    assert_eq!(reminders[0].send_at, utc("2026-03-03T06:30:00Z"));
    assert_eq!(reminders[0].stale_at, utc("2026-03-03T23:00:00Z"));
}

#[test]
fn reminder_texts_use_the_clients_locale_with_english_fallback() {
    let protocol = Protocol::default_protocol()
        .with_overrides(
            &ProtocolOverrides::from_toml_str(
                "reminders.daily_aftercare.title.fr = \"Vos soins du jour (jour {day})\"",
            )
            .unwrap(),
        )
        .unwrap();
    let plan = plan(3, &["2026-03-02"]);
    let prefs = Preferences {
        locale: "fr-FR".to_string(),
        ..Preferences::default()
    };
    let day = timeline::day(&plan, &protocol, date("2026-03-04"), &prefs.locale);
    let reminders = due("c", &day, &prefs, &protocol);
    assert_eq!(reminders[0].title, "Vos soins du jour (jour 2)");
    assert!(reminders[0].body.starts_with("Today's aftercare:"));
}

#[test]
fn preferences_read_from_partial_json() {
    let prefs: Preferences = serde_json::from_str(
        r#"{"channels":{"push":false},"spf_reminders":"weekly","muted":["touch_up_due"],
            "reminder_time":"07:30","timezone":"Europe/London","locale":"fr"}"#,
    )
    .unwrap();
    assert_eq!(
        prefs.channels,
        Channels {
            push: false,
            email: true
        }
    );
    assert_eq!(prefs.spf_reminders, SpfFrequency::Weekly);
    assert_eq!(prefs.muted, [ReminderKind::TouchUpDue]);
    assert_eq!(prefs.reminder_time, super::support::time("07:30"));
    assert_eq!(prefs.timezone, chrono_tz::Europe::London);
    assert!(serde_json::from_str::<Preferences>(r#"{"timezone":"Mars/Olympus"}"#).is_err());
    assert!(serde_json::from_str::<Preferences>(r#"{"colour":"red"}"#).is_err());
}
