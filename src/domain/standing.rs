//! A client's standing: the few facts of their timeline that the console filters and
//! groups clients by (stage, current session, whether the next session needs booking).
//! Computed by the same code as the day view (`timeline::state_at` and its window), so
//! a stored standing is the timeline's answer, and with the date it next changes, so a
//! stored one can be renewed exactly when it goes stale instead of every day.

use chrono::{Days, NaiveDate};

use crate::domain::ids::Stage;
use crate::domain::protocol::Protocol;
use crate::domain::timeline::{next_session_window, state_at, Plan};

/// A window that opens within this many days counts as open this week.
pub const BOOKING_SOON_DAYS: u64 = 6;

/// A standing is looked at again at most this many days later, even when nothing in
/// the plan says it changes (a healed client stays healed).
pub const HORIZON_DAYS: u64 = 120;

/// The next session should be booked and is not: the current session is not the final
/// one, its window is known, and no later session is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booking {
    /// The window opens more than `BOOKING_SOON_DAYS` days from now.
    Later,
    /// The window is open, or opens within `BOOKING_SOON_DAYS` days.
    Soon,
    /// The window closed with no session in it.
    Overdue,
}

impl Booking {
    pub const ALL: [Booking; 3] = [Booking::Later, Booking::Soon, Booking::Overdue];

    pub fn as_str(self) -> &'static str {
        match self {
            Booking::Later => "later",
            Booking::Soon => "soon",
            Booking::Overdue => "overdue",
        }
    }

    pub fn parse(value: &str) -> Option<Booking> {
        Booking::ALL.into_iter().find(|b| b.as_str() == value)
    }
}

/// What the console keeps of a client's timeline on one local date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub stage: Stage,
    /// 1-based number of the current session; `None` before the first session.
    pub session_number: Option<u32>,
    pub is_final_session: bool,
    pub booking: Option<Booking>,
}

impl Standing {
    /// Between sessions: a session is current and it is not the final one.
    pub fn in_series(&self) -> bool {
        self.session_number.is_some() && !self.is_final_session
    }
}

/// The standing on `date`.
pub fn standing(plan: &Plan, protocol: &Protocol, date: NaiveDate) -> Standing {
    let state = state_at(plan, protocol, date);
    let booked = plan.next_session_after(date).is_some();
    let booking = next_session_window(protocol, &state, date)
        .filter(|_| !booked)
        .map(|w| {
            if w.overdue {
                Booking::Overdue
            } else if w.from <= date + Days::new(BOOKING_SOON_DAYS) {
                Booking::Soon
            } else {
                Booking::Later
            }
        });
    Standing {
        stage: state.stage,
        session_number: state.session.map(|s| s.number),
        is_final_session: state.session.is_some_and(|s| s.is_final),
        booking,
    }
}

/// The first date after `date` whose standing differs from `date`'s, or the date
/// `HORIZON_DAYS` on when none does before then.
pub fn next_change(plan: &Plan, protocol: &Protocol, date: NaiveDate) -> NaiveDate {
    let now = standing(plan, protocol, date);
    (1..=HORIZON_DAYS)
        .filter_map(|n| date.checked_add_days(Days::new(n)))
        .find(|d| standing(plan, protocol, *d) != now)
        .unwrap_or_else(|| date + Days::new(HORIZON_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::timeline::{self, Session};

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a test date")
    }

    /// The standing is the day view's answer, on every date around a series.
    #[test]
    fn standing_agrees_with_the_day_view() {
        let protocol = Protocol::default_protocol();
        let plans = [
            Plan::new(3, vec![]).unwrap(),
            Plan::new(3, vec![Session::on(date("2026-03-01"))]).unwrap(),
            Plan::new(
                2,
                vec![
                    Session::on(date("2026-03-01")),
                    Session::on(date("2026-03-20")),
                ],
            )
            .unwrap(),
        ];
        for plan in &plans {
            let mut day = date("2026-02-20");
            while day < date("2026-06-01") {
                let view = timeline::day(plan, &protocol, day, "en");
                let got = standing(plan, &protocol, day);
                assert_eq!(got.stage, view.stage, "{day}");
                assert_eq!(got.session_number, view.session_number, "{day}");
                assert_eq!(got.is_final_session, view.is_final_session, "{day}");
                let needs = view
                    .next_session_window
                    .filter(|_| view.next_session_on.is_none());
                assert_eq!(got.booking.is_some(), needs.is_some(), "{day}");
                assert_eq!(
                    got.booking == Some(Booking::Overdue),
                    needs.is_some_and(|w| w.overdue),
                    "{day}"
                );
                let change = next_change(plan, &protocol, day);
                let mut between = day.succ_opt().unwrap();
                while between < change {
                    assert_eq!(standing(plan, &protocol, between), got, "{day} {between}");
                    between = between.succ_opt().unwrap();
                }
                day = day.succ_opt().unwrap();
            }
        }
    }
}
