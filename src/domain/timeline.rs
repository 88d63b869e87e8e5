//! The healing timeline: a treatment plan, a protocol and a local date give that day.
//!
//! Dates are local calendar dates in the client's time zone (see `schedule` for turning
//! them into instants). The current session on a date is the latest session on or
//! before it; day N is the N-th calendar day after that session (the session date is
//! day 0).

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::ids::{ReminderKind, RuleId, Stage};
use crate::domain::protocol::Protocol;
use crate::domain::text::fill;

/// One treatment session on a local calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub date: NaiveDate,
    /// The clinic declared this the last session before the planned count was reached.
    #[serde(default)]
    pub final_marked: bool,
}

impl Session {
    pub fn on(date: NaiveDate) -> Session {
        Session {
            date,
            final_marked: false,
        }
    }
}

/// Why a treatment plan was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("a treatment plan needs at least 1 planned session")]
    NoPlannedSessions,
    #[error("two sessions on {0}: there can be only one session per date")]
    DuplicateDate(NaiveDate),
}

/// A client's treatment plan: the planned session count and the sessions recorded so
/// far (past or booked), kept in date order.
///
/// The final session is the latest recorded session once the plan is complete: when
/// as many sessions as planned are recorded, or more (the plan extends), or when any
/// session is marked final. A session added after one marked final takes "final" over
/// (domain.md: "Adding a later session moves 'final' to it").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    planned_sessions: u32,
    sessions: Vec<Session>,
}

/// A session seen from the plan: its 1-based number and whether it is the final one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SessionRef {
    pub number: u32,
    pub date: NaiveDate,
    pub is_final: bool,
}

impl Plan {
    /// Sorts the sessions by date; refuses a planned count of 0 and two sessions on one
    /// date. No sessions yet is fine (a client onboarded before booking).
    pub fn new(planned_sessions: u32, mut sessions: Vec<Session>) -> Result<Plan, PlanError> {
        if planned_sessions == 0 {
            return Err(PlanError::NoPlannedSessions);
        }
        sessions.sort_by_key(|s| s.date);
        if let Some(pair) = sessions.windows(2).find(|w| w[0].date == w[1].date) {
            return Err(PlanError::DuplicateDate(pair[0].date));
        }
        Ok(Plan {
            planned_sessions,
            sessions,
        })
    }

    /// The planned count as given.
    pub fn planned_sessions(&self) -> u32 {
        self.planned_sessions
    }

    /// The sessions in date order.
    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    /// How many sessions the treatment has: the final session's number once known,
    /// else the planned count.
    pub fn total_sessions(&self) -> u32 {
        self.final_session()
            .map_or(self.planned_sessions, |s| s.number)
    }

    /// The final session, once the plan is complete (see [`Plan`]).
    pub fn final_session(&self) -> Option<SessionRef> {
        let last = self.sessions.len().checked_sub(1)?;
        self.is_complete().then(|| self.session_ref(last))
    }

    /// The latest session on or before `date`.
    pub fn current_session(&self, date: NaiveDate) -> Option<SessionRef> {
        let count = self.sessions.partition_point(|s| s.date <= date);
        count.checked_sub(1).map(|index| self.session_ref(index))
    }

    /// The first session after `date` (booked in the future, from `date`'s view).
    pub fn next_session_after(&self, date: NaiveDate) -> Option<SessionRef> {
        let index = self.sessions.partition_point(|s| s.date <= date);
        (index < self.sessions.len()).then(|| self.session_ref(index))
    }

    fn session_ref(&self, index: usize) -> SessionRef {
        SessionRef {
            number: index as u32 + 1,
            date: self.sessions[index].date,
            is_final: index + 1 == self.sessions.len() && self.is_complete(),
        }
    }

    /// The plan has its final session: the planned count is reached or exceeded, or
    /// the clinic marked a session final.
    fn is_complete(&self) -> bool {
        self.sessions.len() >= self.planned_sessions as usize
            || self.sessions.iter().any(|s| s.final_marked)
    }
}

/// A rule active on a day, with its text in the requested locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleView {
    pub id: RuleId,
    pub text: String,
    /// Kept by not doing something (a "don't"); false: a "do".
    pub avoid: bool,
}

/// A milestone reached on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MilestoneView {
    pub id: ReminderKind,
    pub title: String,
    pub text: String,
}

/// When the next session should happen; `overdue` once the window has passed with no
/// session in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SessionWindow {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub overdue: bool,
}

/// Everything the client needs to know about one local date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayView {
    pub date: NaiveDate,
    /// 1-based number of the current session; `None` before the first session.
    pub session_number: Option<u32>,
    pub session_date: Option<NaiveDate>,
    /// Day number in the current session (0 on the session date).
    pub day: Option<i64>,
    pub is_final_session: bool,
    /// See [`Plan::total_sessions`].
    pub total_sessions: u32,
    pub stage: Stage,
    pub stage_title: String,
    pub expect: String,
    pub rules: Vec<RuleView>,
    pub milestones: Vec<MilestoneView>,
    /// Only while the current session is not the final one.
    pub next_session_window: Option<SessionWindow>,
    /// The next recorded session after this date, if one is booked.
    pub next_session_on: Option<NaiveDate>,
    /// Only before the first session, when one is booked.
    pub days_until_first_session: Option<i64>,
    /// Final session + the first `healed` day (30), once the final session is known.
    pub healing_complete_on: Option<NaiveDate>,
    /// Final session + `touch_up_after_years` calendar years (29 February falls back to
    /// 28 February), once the final session is known.
    pub touch_up_due_on: Option<NaiveDate>,
    /// Sentences about what changes tomorrow.
    pub tomorrow: Vec<String>,
}

impl DayView {
    /// True when `rule` is active on this day.
    pub fn has_rule(&self, rule: RuleId) -> bool {
        self.rules.iter().any(|r| r.id == rule)
    }

    /// Values for the placeholders of protocol texts (see `text::PLACEHOLDERS`).
    pub fn placeholder_values(&self, protocol: &Protocol) -> Vec<(&'static str, String)> {
        let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        vec![
            ("day", number(self.day)),
            ("session", number(self.session_number.map(i64::from))),
            (
                "next_session",
                number(self.session_number.map(|n| i64::from(n) + 1)),
            ),
            (
                "window_end",
                self.next_session_window
                    .map(|w| w.to.to_string())
                    .unwrap_or_default(),
            ),
            ("years", protocol.touch_up_after_years().to_string()),
        ]
    }
}

/// The rules-relevant facts of a date, before any text is looked up.
pub(super) struct DayState {
    pub(super) session: Option<SessionRef>,
    day: Option<i64>,
    pub(super) stage: Stage,
    rules: Vec<RuleId>,
}

pub(super) fn state_at(plan: &Plan, protocol: &Protocol, date: NaiveDate) -> DayState {
    match plan.current_session(date) {
        None => DayState {
            session: None,
            day: None,
            stage: Stage::PreTreatment,
            rules: Vec::new(),
        },
        Some(session) => {
            let day = (date - session.date).num_days();
            DayState {
                session: Some(session),
                day: Some(day),
                stage: protocol.stage_on(day, session.is_final),
                rules: protocol.rules_on(day, session.is_final),
            }
        }
    }
}

/// The timeline on one local date, with texts in `locale` (falling back to English).
pub fn day(plan: &Plan, protocol: &Protocol, date: NaiveDate, locale: &str) -> DayView {
    let state = state_at(plan, protocol, date);
    let final_session = plan.final_session();
    let touch_up_due_on = final_session.and_then(|s| {
        s.date
            .checked_add_months(Months::new(12 * protocol.touch_up_after_years()))
    });
    let next_session_window = next_session_window(protocol, &state, date);
    let days_until_first_session = match state.session {
        None => plan.sessions().first().map(|s| (s.date - date).num_days()),
        Some(_) => None,
    };
    let mut view = DayView {
        date,
        session_number: state.session.map(|s| s.number),
        session_date: state.session.map(|s| s.date),
        day: state.day,
        is_final_session: state.session.is_some_and(|s| s.is_final),
        total_sessions: plan.total_sessions(),
        stage: state.stage,
        stage_title: protocol.stage_title(state.stage, locale).to_string(),
        expect: protocol.stage_expect(state.stage, locale).to_string(),
        rules: state
            .rules
            .iter()
            .map(|&id| RuleView {
                id,
                text: protocol.rule_text(id, locale).to_string(),
                avoid: id.is_avoidance(),
            })
            .collect(),
        milestones: Vec::new(),
        next_session_window,
        next_session_on: plan.next_session_after(date).map(|s| s.date),
        days_until_first_session,
        healing_complete_on: final_session
            .map(|s| s.date + Days::new(protocol.healing_complete_day() as u64)),
        touch_up_due_on,
        tomorrow: Vec::new(),
    };
    let values = view.placeholder_values(protocol);
    let mut kinds = match (state.session, state.day) {
        (Some(session), Some(day)) => protocol.milestones_on(day, session.is_final),
        _ => Vec::new(),
    };
    if touch_up_due_on == Some(date) {
        kinds.push(ReminderKind::TouchUpDue);
    }
    view.milestones = kinds
        .into_iter()
        .map(|id| MilestoneView {
            id,
            title: fill(protocol.reminder_title(id, locale), &values),
            text: fill(protocol.reminder_text(id, locale), &values),
        })
        .collect();
    view.tomorrow = tomorrow(plan, protocol, date, &state, locale)
        .iter()
        .map(|sentence| fill(sentence, &values))
        .collect();
    view
}

/// The timeline for every date from `from` to `to`, both included (empty if `to` is
/// before `from`).
pub fn range(
    plan: &Plan,
    protocol: &Protocol,
    from: NaiveDate,
    to: NaiveDate,
    locale: &str,
) -> Vec<DayView> {
    from.iter_days()
        .take_while(|date| *date <= to)
        .map(|date| day(plan, protocol, date, locale))
        .collect()
}

/// The window of the next session, while the current session is not the final one.
pub(super) fn next_session_window(
    protocol: &Protocol,
    state: &DayState,
    date: NaiveDate,
) -> Option<SessionWindow> {
    state
        .session
        .filter(|s| !s.is_final)
        .map(|s| session_window(protocol, s.date, date))
}

fn session_window(protocol: &Protocol, session: NaiveDate, date: NaiveDate) -> SessionWindow {
    let window = protocol.next_session_window();
    let to = session + Days::new(window.to as u64);
    SessionWindow {
        from: session + Days::new(window.from as u64),
        to,
        // The current session is still this one, so no session happened in the window.
        overdue: date > to,
    }
}

/// What changes tomorrow. A session tomorrow resets every rule, so that is all we say;
/// otherwise the next stage's and each starting or ending rule's sentence, where the
/// protocol has one.
fn tomorrow(
    plan: &Plan,
    protocol: &Protocol,
    date: NaiveDate,
    today: &DayState,
    locale: &str,
) -> Vec<String> {
    let Some(next_date) = date.succ_opt() else {
        return Vec::new();
    };
    let next = state_at(plan, protocol, next_date);
    if let (Some(session), Some(0)) = (next.session, next.day) {
        let sentence = protocol.phrase("session_tomorrow", locale);
        return vec![fill(sentence, &[("session", session.number.to_string())])];
    }
    if today.session.is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if next.stage != today.stage {
        out.extend(protocol.stage_starts_tomorrow(next.stage, locale));
    }
    for &rule in RuleId::ALL {
        match (today.rules.contains(&rule), next.rules.contains(&rule)) {
            (false, true) => out.extend(protocol.rule_starts_tomorrow(rule, locale)),
            (true, false) => out.extend(protocol.rule_ends_tomorrow(rule, locale)),
            _ => {}
        }
    }
    out.into_iter().map(str::to_string).collect()
}
