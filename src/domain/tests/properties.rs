//! Property tests over random plans, dates, zones and preferences.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate, NaiveTime, TimeDelta};
use chrono_tz::Tz;
use proptest::prelude::*;

use crate::domain::ids::{Channel, ReminderKind, RuleId, SpfFrequency};
use crate::domain::protocol::Protocol;
use crate::domain::reminders::{due, Channels, Preferences};
use crate::domain::schedule::{end_of_local_day, local_date_at, local_instant, next_plan_at};
use crate::domain::timeline::{self, Plan, Session};

/// Zones with DST, odd offsets, midnight changes and 30-minute DST.
const ZONES: &[Tz] = &[
    chrono_tz::UTC,
    chrono_tz::Europe::London,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Sydney,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Pacific::Chatham,
    chrono_tz::America::Santiago,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::America::St_Johns,
];

fn base_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
}

/// A plan: planned count, sessions at random gaps (1-40 days), maybe one marked final.
fn arb_plan() -> impl Strategy<Value = Plan> {
    (
        1u32..=5,
        0u64..800,
        prop::collection::vec(1u64..=40, 0..6),
        prop::option::of(0usize..6),
    )
        .prop_map(|(planned, start, gaps, marked)| {
            let mut date = base_date() + Days::new(start);
            let mut sessions = vec![Session::on(date)];
            for gap in gaps {
                date = date + Days::new(gap);
                sessions.push(Session::on(date));
            }
            if let Some(index) = marked.filter(|i| *i < sessions.len()) {
                sessions[index].final_marked = true;
            }
            Plan::new(planned, sessions).unwrap()
        })
}

fn arb_prefs() -> impl Strategy<Value = Preferences> {
    (
        any::<(bool, bool)>(),
        prop::sample::select(SpfFrequency::ALL.to_vec()),
        prop::sample::subsequence(ReminderKind::ALL.to_vec(), 0..3),
        0u32..24,
        prop::sample::select(vec![0u32, 15, 30, 45, 59]),
        prop::sample::select(ZONES.to_vec()),
    )
        .prop_map(
            |((push, email), spf, muted, hour, minute, zone)| Preferences {
                channels: Channels { push, email },
                spf_reminders: spf,
                muted,
                reminder_time: NaiveTime::from_hms_opt(hour, minute, 0).unwrap(),
                timezone: zone,
                locale: "en".to_string(),
            },
        )
}

/// Every date from 10 days before the first session to 60 days after the last.
fn span(plan: &Plan) -> (NaiveDate, NaiveDate) {
    let first = plan.sessions().first().unwrap().date;
    let last = plan.sessions().last().unwrap().date;
    (first - Days::new(10), last + Days::new(60))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn stage_never_goes_back_within_a_session(plan in arb_plan()) {
        let protocol = Protocol::default_protocol();
        let (from, to) = span(&plan);
        let days = timeline::range(&plan, &protocol, from, to, "en");
        for pair in days.windows(2) {
            if pair[0].session_number.is_some() && pair[0].session_number == pair[1].session_number {
                prop_assert!(pair[0].stage <= pair[1].stage, "{} {:?} -> {} {:?}",
                    pair[0].date, pair[0].stage, pair[1].date, pair[1].stage);
            }
        }
    }

    #[test]
    fn no_washing_ban_from_day_5_and_no_spf_before_day_11(plan in arb_plan()) {
        let protocol = Protocol::default_protocol();
        let (from, to) = span(&plan);
        for day in timeline::range(&plan, &protocol, from, to, "en") {
            let n = day.day.unwrap_or(-1);
            if n >= 5 {
                prop_assert!(!day.has_rule(RuleId::NoWashing), "{} day {n}", day.date);
            }
            if n < 11 {
                prop_assert!(!day.has_rule(RuleId::DailySpf), "{} day {n}", day.date);
            }
        }
    }

    #[test]
    fn at_most_one_message_per_channel_per_local_day(plan in arb_plan(), prefs in arb_prefs()) {
        let protocol = Protocol::default_protocol();
        let (from, to) = span(&plan);
        let mut seen: BTreeSet<(NaiveDate, Channel)> = BTreeSet::new();
        let mut keys = BTreeSet::new();
        for day in timeline::range(&plan, &protocol, from, to, &prefs.locale) {
            for reminder in due("client", &day, &prefs, &protocol) {
                prop_assert_eq!(reminder.local_date, day.date);
                prop_assert!(seen.insert((reminder.local_date, reminder.channel)),
                    "two {} messages on {}", reminder.channel, reminder.local_date);
                prop_assert!(keys.insert(reminder.idempotency_key.clone()));
                prop_assert!(!prefs.muted.contains(&reminder.kind));
                if !prefs.channels.push { prop_assert_ne!(reminder.channel, Channel::Push); }
                if !prefs.channels.email { prop_assert_ne!(reminder.channel, Channel::Email); }
            }
        }
    }

    #[test]
    fn every_send_instant_falls_on_its_own_local_date(plan in arb_plan(), prefs in arb_prefs()) {
        let protocol = Protocol::default_protocol();
        let (from, to) = span(&plan);
        for day in timeline::range(&plan, &protocol, from, to, &prefs.locale) {
            for reminder in due("client", &day, &prefs, &protocol) {
                let tz = prefs.timezone;
                prop_assert_eq!(local_date_at(reminder.send_at, tz), reminder.local_date,
                    "{} at {} in {}", reminder.local_date, prefs.reminder_time, tz);
                prop_assert!(reminder.send_at < reminder.stale_at);
                prop_assert_eq!(local_date_at(reminder.stale_at, tz), reminder.local_date + Days::new(1));
                prop_assert_eq!(local_date_at(reminder.stale_at - TimeDelta::seconds(1), tz), reminder.local_date);
            }
        }
    }

    #[test]
    fn planning_instants_come_once_per_local_day(
        start_minutes in 0i64..(20 * 365 * 24 * 60),
        hour in 0u32..24,
        minute in 0u32..60,
        zone in prop::sample::select(ZONES.to_vec()),
    ) {
        let at = NaiveTime::from_hms_opt(hour, minute, 0).unwrap();
        let mut after = "2020-01-01T00:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap()
            + TimeDelta::minutes(start_minutes);
        let mut previous: Option<NaiveDate> = None;
        for _ in 0..40 {
            let next = next_plan_at(after, at, zone);
            prop_assert!(next > after);
            let local = local_date_at(next, zone);
            prop_assert_eq!(next, local_instant(local, at, zone));
            prop_assert!(next < end_of_local_day(local, zone));
            if let Some(previous) = previous {
                prop_assert_eq!(local, previous + Days::new(1), "{} at {}", zone, at);
            }
            previous = Some(local);
            after = next;
        }
    }
}
