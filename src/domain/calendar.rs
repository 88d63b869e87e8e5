//! The dates of a treatment worth having in the client's own calendar app: each
//! session, the window for the next one, and the milestones that change what the
//! client may do (gentle washing allowed, sun avoidance over, healing complete, the
//! touch-up).
//!
//! Everything comes from the timeline: the days are the protocol's (its milestones,
//! its next-session window, its touch-up interval), the texts are the protocol's
//! milestone texts and phrases, so a clinic that moves gentle washing to day 10 moves
//! the calendar event with it. Nothing here knows a day number.
//!
//! Decisions:
//! - Milestones are listed per session, on the dates the timeline shows them (a
//!   session's milestones that fall on or after the next session never happen).
//! - The next-session window is the one after the latest recorded session, while that
//!   session is not the final one: earlier windows are history, and a booked next
//!   session closes this one. It spans from its first to its last day.
//! - Healing complete and the touch-up belong to the plan, not to one session: when a
//!   later session becomes the final one, they move.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::domain::ids::ReminderKind;
use crate::domain::protocol::{Protocol, MAX_DAY};
use crate::domain::text::fill;
use crate::domain::timeline::{self, DayView, Plan};

/// What a calendar event marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarEventKind {
    Session,
    NextSessionWindow,
    GentleWashingAllowed,
    SunAvoidanceOver,
    HealingComplete,
    TouchUpDue,
}

impl CalendarEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CalendarEventKind::Session => "session",
            CalendarEventKind::NextSessionWindow => "next_session_window",
            CalendarEventKind::GentleWashingAllowed => "gentle_washing_allowed",
            CalendarEventKind::SunAvoidanceOver => "sun_avoidance_over",
            CalendarEventKind::HealingComplete => "healing_complete",
            CalendarEventKind::TouchUpDue => "touch_up_due",
        }
    }

    /// The calendar event of a milestone, for the milestones a calendar shows.
    fn of_milestone(kind: ReminderKind) -> Option<CalendarEventKind> {
        match kind {
            ReminderKind::GentleWashingAllowed => Some(CalendarEventKind::GentleWashingAllowed),
            ReminderKind::SunAvoidanceOver => Some(CalendarEventKind::SunAvoidanceOver),
            ReminderKind::HealingComplete => Some(CalendarEventKind::HealingComplete),
            ReminderKind::TouchUpDue => Some(CalendarEventKind::TouchUpDue),
            _ => None,
        }
    }
}

/// What an event belongs to, so that it keeps its identity across changes: one
/// session (named by its date: a plan has one session per date), or the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    Session(NaiveDate),
    Plan,
}

/// One all-day event (or span of days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarEvent {
    pub kind: CalendarEventKind,
    pub anchor: Anchor,
    pub first: NaiveDate,
    /// The last day, included (the same as `first` for a one-day event).
    pub last: NaiveDate,
    pub title: String,
    pub description: String,
}

/// Every calendar event of the plan, by first day (then kind), texts in `locale`.
pub fn events(plan: &Plan, protocol: &Protocol, locale: &str) -> Vec<CalendarEvent> {
    let mut out = Vec::new();
    let sessions = plan.sessions();
    for (index, session) in sessions.iter().enumerate() {
        let view = timeline::day(plan, protocol, session.date, locale);
        out.push(CalendarEvent {
            kind: CalendarEventKind::Session,
            anchor: Anchor::Session(session.date),
            first: session.date,
            last: session.date,
            title: phrase(protocol, "calendar_session", &view, locale),
            description: view.expect.clone(),
        });
        let next_session = sessions.get(index + 1).map(|s| s.date);
        out.extend(milestones_of_session(
            plan,
            protocol,
            &view,
            next_session,
            locale,
        ));
    }
    if let Some(last) = sessions.last() {
        let view = timeline::day(plan, protocol, last.date, locale);
        out.extend(next_session_window(plan, protocol, &view, locale));
    }
    if let Some(final_session) = plan.final_session() {
        let view = timeline::day(plan, protocol, final_session.date, locale);
        if let Some(due) = view.touch_up_due_on {
            out.extend(milestone_event(
                plan,
                protocol,
                due,
                ReminderKind::TouchUpDue,
                locale,
            ));
        }
    }
    out.sort_by_key(|e| (e.first, e.kind));
    out
}

/// The milestones of the session `view` is the session day of, up to the day before
/// `next_session`.
fn milestones_of_session(
    plan: &Plan,
    protocol: &Protocol,
    view: &DayView,
    next_session: Option<NaiveDate>,
    locale: &str,
) -> Vec<CalendarEvent> {
    let mut out = Vec::new();
    // A milestone's day is at most the day after the longest range (see `MAX_DAY`).
    for day in 1..=MAX_DAY + 1 {
        let Some(date) = view.date.checked_add_days(Days::new(day as u64)) else {
            break;
        };
        if next_session.is_some_and(|next| date >= next) {
            break;
        }
        for kind in protocol.milestones_on(day, view.is_final_session) {
            out.extend(milestone_event(plan, protocol, date, kind, locale));
        }
    }
    out
}

/// The event of milestone `kind` on `date`, with the timeline's texts for that day;
/// None for a milestone a calendar does not show.
fn milestone_event(
    plan: &Plan,
    protocol: &Protocol,
    date: NaiveDate,
    kind: ReminderKind,
    locale: &str,
) -> Option<CalendarEvent> {
    let event_kind = CalendarEventKind::of_milestone(kind)?;
    let view = timeline::day(plan, protocol, date, locale);
    let milestone = view.milestones.into_iter().find(|m| m.id == kind)?;
    let anchor = match (event_kind, view.session_date) {
        (CalendarEventKind::HealingComplete | CalendarEventKind::TouchUpDue, _) | (_, None) => {
            Anchor::Plan
        }
        (_, Some(session)) => Anchor::Session(session),
    };
    Some(CalendarEvent {
        kind: event_kind,
        anchor,
        first: date,
        last: date,
        title: milestone.title,
        description: milestone.text,
    })
}

/// The window for the next session after the session `view` is the session day of,
/// unless that session is the final one.
fn next_session_window(
    plan: &Plan,
    protocol: &Protocol,
    view: &DayView,
    locale: &str,
) -> Option<CalendarEvent> {
    let window = view.next_session_window?;
    let opening = timeline::day(plan, protocol, window.from, locale);
    let description = opening
        .milestones
        .iter()
        .find(|m| m.id == ReminderKind::NextSessionWindowOpen)
        .map(|m| m.text.clone())
        .unwrap_or_default();
    Some(CalendarEvent {
        kind: CalendarEventKind::NextSessionWindow,
        anchor: Anchor::Plan,
        first: window.from,
        last: window.to,
        title: phrase(protocol, "calendar_next_session_window", &opening, locale),
        description,
    })
}

/// A protocol phrase with the placeholders of `view`'s day filled in.
fn phrase(protocol: &Protocol, id: &str, view: &DayView, locale: &str) -> String {
    fill(
        protocol.phrase(id, locale),
        &view.placeholder_values(protocol),
    )
}
