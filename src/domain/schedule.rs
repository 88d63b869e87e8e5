//! Local dates and times in a client's IANA zone, turned into UTC instants, such that
//! daylight-saving changes neither drop nor double a local day.

use chrono::{
    DateTime, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;

/// The instant of a local date and time in `tz`.
///
/// - A time skipped by a spring-forward gap moves to the first instant after the gap
///   (the instant the clocks jump: 02:30 on a 02:00 -> 03:00 day gives 03:00).
/// - A time that happens twice in a fall-back overlap uses the first (earlier) one.
/// - A whole skipped date (Pacific/Apia on 2011-12-30) gives the next instant that
///   exists, which is on the next date.
pub fn local_instant(date: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(instant) => instant.with_timezone(&Utc),
        LocalResult::Ambiguous(first, second) => first.min(second).with_timezone(&Utc),
        LocalResult::None => first_instant_after_gap(local, tz),
    }
}

/// The first instant whose local time is after the non-existent `local`. Zone
/// transitions happen on whole minutes, so the first existing whole minute after
/// `local` is exactly where the clocks landed.
fn first_instant_after_gap(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    let mut probe = local
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(local);
    // Two days of minutes bounds even a skipped calendar date.
    for _ in 0..(2 * 24 * 60) {
        probe += TimeDelta::minutes(1);
        if let Some(instant) = tz.from_local_datetime(&probe).earliest() {
            return instant.with_timezone(&Utc);
        }
    }
    // Unreachable with the tz database (no gap lasts two days); rather than panic, read
    // the local time with the offset in force a day later.
    let offset = tz
        .offset_from_utc_datetime(&(local + TimeDelta::days(1)))
        .fix();
    Utc.from_utc_datetime(&(local - TimeDelta::seconds(offset.local_minus_utc().into())))
}

/// The first instant of the next local day: a reminder for `date` is stale from then on.
/// (Local midnight may itself be skipped or repeated; `local_instant` handles both.)
pub fn end_of_local_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
    local_instant(next, NaiveTime::MIN, tz)
}

/// The local calendar date of an instant in `tz`.
pub fn local_date_at(instant: DateTime<Utc>, tz: Tz) -> NaiveDate {
    instant.with_timezone(&tz).date_naive()
}

/// The first reminder instant strictly after `after`: `reminder_time` on the earliest
/// local date whose reminder instant is later than `after`. Successive calls give exactly
/// one instant per local date, across DST changes.
pub fn next_plan_at(after: DateTime<Utc>, reminder_time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let today = local_date_at(after, tz);
    // Yesterday is a candidate too, in case a gap pushed its reminder past midnight.
    let first = today.pred_opt().unwrap_or(today);
    first
        .iter_days()
        .take(4)
        .map(|date| local_instant(date, reminder_time, tz))
        .find(|instant| *instant > after)
        .unwrap_or_else(|| {
            let later = today + Days::new(3);
            local_instant(later, reminder_time, tz)
        })
}
