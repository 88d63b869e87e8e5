//! Turns a protocol document into a [`Protocol`], or says exactly which entry is wrong.

use std::collections::BTreeMap;
use std::str::FromStr;

use super::spec::{DayBound, ProtocolOverrides, RuleSpec, FOR_GOOD};
use super::{
    DayRange, DayWindow, Protocol, ProtocolError, ReminderDef, RuleDef, StageDef, MAX_DAY, PHRASES,
    PLANNED_SESSIONS, TOUCH_UP_YEARS,
};
use crate::domain::ids::{ReminderKind, RuleId, Scope, Stage};
use crate::domain::text::LocalizedText;

mod check_in;
mod texts;

use texts::{optional_text, required_text};

/// Rules that contradict each other and so may never be active on the same day.
const EXCLUSIVE_RULES: &[(RuleId, RuleId)] = &[
    (RuleId::NoWashing, RuleId::GentleWashingOk),
    (RuleId::AvoidSun, RuleId::DailySpf),
];

pub(super) fn validate(source: ProtocolOverrides) -> Result<Protocol, ProtocolError> {
    let planned_sessions = source.planned_sessions.unwrap_or(3);
    if !PLANNED_SESSIONS.contains(&planned_sessions) {
        return Err(ProtocolError::invalid(
            "planned_sessions",
            format!(
                "{planned_sessions} is outside {}-{}",
                PLANNED_SESSIONS.start(),
                PLANNED_SESSIONS.end()
            ),
        ));
    }
    let touch_up_after_years = source.touch_up_after_years.unwrap_or(3);
    if !TOUCH_UP_YEARS.contains(&touch_up_after_years) {
        return Err(ProtocolError::invalid(
            "touch_up_after_years",
            format!(
                "{touch_up_after_years} is outside {}-{}",
                TOUCH_UP_YEARS.start(),
                TOUCH_UP_YEARS.end()
            ),
        ));
    }
    let next_session_window = window(&source)?;
    let stages = stages(&source)?;
    let rules = rules(&source)?;
    let reminders = reminders(&source)?;
    let phrases = phrases(&source)?;
    let check_in = check_in::check_in(&source)?;
    Ok(Protocol {
        source,
        planned_sessions,
        touch_up_after_years,
        next_session_window,
        stages,
        rules,
        reminders,
        phrases,
        check_in,
    })
}

fn window(source: &ProtocolOverrides) -> Result<DayWindow, ProtocolError> {
    const ENTRY: &str = "next_session_window";
    let spec = source
        .next_session_window
        .as_ref()
        .ok_or_else(|| ProtocolError::invalid(ENTRY, "is missing"))?;
    let from = spec
        .from
        .ok_or_else(|| ProtocolError::invalid(ENTRY, "missing from"))?;
    let to = spec
        .to
        .ok_or_else(|| ProtocolError::invalid(ENTRY, "missing to"))?;
    // Day 0 is the session itself, so the next one can be no earlier than day 1.
    check_range(ENTRY, DayRange { from, to: Some(to) }, 1)?;
    Ok(DayWindow { from, to })
}

fn stages(source: &ProtocolOverrides) -> Result<BTreeMap<Stage, StageDef>, ProtocolError> {
    let mut out = BTreeMap::new();
    for (key, spec) in &source.stages {
        let entry = format!("stage \"{key}\"");
        let stage = Stage::from_str(key).map_err(|e| unknown(&entry, &e))?;
        let title = required_text(&entry, "title", &spec.title)?;
        let expect = required_text(&entry, "expect", &spec.expect)?;
        let starts_tomorrow = optional_text(&entry, "starts_tomorrow", &spec.starts_tomorrow)?;
        let (scope, range) = if stage == Stage::PreTreatment {
            // The time before the first session has no session days to range over.
            if spec.scope.is_some() || spec.from.is_some() || spec.to.is_some() {
                return Err(ProtocolError::invalid(
                    entry,
                    "takes no scope, from or to: it is the time before the first session",
                ));
            }
            (Scope::EverySession, None)
        } else {
            let scope = scope(&entry, &spec.scope)?;
            let from = match &spec.from {
                Some(DayBound::Day(day)) => *day,
                Some(other) => {
                    return Err(ProtocolError::invalid(
                        entry,
                        format!("from must be a day number, not {other}"),
                    ))
                }
                None => return Err(ProtocolError::invalid(entry, "missing from")),
            };
            let to = match &spec.to {
                Some(DayBound::Day(day)) => Some(*day),
                Some(DayBound::Name(name)) if name == FOR_GOOD => None,
                Some(other) => {
                    return Err(ProtocolError::invalid(
                        entry,
                        format!("to must be a day number or \"{FOR_GOOD}\", not {other}"),
                    ))
                }
                None => return Err(ProtocolError::invalid(entry, "missing to")),
            };
            let range = DayRange { from, to };
            check_range(&entry, range, 0)?;
            (scope, Some(range))
        };
        let def = StageDef {
            stage,
            scope,
            range,
            title,
            expect,
            starts_tomorrow,
        };
        out.insert(stage, def);
    }
    if let Some(missing) = Stage::ALL.iter().find(|s| !out.contains_key(s)) {
        return Err(ProtocolError::invalid(
            format!("stage \"{missing}\""),
            "is missing",
        ));
    }
    for is_final in [false, true] {
        check_stage_coverage(&out, is_final)?;
    }
    Ok(out)
}

/// Every day of a session, final or not, must have exactly one stage.
fn check_stage_coverage(
    stages: &BTreeMap<Stage, StageDef>,
    is_final: bool,
) -> Result<(), ProtocolError> {
    let session = if is_final {
        "the final session"
    } else {
        "a non-final session"
    };
    let mut applicable: Vec<(Stage, DayRange)> = stages
        .values()
        .filter(|def| def.scope.applies(is_final))
        .filter_map(|def| def.range.map(|range| (def.stage, range)))
        .collect();
    applicable.sort_by_key(|(stage, range)| (range.from, *stage));
    let mut next_uncovered = Some(0);
    let mut previous: Option<(Stage, DayRange)> = None;
    for (stage, range) in applicable {
        let Some(expected) = next_uncovered else {
            let (prev, prev_range) = previous.expect("an open range was seen");
            return Err(overlap(
                "stages",
                (prev, prev_range),
                (stage, range),
                session,
            ));
        };
        if range.from < expected {
            let (prev, prev_range) = previous.expect("day 0 is never before expected");
            return Err(overlap(
                "stages",
                (prev, prev_range),
                (stage, range),
                session,
            ));
        }
        if range.from > expected {
            return Err(uncovered(expected, session));
        }
        next_uncovered = range.day_after();
        previous = Some((stage, range));
    }
    match next_uncovered {
        Some(day) => Err(uncovered(day, session)),
        None => Ok(()),
    }
}

fn uncovered(day: i64, session: &str) -> ProtocolError {
    ProtocolError::invalid(
        "stages",
        format!("no stage covers day {day} after {session}"),
    )
}

fn overlap<T: std::fmt::Display>(
    what: &str,
    (a, a_range): (T, DayRange),
    (b, b_range): (T, DayRange),
    session: &str,
) -> ProtocolError {
    let day = a_range.from.max(b_range.from);
    ProtocolError::invalid(
        format!("{what} \"{a}\" and \"{b}\""),
        format!("ranges {a_range} and {b_range} overlap on day {day} after {session}"),
    )
}

fn rules(source: &ProtocolOverrides) -> Result<BTreeMap<RuleId, RuleDef>, ProtocolError> {
    let mut specs: BTreeMap<RuleId, &RuleSpec> = BTreeMap::new();
    for (key, spec) in &source.rules {
        let entry = format!("rule \"{key}\"");
        let id = RuleId::from_str(key).map_err(|e| unknown(&entry, &e))?;
        specs.insert(id, spec);
    }
    if let Some(missing) = RuleId::ALL.iter().find(|id| !specs.contains_key(id)) {
        return Err(ProtocolError::invalid(
            format!("rule \"{missing}\""),
            "is missing",
        ));
    }
    let resolver = Resolver { specs: &specs };
    let mut out = BTreeMap::new();
    for (&id, spec) in &specs {
        let entry = format!("rule \"{id}\"");
        let scope = scope(&entry, &spec.scope)?;
        let range = DayRange {
            from: resolver.from(id, &mut Vec::new())?,
            to: resolver.to(id, &mut Vec::new())?,
        };
        check_range(&entry, range, 0)?;
        let reminds_daily = spec
            .reminds_daily
            .ok_or_else(|| ProtocolError::invalid(&entry, "missing reminds_daily"))?;
        let def = RuleDef {
            id,
            scope,
            range,
            reminds_daily,
            text: required_text(&entry, "text", &spec.text)?,
            starts_tomorrow: optional_text(&entry, "starts_tomorrow", &spec.starts_tomorrow)?,
            ends_tomorrow: optional_text(&entry, "ends_tomorrow", &spec.ends_tomorrow)?,
        };
        out.insert(id, def);
    }
    for &(a, b) in EXCLUSIVE_RULES {
        let (a_def, b_def): (&RuleDef, &RuleDef) = (&out[&a], &out[&b]);
        for is_final in [false, true] {
            let both_apply = a_def.scope.applies(is_final) && b_def.scope.applies(is_final);
            if both_apply && a_def.range.overlaps(b_def.range) {
                let session = if is_final {
                    "the final session"
                } else {
                    "a non-final session"
                };
                return Err(overlap(
                    "rules",
                    (a, a_def.range),
                    (b, b_def.range),
                    session,
                ));
            }
        }
    }
    Ok(out)
}

/// Resolves rule bounds that name other rules, refusing cycles.
struct Resolver<'a> {
    specs: &'a BTreeMap<RuleId, &'a RuleSpec>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    From,
    To,
}

impl Resolver<'_> {
    fn from(&self, id: RuleId, path: &mut Vec<(RuleId, Side)>) -> Result<i64, ProtocolError> {
        let entry = format!("rule \"{id}\"");
        self.enter(id, Side::From, path)?;
        let day = match &self.specs[&id].from {
            None => return Err(ProtocolError::invalid(entry, "missing from")),
            Some(DayBound::Day(day)) => *day,
            Some(DayBound::Name(name)) if name == FOR_GOOD => {
                return Err(ProtocolError::invalid(
                    entry,
                    format!("from cannot be \"{FOR_GOOD}\""),
                ))
            }
            Some(DayBound::Name(name)) => {
                // `from = "x"`: the day after rule x ends.
                let other = self.named(&entry, "from", name)?;
                match self.to(other, path)? {
                    Some(end) => end + 1,
                    None => {
                        return Err(ProtocolError::invalid(
                            entry,
                            format!("from refers to \"{other}\", which never ends"),
                        ))
                    }
                }
            }
        };
        path.pop();
        Ok(day)
    }

    fn to(&self, id: RuleId, path: &mut Vec<(RuleId, Side)>) -> Result<Option<i64>, ProtocolError> {
        let entry = format!("rule \"{id}\"");
        self.enter(id, Side::To, path)?;
        let day = match &self.specs[&id].to {
            None => return Err(ProtocolError::invalid(entry, "missing to")),
            Some(DayBound::Day(day)) => Some(*day),
            Some(DayBound::Name(name)) if name == FOR_GOOD => None,
            Some(DayBound::Name(name)) => {
                // `to = "x"`: the day before rule x starts.
                let other = self.named(&entry, "to", name)?;
                Some(self.from(other, path)? - 1)
            }
        };
        path.pop();
        Ok(day)
    }

    fn enter(
        &self,
        id: RuleId,
        side: Side,
        path: &mut Vec<(RuleId, Side)>,
    ) -> Result<(), ProtocolError> {
        if path.contains(&(id, side)) {
            let first = path.first().map_or(id, |(first, _)| *first);
            let through: Vec<String> = path.iter().map(|(r, _)| format!("\"{r}\"")).collect();
            return Err(ProtocolError::invalid(
                format!("rule \"{first}\""),
                format!(
                    "range refers back to itself through {}",
                    through.join(" -> ")
                ),
            ));
        }
        path.push((id, side));
        Ok(())
    }

    fn named(&self, entry: &str, field: &str, name: &str) -> Result<RuleId, ProtocolError> {
        RuleId::from_str(name).map_err(|_| {
            ProtocolError::invalid(
                entry,
                format!(
                    "{field} names unknown rule \"{name}\"; expected a day number, \"{FOR_GOOD}\" or one of: {}",
                    RuleId::IDS.join(", ")
                ),
            )
        })
    }
}

fn reminders(
    source: &ProtocolOverrides,
) -> Result<BTreeMap<ReminderKind, ReminderDef>, ProtocolError> {
    let mut out = BTreeMap::new();
    for (key, spec) in &source.reminders {
        let entry = format!("reminder \"{key}\"");
        let kind = ReminderKind::from_str(key).map_err(|e| unknown(&entry, &e))?;
        let def = ReminderDef {
            title: required_text(&entry, "title", &spec.title)?,
            text: required_text(&entry, "text", &spec.text)?,
        };
        out.insert(kind, def);
    }
    if let Some(missing) = ReminderKind::ALL.iter().find(|k| !out.contains_key(k)) {
        return Err(ProtocolError::invalid(
            format!("reminder \"{missing}\""),
            "is missing",
        ));
    }
    Ok(out)
}

fn phrases(source: &ProtocolOverrides) -> Result<BTreeMap<String, LocalizedText>, ProtocolError> {
    let mut out = BTreeMap::new();
    for (key, text) in &source.phrases {
        let entry = format!("phrase \"{key}\"");
        if !PHRASES.contains(&key.as_str()) {
            return Err(ProtocolError::invalid(
                entry,
                format!("unknown phrase; expected one of: {}", PHRASES.join(", ")),
            ));
        }
        out.insert(
            key.clone(),
            required_text(&entry, "text", &Some(text.clone()))?,
        );
    }
    if let Some(missing) = PHRASES.iter().find(|p| !out.contains_key(**p)) {
        return Err(ProtocolError::invalid(
            format!("phrase \"{missing}\""),
            "is missing",
        ));
    }
    Ok(out)
}

fn scope(entry: &str, scope: &Option<String>) -> Result<Scope, ProtocolError> {
    let scope = scope
        .as_deref()
        .ok_or_else(|| ProtocolError::invalid(entry, "missing scope"))?;
    Scope::from_str(scope).map_err(|e| ProtocolError::invalid(entry, e.to_string()))
}

fn check_range(entry: &str, range: DayRange, first_day: i64) -> Result<(), ProtocolError> {
    if let Some(to) = range.to {
        if to < range.from {
            return Err(ProtocolError::invalid(
                entry,
                format!("range {range} is empty"),
            ));
        }
    }
    if range.from < first_day {
        return Err(ProtocolError::invalid(
            entry,
            format!("range {range} starts before day {first_day}"),
        ));
    }
    if range.to.unwrap_or(range.from) > MAX_DAY {
        return Err(ProtocolError::invalid(
            entry,
            format!("range {range} goes beyond day {MAX_DAY}; use to = \"{FOR_GOOD}\""),
        ));
    }
    Ok(())
}

fn unknown(entry: &str, error: &crate::domain::ids::UnknownId) -> ProtocolError {
    ProtocolError::invalid(
        entry,
        format!(
            "unknown {}; expected one of: {}",
            error.kind,
            error.expected.join(", ")
        ),
    )
}
