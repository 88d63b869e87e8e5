//! Time zones: DST change days and odd offsets. Every expected instant below was worked
//! out by hand from the zone's rules (noted beside it), not computed by chrono-tz.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::support::{date, plan, protocol, time, utc};
use crate::domain::reminders::{due, Preferences};
use crate::domain::schedule::{end_of_local_day, local_date_at, local_instant, next_plan_at};
use crate::domain::timeline;

/// `count` successive planning instants from `start`, as (local date, instant).
fn planning_run(
    start: &str,
    at: NaiveTime,
    tz: Tz,
    count: usize,
) -> Vec<(NaiveDate, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut after = utc(start);
    for _ in 0..count {
        after = next_plan_at(after, at, tz);
        out.push((local_date_at(after, tz), after));
    }
    out
}

fn expect_run(tz: Tz, at: &str, start: &str, expected: &[(&str, &str)]) {
    let got = planning_run(start, time(at), tz, expected.len());
    let expected: Vec<(NaiveDate, DateTime<Utc>)> =
        expected.iter().map(|(d, i)| (date(d), utc(i))).collect();
    assert_eq!(got, expected, "{tz} at {at}");
    for (day, instant) in &expected {
        assert_eq!(
            local_instant(*day, time(at), tz),
            *instant,
            "{tz} {day} {at}"
        );
    }
}

/// Daily aftercare over `dates` for a client in `tz`: exactly one push per local date,
/// sent at the expected instant.
fn expect_one_push_per_day(tz: Tz, at: &str, expected: &[(&str, &str)]) {
    let first = date(expected[0].0);
    let plan = plan(1, &[&first.to_string()]);
    let protocol = protocol();
    let prefs = Preferences {
        timezone: tz,
        reminder_time: time(at),
        channels: crate::domain::reminders::Channels {
            push: true,
            email: false,
        },
        ..Preferences::default()
    };
    for (day, instant) in expected {
        let view = timeline::day(&plan, &protocol, date(day), "en");
        let reminders = due("c", &view, &prefs, &protocol);
        assert_eq!(reminders.len(), 1, "{tz} {day}");
        assert_eq!(reminders[0].send_at, utc(instant), "{tz} {day}");
        assert_eq!(
            local_date_at(reminders[0].send_at, tz),
            date(day),
            "{tz} {day}"
        );
    }
}

// Europe/London: BST from 2026-03-29 01:00 UTC (01:00 GMT -> 02:00 BST) to 2026-10-25
// 01:00 UTC (02:00 BST -> 01:00 GMT).

#[test]
fn london_spring_forward() {
    let expected = [
        ("2026-03-28", "2026-03-28T08:00:00Z"), // GMT, +00:00
        ("2026-03-29", "2026-03-29T07:00:00Z"), // BST, +01:00
        ("2026-03-30", "2026-03-30T07:00:00Z"),
    ];
    expect_run(
        chrono_tz::Europe::London,
        "08:00",
        "2026-03-27T12:00:00Z",
        &expected,
    );
    expect_one_push_per_day(chrono_tz::Europe::London, "08:00", &expected);
    // 01:30 does not exist on the 29th: the clocks land on 02:00 BST = 01:00 UTC.
    expect_run(
        chrono_tz::Europe::London,
        "01:30",
        "2026-03-27T12:00:00Z",
        &[
            ("2026-03-28", "2026-03-28T01:30:00Z"),
            ("2026-03-29", "2026-03-29T01:00:00Z"),
            ("2026-03-30", "2026-03-30T00:30:00Z"),
        ],
    );
    assert_eq!(
        end_of_local_day(date("2026-03-28"), chrono_tz::Europe::London),
        utc("2026-03-29T00:00:00Z")
    );
    assert_eq!(
        end_of_local_day(date("2026-03-29"), chrono_tz::Europe::London),
        utc("2026-03-29T23:00:00Z")
    );
}

#[test]
fn london_fall_back() {
    let expected = [
        ("2026-10-24", "2026-10-24T07:00:00Z"), // BST
        ("2026-10-25", "2026-10-25T08:00:00Z"), // GMT
        ("2026-10-26", "2026-10-26T08:00:00Z"),
    ];
    expect_run(
        chrono_tz::Europe::London,
        "08:00",
        "2026-10-23T12:00:00Z",
        &expected,
    );
    expect_one_push_per_day(chrono_tz::Europe::London, "08:00", &expected);
    // 01:30 happens twice on the 25th (00:30 and 01:30 UTC): the first one, once.
    expect_run(
        chrono_tz::Europe::London,
        "01:30",
        "2026-10-23T12:00:00Z",
        &[
            ("2026-10-24", "2026-10-24T00:30:00Z"),
            ("2026-10-25", "2026-10-25T00:30:00Z"),
            ("2026-10-26", "2026-10-26T01:30:00Z"),
        ],
    );
    assert_eq!(
        end_of_local_day(date("2026-10-24"), chrono_tz::Europe::London),
        utc("2026-10-24T23:00:00Z")
    );
    assert_eq!(
        end_of_local_day(date("2026-10-25"), chrono_tz::Europe::London),
        utc("2026-10-26T00:00:00Z")
    );
}

// America/New_York: EDT from 2026-03-08 02:00 EST (07:00 UTC) to 2026-11-01 02:00 EDT
// (06:00 UTC).

#[test]
fn new_york_spring_forward() {
    let expected = [
        ("2026-03-07", "2026-03-07T13:00:00Z"), // EST, -05:00
        ("2026-03-08", "2026-03-08T12:00:00Z"), // EDT, -04:00
        ("2026-03-09", "2026-03-09T12:00:00Z"),
    ];
    expect_run(
        chrono_tz::America::New_York,
        "08:00",
        "2026-03-07T12:00:00Z",
        &expected,
    );
    expect_one_push_per_day(chrono_tz::America::New_York, "08:00", &expected);
    // 02:30 does not exist on the 8th: 03:00 EDT = 07:00 UTC.
    expect_run(
        chrono_tz::America::New_York,
        "02:30",
        "2026-03-07T00:00:00Z",
        &[
            ("2026-03-07", "2026-03-07T07:30:00Z"),
            ("2026-03-08", "2026-03-08T07:00:00Z"),
            ("2026-03-09", "2026-03-09T06:30:00Z"),
        ],
    );
}

#[test]
fn new_york_fall_back() {
    let expected = [
        ("2026-10-31", "2026-10-31T12:00:00Z"), // EDT
        ("2026-11-01", "2026-11-01T13:00:00Z"), // EST
        ("2026-11-02", "2026-11-02T13:00:00Z"),
    ];
    expect_run(
        chrono_tz::America::New_York,
        "08:00",
        "2026-10-31T00:00:00Z",
        &expected,
    );
    expect_one_push_per_day(chrono_tz::America::New_York, "08:00", &expected);
    // 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST): the first, once.
    expect_run(
        chrono_tz::America::New_York,
        "01:30",
        "2026-10-31T00:00:00Z",
        &[
            ("2026-10-31", "2026-10-31T05:30:00Z"),
            ("2026-11-01", "2026-11-01T05:30:00Z"),
            ("2026-11-02", "2026-11-02T06:30:00Z"),
        ],
    );
    assert_eq!(
        end_of_local_day(date("2026-11-01"), chrono_tz::America::New_York),
        utc("2026-11-02T05:00:00Z")
    );
}

// Australia/Sydney: AEDT (+11) ends 2026-04-05 03:00 -> 02:00 AEST (+10), 16:00 UTC on
// the 4th; AEDT starts 2026-10-04 02:00 -> 03:00, 16:00 UTC on the 3rd.

#[test]
fn sydney_fall_back_in_april() {
    let expected = [
        ("2026-04-04", "2026-04-03T21:00:00Z"), // AEDT
        ("2026-04-05", "2026-04-04T22:00:00Z"), // AEST
        ("2026-04-06", "2026-04-05T22:00:00Z"),
    ];
    expect_run(
        chrono_tz::Australia::Sydney,
        "08:00",
        "2026-04-03T12:00:00Z",
        &expected,
    );
    expect_one_push_per_day(chrono_tz::Australia::Sydney, "08:00", &expected);
    // 02:30 on the 5th happens twice (15:30 and 16:30 UTC on the 4th): the first.
    assert_eq!(
        local_instant(
            date("2026-04-05"),
            time("02:30"),
            chrono_tz::Australia::Sydney
        ),
        utc("2026-04-04T15:30:00Z")
    );
}

#[test]
fn sydney_spring_forward_in_october() {
    let expected = [
        ("2026-10-03", "2026-10-02T22:00:00Z"), // AEST
        ("2026-10-04", "2026-10-03T21:00:00Z"), // AEDT
        ("2026-10-05", "2026-10-04T21:00:00Z"),
    ];
    expect_run(
        chrono_tz::Australia::Sydney,
        "08:00",
        "2026-10-02T12:00:00Z",
        &expected,
    );
    expect_one_push_per_day(chrono_tz::Australia::Sydney, "08:00", &expected);
    // 02:30 on the 4th does not exist: 03:00 AEDT = 16:00 UTC on the 3rd.
    assert_eq!(
        local_instant(
            date("2026-10-04"),
            time("02:30"),
            chrono_tz::Australia::Sydney
        ),
        utc("2026-10-03T16:00:00Z")
    );
    assert_eq!(
        end_of_local_day(date("2026-10-03"), chrono_tz::Australia::Sydney),
        utc("2026-10-03T14:00:00Z")
    );
}

// Asia/Kolkata: +05:30 all year, no DST.

#[test]
fn kolkata_half_hour_offset_every_day() {
    let expected = [
        ("2026-03-28", "2026-03-28T02:30:00Z"),
        ("2026-03-29", "2026-03-29T02:30:00Z"),
        ("2026-03-30", "2026-03-30T02:30:00Z"),
        ("2026-03-31", "2026-03-31T02:30:00Z"),
    ];
    expect_run(
        chrono_tz::Asia::Kolkata,
        "08:00",
        "2026-03-27T12:00:00Z",
        &expected,
    );
    expect_one_push_per_day(chrono_tz::Asia::Kolkata, "08:00", &expected);
    assert_eq!(
        end_of_local_day(date("2026-03-29"), chrono_tz::Asia::Kolkata),
        utc("2026-03-29T18:30:00Z")
    );
    // A late reminder time still falls on its own local date.
    assert_eq!(
        local_instant(date("2026-03-29"), time("23:45"), chrono_tz::Asia::Kolkata),
        utc("2026-03-29T18:15:00Z")
    );
}

// Pacific/Chatham: +12:45, +13:45 in summer, changing 45 minutes after New Zealand.
// DST ends 2026-04-05 03:45 -> 02:45 (14:00 UTC on the 4th); starts 2026-09-27
// 02:45 -> 03:45 (14:00 UTC on the 26th).

#[test]
fn chatham_fall_back_in_april() {
    let expected = [
        ("2026-04-04", "2026-04-03T18:15:00Z"), // +13:45
        ("2026-04-05", "2026-04-04T19:15:00Z"), // +12:45
        ("2026-04-06", "2026-04-05T19:15:00Z"),
    ];
    expect_run(
        chrono_tz::Pacific::Chatham,
        "08:00",
        "2026-04-03T00:00:00Z",
        &expected,
    );
    expect_one_push_per_day(chrono_tz::Pacific::Chatham, "08:00", &expected);
    // 03:00 on the 5th happens twice: first at +13:45 = 13:15 UTC on the 4th.
    assert_eq!(
        local_instant(
            date("2026-04-05"),
            time("03:00"),
            chrono_tz::Pacific::Chatham
        ),
        utc("2026-04-04T13:15:00Z")
    );
}

#[test]
fn chatham_spring_forward_in_september() {
    let expected = [
        ("2026-09-26", "2026-09-25T19:15:00Z"), // +12:45
        ("2026-09-27", "2026-09-26T18:15:00Z"), // +13:45
        ("2026-09-28", "2026-09-27T18:15:00Z"),
    ];
    expect_run(
        chrono_tz::Pacific::Chatham,
        "08:00",
        "2026-09-25T00:00:00Z",
        &expected,
    );
    expect_one_push_per_day(chrono_tz::Pacific::Chatham, "08:00", &expected);
    // 03:00 on the 27th does not exist: the clocks land on 03:45 = 14:00 UTC.
    assert_eq!(
        local_instant(
            date("2026-09-27"),
            time("03:00"),
            chrono_tz::Pacific::Chatham
        ),
        utc("2026-09-26T14:00:00Z")
    );
}

// America/Santiago changes at midnight: 2026-09-06 00:00 -04 -> 01:00 -03 (04:00 UTC).

#[test]
fn santiago_skipped_midnight_still_starts_the_day() {
    let tz = chrono_tz::America::Santiago;
    assert_eq!(
        local_instant(date("2026-09-06"), time("00:30"), tz),
        utc("2026-09-06T04:00:00Z")
    );
    assert_eq!(
        end_of_local_day(date("2026-09-05"), tz),
        utc("2026-09-06T04:00:00Z")
    );
    assert_eq!(
        local_date_at(utc("2026-09-06T04:00:00Z"), tz),
        date("2026-09-06")
    );
}

#[test]
fn next_plan_at_is_strictly_after() {
    let tz = chrono_tz::Europe::London;
    let at = time("08:00");
    let instant = utc("2026-06-10T07:00:00Z"); // 08:00 BST
    assert_eq!(next_plan_at(instant, at, tz), utc("2026-06-11T07:00:00Z"));
    assert_eq!(
        next_plan_at(instant - chrono::TimeDelta::seconds(1), at, tz),
        instant
    );
}
