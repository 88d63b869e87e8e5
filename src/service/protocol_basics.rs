//! The protocol's common edits as plain numbers: how many days without washing, until
//! which day to avoid the sun, how many sessions a plan has, when the next session is
//! due and when the touch-up. Each maps onto the protocol document and is validated by
//! the same domain validation as the document itself.
//!
//! A value is written where the protocol links it: "no washing for 7 days" moves the
//! start of gentle washing to day 8 when `no_washing` ends "the day before gentle
//! washing starts" (the default), so the link survives and both rules stay in step. A
//! value equal to the built-in default is not stored at all (see [`minimal`]): typing
//! the default back restores it, and a later change of the default reaches the clinic.

use serde::Serialize;
use serde_json::Value;

use super::clinics::ClinicProtocol;
use super::Error;
use crate::domain::ids::RuleId;
use crate::domain::protocol::{DayBound, Protocol, ProtocolError, ProtocolOverrides, WindowSpec};
use crate::domain::protocol::{FOR_GOOD, MAX_DAY};

/// The plain fields of the form, by name.
pub const NO_WASHING: &str = "basic.no_washing";
pub const AVOID_SUN: &str = "basic.avoid_sun";
pub const PLANNED_SESSIONS: &str = "basic.planned_sessions";
pub const WINDOW_FROM: &str = "basic.window_from";
pub const WINDOW_TO: &str = "basic.window_to";
pub const TOUCH_UP_YEARS: &str = "basic.touch_up_years";
pub const FIELDS: &[&str] = &[
    NO_WASHING,
    AVOID_SUN,
    PLANNED_SESSIONS,
    WINDOW_FROM,
    WINDOW_TO,
    TOUCH_UP_YEARS,
];

/// The plain values of a protocol, and the days that follow from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Basics {
    /// The last day of `no_washing` (day 0 is the session): "no washing for N days".
    pub no_washing: String,
    /// The first day of `gentle_washing_ok`.
    pub gentle_washing_from: String,
    /// The last day of `avoid_sun`.
    pub avoid_sun: String,
    /// The first day of `daily_spf`.
    pub spf_from: String,
    pub planned_sessions: String,
    pub window_from: String,
    pub window_to: String,
    pub touch_up_years: String,
}

fn end_of(protocol: &Protocol, id: RuleId) -> String {
    protocol
        .rule(id)
        .range
        .to
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// The plain values of `protocol`.
pub fn basics_of(protocol: &Protocol) -> Basics {
    let window = protocol.next_session_window();
    Basics {
        no_washing: end_of(protocol, RuleId::NoWashing),
        gentle_washing_from: protocol
            .rule(RuleId::GentleWashingOk)
            .range
            .from
            .to_string(),
        avoid_sun: end_of(protocol, RuleId::AvoidSun),
        spf_from: protocol.rule(RuleId::DailySpf).range.from.to_string(),
        planned_sessions: protocol.planned_sessions().to_string(),
        window_from: window.from.to_string(),
        window_to: window.to.to_string(),
        touch_up_years: protocol.touch_up_after_years().to_string(),
    }
}

/// The plain values as typed: (field, value) pairs, fields from [`FIELDS`].
#[derive(Debug, Clone, Default)]
pub struct BasicsEntry {
    pub values: Vec<(String, String)>,
}

impl BasicsEntry {
    fn get(&self, field: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.trim())
    }
}

fn day(field: &str, value: &str) -> Result<i64, Error> {
    value
        .parse::<i64>()
        .ok()
        .filter(|d| (0..=MAX_DAY).contains(d))
        .ok_or_else(|| Error::invalid(field, format!("must be a day number from 0 to {MAX_DAY}")))
}

fn count(field: &str, value: &str) -> Result<u32, Error> {
    value
        .parse::<u32>()
        .map_err(|_| Error::invalid(field, "must be a whole number"))
}

/// Sets the last day of rule `id` to `last`, where the protocol says it: when the rule
/// ends "the day before rule x starts", rule x starts the day after instead.
fn set_end(
    source: &ProtocolOverrides,
    out: &mut ProtocolOverrides,
    id: RuleId,
    last: i64,
    depth: usize,
) {
    let spec = source.rules.get(id.as_str());
    let linked = match spec.and_then(|s| s.to.as_ref()) {
        Some(DayBound::Name(name)) if name != FOR_GOOD => name.parse::<RuleId>().ok(),
        _ => None,
    };
    match linked {
        Some(other) if depth < RuleId::ALL.len() => {
            set_start(source, out, other, last + 1, depth + 1)
        }
        _ => out.rules.entry(id.as_str().to_string()).or_default().to = Some(DayBound::Day(last)),
    }
}

/// Sets the first day of rule `id`, where the protocol says it (see [`set_end`]).
fn set_start(
    source: &ProtocolOverrides,
    out: &mut ProtocolOverrides,
    id: RuleId,
    first: i64,
    depth: usize,
) {
    let spec = source.rules.get(id.as_str());
    let linked = match spec.and_then(|s| s.from.as_ref()) {
        Some(DayBound::Name(name)) => name.parse::<RuleId>().ok(),
        _ => None,
    };
    match linked {
        Some(other) if depth < RuleId::ALL.len() => {
            set_end(source, out, other, first - 1, depth + 1)
        }
        _ => {
            out.rules.entry(id.as_str().to_string()).or_default().from = Some(DayBound::Day(first))
        }
    }
}

/// The overrides the plain fields mean: the clinic's current overrides, with each value
/// that differs from the protocol in effect written where it belongs, then reduced to
/// what differs from the built-in default. A field the form did not send is unchanged.
pub fn overrides_from_basics(
    current: &ClinicProtocol,
    entry: &BasicsEntry,
) -> Result<ProtocolOverrides, Error> {
    let mut out: ProtocolOverrides =
        serde_json::from_value(current.overrides.clone()).map_err(Error::internal)?;
    let effective = &current.effective;
    let now = basics_of(effective);
    let source = effective.source().clone();
    let changed = |field: &str, was: &str| entry.get(field).filter(|v| *v != was);
    if let Some(value) = changed(NO_WASHING, &now.no_washing) {
        set_end(
            &source,
            &mut out,
            RuleId::NoWashing,
            day(NO_WASHING, value)?,
            0,
        );
    }
    if let Some(value) = changed(AVOID_SUN, &now.avoid_sun) {
        set_end(
            &source,
            &mut out,
            RuleId::AvoidSun,
            day(AVOID_SUN, value)?,
            0,
        );
    }
    if let Some(value) = changed(PLANNED_SESSIONS, &now.planned_sessions) {
        out.planned_sessions = Some(count(PLANNED_SESSIONS, value)?);
    }
    if let Some(value) = changed(TOUCH_UP_YEARS, &now.touch_up_years) {
        out.touch_up_after_years = Some(count(TOUCH_UP_YEARS, value)?);
    }
    let from = changed(WINDOW_FROM, &now.window_from);
    let to = changed(WINDOW_TO, &now.window_to);
    if from.is_some() || to.is_some() {
        let window = out
            .next_session_window
            .get_or_insert_with(WindowSpec::default);
        if let Some(value) = from {
            window.from = Some(day(WINDOW_FROM, value)?);
        }
        if let Some(value) = to {
            window.to = Some(day(WINDOW_TO, value)?);
        }
    }
    minimal(&out)
}

/// The plain field a validation error of the draft belongs to, if any.
fn field_of(error: &ProtocolError) -> Option<&'static str> {
    let ProtocolError::Invalid { entry, .. } = error else {
        return None;
    };
    let names = |id: RuleId| entry.contains(&format!("\"{id}\""));
    if names(RuleId::NoWashing) || names(RuleId::GentleWashingOk) {
        Some(NO_WASHING)
    } else if names(RuleId::AvoidSun) || names(RuleId::DailySpf) {
        Some(AVOID_SUN)
    } else if entry == "planned_sessions" {
        Some(PLANNED_SESSIONS)
    } else if entry == "next_session_window" {
        Some(WINDOW_TO)
    } else if entry == "touch_up_after_years" {
        Some(TOUCH_UP_YEARS)
    } else {
        None
    }
}

/// The protocol the plain fields give, validated as a whole; an error sits on the
/// plain field it concerns.
pub fn draft(overrides: &ProtocolOverrides) -> Result<Protocol, Error> {
    Protocol::default_protocol()
        .with_overrides(overrides)
        .map_err(|e| match field_of(&e) {
            Some(field) => Error::invalid(field, plain_problem(&e)),
            None => super::protocol_edit::field_error(e),
        })
}

fn plain_problem(error: &ProtocolError) -> String {
    match error {
        ProtocolError::Invalid { problem, .. } => problem.clone(),
        ProtocolError::Syntax(text) => text.clone(),
    }
}

/// Removes from `over` every value equal to the default's at the same place, and the
/// objects left empty. Answers whether `over` is now empty.
fn prune(over: &mut Value, default: &Value) -> bool {
    match (over, default) {
        (Value::Object(entries), Value::Object(defaults)) => {
            entries.retain(|key, value| match defaults.get(key) {
                Some(default) if value == default => false,
                Some(default) if value.is_object() => !prune(value, default),
                _ => true,
            });
            entries.is_empty()
        }
        (over, default) => over == default,
    }
}

/// `overrides` without what says the same as the built-in default: after it, only a
/// real difference is stored, so the clinic follows the default everywhere else.
pub fn minimal(overrides: &ProtocolOverrides) -> Result<ProtocolOverrides, Error> {
    let default =
        serde_json::to_value(Protocol::default_protocol().source()).map_err(Error::internal)?;
    let mut over = serde_json::to_value(overrides).map_err(Error::internal)?;
    prune(&mut over, &default);
    serde_json::from_value(over).map_err(Error::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current(overrides: &ProtocolOverrides) -> ClinicProtocol {
        ClinicProtocol {
            overrides: serde_json::to_value(overrides).unwrap(),
            effective: Protocol::default_protocol()
                .with_overrides(overrides)
                .unwrap(),
        }
    }

    fn entry(pairs: &[(&str, &str)]) -> BasicsEntry {
        BasicsEntry {
            values: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn the_default_reads_as_plain_days() {
        let basics = basics_of(&Protocol::default_protocol());
        assert_eq!(
            (
                basics.no_washing.as_str(),
                basics.gentle_washing_from.as_str()
            ),
            ("4", "5")
        );
        assert_eq!(
            (basics.avoid_sun.as_str(), basics.spf_from.as_str()),
            ("10", "11")
        );
        assert_eq!(basics.planned_sessions, "3");
    }

    #[test]
    fn no_washing_for_seven_days_moves_gentle_washing_and_keeps_the_link() {
        let none = ProtocolOverrides::default();
        let overrides =
            overrides_from_basics(&current(&none), &entry(&[(NO_WASHING, "7")])).unwrap();
        let json = serde_json::to_value(&overrides).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"rules": {"gentle_washing_ok": {"from": 8}}})
        );
        let protocol = draft(&overrides).unwrap();
        assert_eq!(protocol.rule(RuleId::NoWashing).range.to, Some(7));
        assert_eq!(protocol.rule(RuleId::GentleWashingOk).range.from, 8);
    }

    #[test]
    fn sun_avoidance_moves_spf_with_it() {
        let none = ProtocolOverrides::default();
        let overrides =
            overrides_from_basics(&current(&none), &entry(&[(AVOID_SUN, "21")])).unwrap();
        let protocol = draft(&overrides).unwrap();
        assert_eq!(protocol.rule(RuleId::DailySpf).range.from, 22);
    }

    #[test]
    fn typing_the_default_back_stores_nothing() {
        let seven = overrides_from_basics(
            &current(&ProtocolOverrides::default()),
            &entry(&[(NO_WASHING, "7"), (PLANNED_SESSIONS, "4")]),
        )
        .unwrap();
        let back = overrides_from_basics(
            &current(&seven),
            &entry(&[(NO_WASHING, "4"), (PLANNED_SESSIONS, "3")]),
        )
        .unwrap();
        assert!(back.is_empty(), "{back:?}");
    }

    #[test]
    fn errors_sit_on_the_plain_field() {
        let none = current(&ProtocolOverrides::default());
        let e = overrides_from_basics(&none, &entry(&[(NO_WASHING, "soon")])).unwrap_err();
        assert!(
            matches!(e, Error::Invalid { ref field, .. } if field == NO_WASHING),
            "{e}"
        );
        let overrides = overrides_from_basics(&none, &entry(&[(PLANNED_SESSIONS, "12")])).unwrap();
        let e = draft(&overrides).unwrap_err();
        assert!(
            matches!(e, Error::Invalid { ref field, .. } if field == PLANNED_SESSIONS),
            "{e}"
        );
        let overrides = overrides_from_basics(&none, &entry(&[(WINDOW_FROM, "20")])).unwrap();
        let e = draft(&overrides).unwrap_err();
        assert!(
            matches!(e, Error::Invalid { ref field, .. } if field == WINDOW_TO),
            "{e}"
        );
    }

    #[test]
    fn minimal_keeps_only_real_differences() {
        let doc = ProtocolOverrides::from_json_str(
            r#"{"planned_sessions": 3, "rules": {"avoid_sun": {"to": 10, "text": {"en": "Shade."}}}}"#,
        )
        .unwrap();
        let json = serde_json::to_value(minimal(&doc).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"rules": {"avoid_sun": {"text": {"en": "Shade."}}}})
        );
    }
}
