//! Listening: how the protocol judges what a client reports, and on which days it asks
//! for a photo. Pure: a plan, the protocol and a local date give the answer.
//!
//! Day numbers follow domain.md: the current session on a date is the latest session
//! on or before it, and day N is the N-th local calendar day after it (the session date
//! is day 0).

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::domain::ids::{CheckInLevel, PhotoRequestKind, Symptom};
use crate::domain::protocol::{PhotoTiming, Protocol};
use crate::domain::timeline::{Plan, SessionRef};

/// One reported symptom, judged on its day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SymptomAnswer {
    pub symptom: Symptom,
    pub level: CheckInLevel,
    pub icon: String,
    pub label: String,
    /// What the client reads: the reassurance, the advice, or contact the clinic today
    /// and when to seek medical care.
    pub text: String,
}

/// The protocol's answer to a set of symptoms on one day after a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    /// The day after the session (0 = the session).
    pub day: i64,
    pub is_final_session: bool,
    /// The worst level of the symptoms; `None` when none was reported.
    pub level: Option<CheckInLevel>,
    /// Each symptom once, the worst first, then in [`Symptom`] order.
    pub symptoms: Vec<SymptomAnswer>,
}

/// The levels and texts of `symptoms` on `day` of a session that is (or is not) the
/// final one, in `locale` (falling back to English). `None` for a day before the
/// session. A symptom reported twice counts once.
pub fn assess(
    protocol: &Protocol,
    symptoms: &[Symptom],
    day: i64,
    is_final_session: bool,
    locale: &str,
) -> Option<Assessment> {
    if day < 0 {
        return None;
    }
    let check_in = protocol.check_in();
    let mut reported = symptoms.to_vec();
    reported.sort();
    reported.dedup();
    let mut answers = Vec::with_capacity(reported.len());
    for symptom in reported {
        let level = check_in.level(symptom, day, is_final_session)?;
        answers.push(SymptomAnswer {
            symptom,
            level,
            icon: check_in.icon(symptom).to_string(),
            label: check_in.label(symptom, locale).to_string(),
            text: check_in.text(symptom, level, locale).to_string(),
        });
    }
    // Stable: within one level the symptoms keep their order.
    answers.sort_by_key(|a| std::cmp::Reverse(a.level));
    Some(Assessment {
        day,
        is_final_session,
        level: answers.first().map(|a| a.level),
        symptoms: answers,
    })
}

/// [`assess`] on a local date of a client's plan: judged against the current session.
/// `None` before the first session (there is nothing to judge against).
pub fn assess_on(
    plan: &Plan,
    protocol: &Protocol,
    date: NaiveDate,
    symptoms: &[Symptom],
    locale: &str,
) -> Option<Assessment> {
    let session = plan.current_session(date)?;
    let day = (date - session.date).num_days();
    assess(protocol, symptoms, day, session.is_final, locale)
}

/// A photo the protocol asks for on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhotoRequest {
    pub kind: PhotoRequestKind,
    /// The session it follows (its number and whether it is the final one).
    pub session: SessionRef,
    /// The day after that session.
    pub day: i64,
    pub title: String,
    pub text: String,
}

/// The photo request due on local `date` for a client's plan, if any, with its texts
/// in `locale`. At most one a day:
///
/// - `plan_next_session`: its day (7) of every non-final session;
/// - `healed_result`: its day (30) after the final session;
/// - `fade_record`: every `every_months` (12) calendar months after the final
///   session's date (a month end clamps: 31 January plus one month is 28 February),
///   unless `healed_result` falls on the same date.
///
/// A day that a later session overtakes asks nothing: the current session is the one
/// the photo is for.
pub fn photo_request_on(
    plan: &Plan,
    protocol: &Protocol,
    date: NaiveDate,
    locale: &str,
) -> Option<PhotoRequest> {
    let session = plan.current_session(date)?;
    let kind = photo_kind_on(protocol, session, date)?;
    let check_in = protocol.check_in();
    Some(PhotoRequest {
        kind,
        session,
        day: (date - session.date).num_days(),
        title: check_in.photo_title(kind, locale).to_string(),
        text: check_in.photo_text(kind, locale).to_string(),
    })
}

fn photo_kind_on(
    protocol: &Protocol,
    session: SessionRef,
    date: NaiveDate,
) -> Option<PhotoRequestKind> {
    let check_in = protocol.check_in();
    let day = (date - session.date).num_days();
    let on_day = |kind: PhotoRequestKind| {
        let timing = &check_in.photo_request(kind).timing;
        matches!(timing, PhotoTiming::Day(d) if *d == day)
    };
    if !session.is_final {
        return on_day(PhotoRequestKind::PlanNextSession)
            .then_some(PhotoRequestKind::PlanNextSession);
    }
    if on_day(PhotoRequestKind::HealedResult) {
        return Some(PhotoRequestKind::HealedResult);
    }
    let PhotoTiming::EveryMonths(every) =
        check_in.photo_request(PhotoRequestKind::FadeRecord).timing
    else {
        return None;
    };
    let months = months_between(session.date, date);
    let due = months > 0
        && months.is_multiple_of(every)
        && session.date.checked_add_months(Months::new(months)) == Some(date);
    due.then_some(PhotoRequestKind::FadeRecord)
}

/// Whole calendar months from `from`'s month to `to`'s (0 when `to` is earlier).
fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let index = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
    u32::try_from(index(to) - index(from)).unwrap_or(0)
}
