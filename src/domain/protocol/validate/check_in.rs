//! The `check_in` section: every symptom has exactly one level on every day of every
//! session (final or not, up to healed and after), a text in English for each level it
//! has, and every photo request says when it falls.

use std::collections::BTreeMap;
use std::str::FromStr;

use super::super::check_in::{CheckIn, PhotoRequestDef, PhotoTiming, SymptomDays, SymptomDef};
use super::super::spec::{DayBound, PhotoRequestSpec, ProtocolOverrides, SymptomSpec, FOR_GOOD};
use super::super::{DayRange, ProtocolError, MAX_DAY, PHOTO_EVERY_MONTHS};
use super::texts::required_plain_text;
use super::{check_range, scope, unknown};
use crate::domain::ids::{CheckInLevel, PhotoRequestKind, Scope, Symptom};
use crate::domain::text::LocalizedText;

/// Longest icon name: a file name in the app's icon set, not a sentence.
const MAX_ICON_LEN: usize = 40;

pub(super) fn check_in(source: &ProtocolOverrides) -> Result<CheckIn, ProtocolError> {
    let spec = source
        .check_in
        .as_ref()
        .ok_or_else(|| ProtocolError::invalid("check_in", "is missing"))?;
    let mut symptoms = BTreeMap::new();
    for (key, spec) in &spec.symptoms {
        let def = symptom(key, spec)?;
        symptoms.insert(def.symptom, def);
    }
    if let Some(missing) = Symptom::ALL.iter().find(|s| !symptoms.contains_key(s)) {
        return Err(ProtocolError::invalid(
            format!("symptom \"{missing}\""),
            "is missing",
        ));
    }
    let mut photo_requests = BTreeMap::new();
    for (key, spec) in &spec.photo_requests {
        let def = photo_request(key, spec)?;
        photo_requests.insert(def.kind, def);
    }
    if let Some(missing) = PhotoRequestKind::ALL
        .iter()
        .find(|k| !photo_requests.contains_key(k))
    {
        return Err(ProtocolError::invalid(
            format!("photo request \"{missing}\""),
            "is missing",
        ));
    }
    Ok(CheckIn {
        symptoms,
        photo_requests,
    })
}

fn symptom(key: &str, spec: &SymptomSpec) -> Result<SymptomDef, ProtocolError> {
    let entry = format!("symptom \"{key}\"");
    let symptom = Symptom::from_str(key).map_err(|e| unknown(&entry, &e))?;
    let icon = icon(&entry, &spec.icon)?;
    let label = required_plain_text(&entry, "label", &spec.label)?;
    let written = spec
        .days
        .as_ref()
        .filter(|days| !days.is_empty())
        .ok_or_else(|| ProtocolError::invalid(&entry, "missing days"))?;
    let mut days = Vec::with_capacity(written.len());
    for (index, span) in written.iter().enumerate() {
        let at = format!("{entry}, days entry {}", index + 1);
        let scope = match &span.scope {
            None => Scope::EverySession,
            written => scope(&at, written)?,
        };
        let from = match &span.from {
            Some(DayBound::Day(day)) => *day,
            Some(other) => {
                return Err(ProtocolError::invalid(
                    at,
                    format!("from must be a day number, not {other}"),
                ))
            }
            None => return Err(ProtocolError::invalid(at, "missing from")),
        };
        let to = match &span.to {
            Some(DayBound::Day(day)) => Some(*day),
            Some(DayBound::Name(name)) if name == FOR_GOOD => None,
            Some(other) => {
                return Err(ProtocolError::invalid(
                    at,
                    format!("to must be a day number or \"{FOR_GOOD}\", not {other}"),
                ))
            }
            None => return Err(ProtocolError::invalid(at, "missing to")),
        };
        let range = DayRange { from, to };
        check_range(&at, range, 0)?;
        let level = span
            .level
            .as_deref()
            .ok_or_else(|| ProtocolError::invalid(&at, "missing level"))?;
        let level = CheckInLevel::from_str(level).map_err(|e| unknown(&at, &e))?;
        days.push(SymptomDays {
            scope,
            range,
            level,
        });
    }
    for is_final in [false, true] {
        check_coverage(&entry, &days, is_final)?;
    }
    let mut texts = BTreeMap::new();
    for &level in CheckInLevel::ALL {
        let written = match level {
            CheckInLevel::Expected => &spec.expected,
            CheckInLevel::Watch => &spec.watch,
            CheckInLevel::Urgent => &spec.urgent,
        };
        // A level the days use must say something; one they do not use may still
        // carry a text (an override that moved the days leaves the default's behind).
        let used = days.iter().any(|d| d.level == level);
        if used || written.is_some() {
            texts.insert(level, required_plain_text(&entry, level.as_str(), written)?);
        }
    }
    Ok(SymptomDef {
        symptom,
        icon,
        label,
        days,
        texts,
    })
}

fn icon(entry: &str, icon: &Option<String>) -> Result<String, ProtocolError> {
    let icon = icon
        .as_deref()
        .ok_or_else(|| ProtocolError::invalid(entry, "missing icon"))?;
    let well_formed = icon.len() <= MAX_ICON_LEN
        && icon.starts_with(|c: char| c.is_ascii_lowercase())
        && icon
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !well_formed {
        return Err(ProtocolError::invalid(
            entry,
            format!(
                "icon {icon:?} must be a name of at most {MAX_ICON_LEN} lowercase letters, \
                 digits and dashes, starting with a letter"
            ),
        ));
    }
    Ok(icon.to_string())
}

/// Exactly one level on every day after a session that is (or is not) final.
fn check_coverage(entry: &str, days: &[SymptomDays], is_final: bool) -> Result<(), ProtocolError> {
    let session = if is_final {
        "the final session"
    } else {
        "a non-final session"
    };
    let mut applicable: Vec<&SymptomDays> =
        days.iter().filter(|d| d.scope.applies(is_final)).collect();
    applicable.sort_by_key(|d| d.range.from);
    let mut next_uncovered = Some(0);
    let mut previous: Option<&SymptomDays> = None;
    for span in applicable {
        let overlaps = next_uncovered.is_none_or(|next| span.range.from < next);
        if let (true, Some(previous)) = (overlaps, previous) {
            return Err(ProtocolError::invalid(
                entry,
                format!(
                    "days {} ({}) and {} ({}) overlap on day {} after {session}",
                    previous.range, previous.level, span.range, span.level, span.range.from
                ),
            ));
        }
        if let Some(next) = next_uncovered.filter(|next| span.range.from > *next) {
            return Err(uncovered(entry, next, session));
        }
        next_uncovered = span.range.day_after();
        previous = Some(span);
    }
    match next_uncovered {
        Some(day) => Err(uncovered(entry, day, session)),
        None => Ok(()),
    }
}

fn uncovered(entry: &str, day: i64, session: &str) -> ProtocolError {
    ProtocolError::invalid(entry, format!("no level covers day {day} after {session}"))
}

fn photo_request(key: &str, spec: &PhotoRequestSpec) -> Result<PhotoRequestDef, ProtocolError> {
    let entry = format!("photo request \"{key}\"");
    let kind = PhotoRequestKind::from_str(key).map_err(|e| unknown(&entry, &e))?;
    let timing = match kind {
        PhotoRequestKind::FadeRecord => {
            if spec.day.is_some() {
                return Err(ProtocolError::invalid(
                    entry,
                    "takes every_months, not day: it repeats after the final session",
                ));
            }
            let months = spec
                .every_months
                .ok_or_else(|| ProtocolError::invalid(&entry, "missing every_months"))?;
            if !PHOTO_EVERY_MONTHS.contains(&months) {
                return Err(ProtocolError::invalid(
                    entry,
                    format!(
                        "every_months {months} is outside {}-{}",
                        PHOTO_EVERY_MONTHS.start(),
                        PHOTO_EVERY_MONTHS.end()
                    ),
                ));
            }
            PhotoTiming::EveryMonths(months)
        }
        PhotoRequestKind::PlanNextSession | PhotoRequestKind::HealedResult => {
            if spec.every_months.is_some() {
                return Err(ProtocolError::invalid(
                    entry,
                    "takes day, not every_months: it falls once after a session",
                ));
            }
            let day = spec
                .day
                .ok_or_else(|| ProtocolError::invalid(&entry, "missing day"))?;
            // Day 0 is the session itself, where the clinic takes its own photos.
            if !(1..=MAX_DAY).contains(&day) {
                return Err(ProtocolError::invalid(
                    entry,
                    format!("day {day} is outside 1-{MAX_DAY}"),
                ));
            }
            PhotoTiming::Day(day)
        }
    };
    let text = |field: &str, text: &Option<LocalizedText>| required_plain_text(&entry, field, text);
    Ok(PhotoRequestDef {
        kind,
        timing,
        title: text("title", &spec.title)?,
        text: text("text", &spec.text)?,
    })
}
