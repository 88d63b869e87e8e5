//! The aftercare protocol as data: stages, rules, milestones and texts.
//!
//! The default lives in `config/protocol.toml` (embedded at build time); a clinic's
//! protocol is that default with a [`ProtocolOverrides`] document merged over it. A
//! [`Protocol`] value is always validated: every day of every session has exactly one
//! stage, ranges are non-empty, contradictory rules never overlap, every symptom of the
//! check-in has exactly one level on every day, and every text exists in English.

mod check_in;
mod spec;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Serialize, Serializer};

pub use check_in::{CheckIn, PhotoRequestDef, PhotoTiming, SymptomDays, SymptomDef};
pub use spec::{
    CheckInSpec, DayBound, PhotoRequestSpec, ProtocolOverrides, ReminderSpec, RuleSpec, StageSpec,
    SymptomDaysSpec, SymptomSpec, WindowSpec, FOR_GOOD,
};

use crate::domain::ids::{ReminderKind, RuleId, Scope, Stage};
use crate::domain::text::{pick, LocalizedText};

/// The default protocol, embedded so the service needs no file at run time.
const DEFAULT_PROTOCOL_TOML: &str = include_str!("../../config/protocol.toml");

/// Largest day number a range may name; longer rules are written as open-ended.
pub const MAX_DAY: i64 = 365;
/// Allowed touch-up interval (domain.md: "every 3-5 years").
pub const TOUCH_UP_YEARS: std::ops::RangeInclusive<u32> = 3..=5;
/// Allowed planned session counts: one (rare, allowed) up to generous scarring cases.
pub const PLANNED_SESSIONS: std::ops::RangeInclusive<u32> = 1..=10;
/// Allowed months between fade-record photos: monthly up to every five years (the
/// longest touch-up interval).
pub const PHOTO_EVERY_MONTHS: std::ops::RangeInclusive<u32> = 1..=60;

/// Why a protocol file or override document was refused. Messages name the entry, e.g.
/// `rule "avoid_sun": range 12-10 is empty`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// Not parseable TOML/JSON, or a field the format does not have.
    #[error("invalid protocol document: {0}")]
    Syntax(String),
    /// Well-formed, but an entry is wrong.
    #[error("{entry}: {problem}")]
    Invalid { entry: String, problem: String },
}

impl ProtocolError {
    pub(crate) fn invalid(entry: impl Into<String>, problem: impl Into<String>) -> Self {
        ProtocolError::Invalid {
            entry: entry.into(),
            problem: problem.into(),
        }
    }
}

/// An inclusive range of day numbers; `to: None` means "for good".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayRange {
    pub from: i64,
    pub to: Option<i64>,
}

impl DayRange {
    pub fn contains(self, day: i64) -> bool {
        day >= self.from && self.to.is_none_or(|to| day <= to)
    }

    /// The first day after the range, if it ends.
    pub fn day_after(self) -> Option<i64> {
        self.to.map(|to| to + 1)
    }

    pub fn overlaps(self, other: DayRange) -> bool {
        let starts_before_other_ends = other.to.is_none_or(|to| self.from <= to);
        let ends_after_other_starts = self.to.is_none_or(|to| to >= other.from);
        starts_before_other_ends && ends_after_other_starts
    }
}

impl fmt::Display for DayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to {
            Some(to) => write!(f, "{}-{}", self.from, to),
            None => write!(f, "{}+", self.from),
        }
    }
}

/// The days after a non-final session in which the next session should happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayWindow {
    pub from: i64,
    pub to: i64,
}

/// A validated stage. `range` is `None` only for `pre_treatment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageDef {
    pub stage: Stage,
    pub scope: Scope,
    pub range: Option<DayRange>,
    pub title: LocalizedText,
    pub expect: LocalizedText,
    pub starts_tomorrow: Option<LocalizedText>,
}

/// A validated rule with its range resolved to day numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDef {
    pub id: RuleId,
    pub scope: Scope,
    pub range: DayRange,
    pub reminds_daily: bool,
    pub text: LocalizedText,
    pub starts_tomorrow: Option<LocalizedText>,
    pub ends_tomorrow: Option<LocalizedText>,
}

/// A validated message text for one reminder kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderDef {
    pub title: LocalizedText,
    pub text: LocalizedText,
}

/// Phrase ids the protocol must define.
pub const PHRASES: &[&str] = &[
    "session_tomorrow",
    "calendar_name",
    "calendar_session",
    "calendar_next_session_window",
];

/// The validated aftercare protocol. Serializes as its complete source document (the
/// same shape as [`ProtocolOverrides`]), so what a clinic reads back is what it may edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocol {
    source: ProtocolOverrides,
    planned_sessions: u32,
    touch_up_after_years: u32,
    next_session_window: DayWindow,
    stages: BTreeMap<Stage, StageDef>,
    rules: BTreeMap<RuleId, RuleDef>,
    reminders: BTreeMap<ReminderKind, ReminderDef>,
    phrases: BTreeMap<String, LocalizedText>,
    check_in: CheckIn,
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.source.serialize(serializer)
    }
}

impl Protocol {
    /// The embedded default protocol. It is validated by a test; failing here is a bug
    /// in `config/protocol.toml`, not a run-time condition.
    pub fn default_protocol() -> Protocol {
        static DEFAULT: OnceLock<Protocol> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                Protocol::from_toml_str(DEFAULT_PROTOCOL_TOML)
                    .unwrap_or_else(|e| panic!("config/protocol.toml is invalid: {e}"))
            })
            .clone()
    }

    /// Parses and validates a complete protocol file.
    pub fn from_toml_str(text: &str) -> Result<Protocol, ProtocolError> {
        validate::validate(ProtocolOverrides::from_toml_str(text)?)
    }

    /// Validates a complete protocol document.
    pub fn from_source(source: ProtocolOverrides) -> Result<Protocol, ProtocolError> {
        validate::validate(source)
    }

    /// This protocol with a clinic's overrides applied, validated as a whole.
    pub fn with_overrides(&self, overrides: &ProtocolOverrides) -> Result<Protocol, ProtocolError> {
        validate::validate(self.source.merged_with(overrides))
    }

    /// The complete source document this protocol was validated from.
    pub fn source(&self) -> &ProtocolOverrides {
        &self.source
    }

    pub fn planned_sessions(&self) -> u32 {
        self.planned_sessions
    }

    pub fn touch_up_after_years(&self) -> u32 {
        self.touch_up_after_years
    }

    pub fn next_session_window(&self) -> DayWindow {
        self.next_session_window
    }

    /// The day after a non-final session on which the next session is overdue: the day
    /// after the window closes (day 15 by default).
    pub fn next_session_overdue_day(&self) -> i64 {
        self.next_session_window.to + 1
    }

    /// The day after the final session on which healing is complete: the first day of
    /// the `healed` stage (day 30 by default).
    pub fn healing_complete_day(&self) -> i64 {
        self.stage(Stage::Healed)
            .range
            .expect("validation gives every stage but pre_treatment a range")
            .from
    }

    pub fn stage(&self, stage: Stage) -> &StageDef {
        &self.stages[&stage]
    }

    pub fn rule(&self, id: RuleId) -> &RuleDef {
        &self.rules[&id]
    }

    pub fn reminder(&self, kind: ReminderKind) -> &ReminderDef {
        &self.reminders[&kind]
    }

    /// The stage on `day` (>= 0) of a session. Validation guarantees exactly one.
    pub fn stage_on(&self, day: i64, is_final_session: bool) -> Stage {
        self.stages
            .values()
            .find(|def| {
                def.scope.applies(is_final_session) && def.range.is_some_and(|r| r.contains(day))
            })
            .map_or(Stage::PreTreatment, |def| def.stage)
    }

    /// The rules active on `day` of a session, in `RuleId` order.
    pub fn rules_on(&self, day: i64, is_final_session: bool) -> Vec<RuleId> {
        self.rules
            .values()
            .filter(|def| def.scope.applies(is_final_session) && def.range.contains(day))
            .map(|def| def.id)
            .collect()
    }

    /// The milestones that fall on `day` of a session by day number alone (the
    /// touch-up is a calendar date, see `timeline`). In `ReminderKind` order.
    ///
    /// - `gentle_washing_allowed`: the first day of `gentle_washing_ok`;
    /// - `sun_avoidance_over`: the day after `avoid_sun` ends;
    /// - `next_session_window_open`: the window's first day, non-final sessions;
    /// - `next_session_overdue`: the day after the window closes, non-final sessions,
    ///   once (there is no later session, or the current one would have changed);
    /// - `healing_complete`: the first `healed` day after the final session.
    ///
    /// Rule-linked milestones follow their rule's scope and never fall on day 0: a
    /// change "from today" on the session day is no change.
    pub fn milestones_on(&self, day: i64, is_final_session: bool) -> Vec<ReminderKind> {
        let gentle = self.rule(RuleId::GentleWashingOk);
        let sun = self.rule(RuleId::AvoidSun);
        let rule_milestone_today = |def: &RuleDef, at: Option<i64>| {
            def.scope.applies(is_final_session) && day > 0 && at == Some(day)
        };
        let mut out = Vec::new();
        if rule_milestone_today(gentle, Some(gentle.range.from)) {
            out.push(ReminderKind::GentleWashingAllowed);
        }
        if rule_milestone_today(sun, sun.range.day_after()) {
            out.push(ReminderKind::SunAvoidanceOver);
        }
        if !is_final_session && day == self.next_session_window.from {
            out.push(ReminderKind::NextSessionWindowOpen);
        }
        if !is_final_session && day == self.next_session_overdue_day() {
            out.push(ReminderKind::NextSessionOverdue);
        }
        if is_final_session && day == self.healing_complete_day() {
            out.push(ReminderKind::HealingComplete);
        }
        out
    }

    pub fn stage_title(&self, stage: Stage, locale: &str) -> &str {
        pick(&self.stage(stage).title, locale)
    }

    pub fn stage_expect(&self, stage: Stage, locale: &str) -> &str {
        pick(&self.stage(stage).expect, locale)
    }

    pub fn stage_starts_tomorrow(&self, stage: Stage, locale: &str) -> Option<&str> {
        optional(&self.stage(stage).starts_tomorrow, locale)
    }

    pub fn rule_text(&self, id: RuleId, locale: &str) -> &str {
        pick(&self.rule(id).text, locale)
    }

    pub fn rule_starts_tomorrow(&self, id: RuleId, locale: &str) -> Option<&str> {
        optional(&self.rule(id).starts_tomorrow, locale)
    }

    pub fn rule_ends_tomorrow(&self, id: RuleId, locale: &str) -> Option<&str> {
        optional(&self.rule(id).ends_tomorrow, locale)
    }

    pub fn reminder_title(&self, kind: ReminderKind, locale: &str) -> &str {
        pick(&self.reminder(kind).title, locale)
    }

    pub fn reminder_text(&self, kind: ReminderKind, locale: &str) -> &str {
        pick(&self.reminder(kind).text, locale)
    }

    /// What is normal when: the symptoms a client may report and the photo requests.
    pub fn check_in(&self) -> &CheckIn {
        &self.check_in
    }

    /// A phrase listed in [`PHRASES`]; "" for any other id.
    pub fn phrase(&self, id: &str, locale: &str) -> &str {
        self.phrases.get(id).map_or("", |text| pick(text, locale))
    }
}

/// An optional text: absent, or English left empty, means "nothing to say".
fn optional<'a>(text: &'a Option<LocalizedText>, locale: &str) -> Option<&'a str> {
    text.as_ref()
        .map(|text| pick(text, locale))
        .filter(|s| !s.is_empty())
}
