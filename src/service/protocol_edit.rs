//! Editing the clinic's protocol from the console: the rules as a form (days and
//! text of each), or the override document as JSON; a preview of a sample client's
//! first 40 days under a draft, before anything is saved; and the change history.
//!
//! Saving goes through `clinics::put_protocol`, as `PUT /v1/clinic/protocol` does,
//! which validates the whole protocol, re-plans every client and records the change.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::authz::require_editor;
use super::clinics::{self, ClinicProtocol};
use super::protocol_check_in::{self, CheckInSummary};
pub use super::protocol_history::{history, record_change, Changer, HistoryEntry};
use super::{protocol_basics, ClinicRef, Error, Services};
use crate::domain::check_in::photo_request_on;
use crate::domain::ids::{PhotoRequestKind, RuleId, Scope};
use crate::domain::protocol::{DayBound, Protocol, ProtocolError, ProtocolOverrides, MAX_DAY};
use crate::domain::protocol::{RuleSpec, FOR_GOOD};
use crate::domain::text::FALLBACK_LOCALE;
use crate::domain::timeline::{self, DayView, Plan, Session};

/// Days the preview shows.
pub const PREVIEW_DAYS: u64 = 40;
/// Largest override document the console takes.
const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// One rule as the form shows it: the days it applies and its English text.
#[derive(Debug, Clone, Serialize)]
pub struct RuleForm {
    pub id: RuleId,
    pub scope: Scope,
    pub from: String,
    /// Empty: for good.
    pub to: String,
    pub text: String,
    /// `from` is written as following another rule (the day after it ends).
    pub from_follows: bool,
    /// `to` is written as following another rule (the day before it starts).
    pub to_follows: bool,
}

/// The form of `protocol`: its rules as they are in effect.
pub fn form_of(protocol: &Protocol) -> Vec<RuleForm> {
    RuleId::ALL
        .iter()
        .map(|&id| {
            let rule = protocol.rule(id);
            let spec = protocol.source().rules.get(id.as_str());
            RuleForm {
                from_follows: follows(spec.and_then(|s| s.from.as_ref())),
                to_follows: follows(spec.and_then(|s| s.to.as_ref())),
                id,
                scope: rule.scope,
                from: rule.range.from.to_string(),
                to: rule.range.to.map(|d| d.to_string()).unwrap_or_default(),
                text: protocol.rule_text(id, FALLBACK_LOCALE).to_string(),
            }
        })
        .collect()
}

/// A submitted form row.
#[derive(Debug, Clone)]
pub struct RuleEntry {
    pub id: RuleId,
    pub from: String,
    pub to: String,
    pub text: String,
}

impl From<RuleForm> for RuleEntry {
    /// The row as the form shows it, sent back unchanged.
    fn from(rule: RuleForm) -> RuleEntry {
        RuleEntry {
            id: rule.id,
            from: rule.from,
            to: rule.to,
            text: rule.text,
        }
    }
}

fn day(field: &str, value: &str) -> Result<i64, Error> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (0..=MAX_DAY).contains(d))
        .ok_or_else(|| Error::invalid(field, format!("must be a day number from 0 to {MAX_DAY}")))
}

/// Whether a rule's bound is written as following another rule.
fn follows(bound: Option<&DayBound>) -> bool {
    matches!(bound, Some(DayBound::Name(name)) if name != FOR_GOOD)
}

fn merge_change(overrides: &mut ProtocolOverrides, id: RuleId, change: RuleSpec) {
    if change != RuleSpec::default() {
        let merged = ProtocolOverrides {
            rules: [(id.as_str().to_string(), change)].into(),
            ..Default::default()
        };
        *overrides = overrides.merged_with(&merged);
    }
}

fn bound_change(is_from: bool, day: Option<i64>) -> RuleSpec {
    let bound = day.map_or_else(|| DayBound::Name(FOR_GOOD.into()), DayBound::Day);
    if is_from {
        RuleSpec {
            from: Some(bound),
            ..Default::default()
        }
    } else {
        RuleSpec {
            to: Some(bound),
            ..Default::default()
        }
    }
}

/// The overrides a submitted form means: the clinic's current overrides, plus each
/// value the form changed from the protocol in effect. An unchanged value keeps how
/// it is written (a rule that ends "the day before gentle washing starts" keeps
/// following it when only gentle washing moves), and so does a following value that
/// the form moved along with the rule it follows (as the page's script does).
pub fn overrides_from_form(
    current: &ClinicProtocol,
    entries: &[RuleEntry],
) -> Result<ProtocolOverrides, Error> {
    let mut overrides: ProtocolOverrides =
        serde_json::from_value(current.overrides.clone()).map_err(Error::internal)?;
    let effective = &current.effective;
    // Changed bounds written as following another rule: (rule, is `from`, day).
    let mut following: Vec<(RuleId, bool, Option<i64>)> = Vec::new();
    for entry in entries {
        let rule = effective.rule(entry.id);
        let key = entry.id.as_str();
        let spec = effective.source().rules.get(key);
        let from = day(&format!("rules.{key}.from"), &entry.from)?;
        let to = match entry.to.trim() {
            "" => None,
            value => Some(day(&format!("rules.{key}.to"), value)?),
        };
        let text = entry.text.trim();
        if text.is_empty() {
            return Err(Error::invalid(
                format!("rules.{key}.text"),
                "must not be empty",
            ));
        }
        let mut change = RuleSpec::default();
        if from != rule.range.from {
            if follows(spec.and_then(|s| s.from.as_ref())) {
                following.push((entry.id, true, Some(from)));
            } else {
                change.from = Some(DayBound::Day(from));
            }
        }
        if to != rule.range.to {
            if follows(spec.and_then(|s| s.to.as_ref())) {
                following.push((entry.id, false, to));
            } else {
                change.to = bound_change(false, to).to;
            }
        }
        if text != effective.rule_text(entry.id, FALLBACK_LOCALE) {
            change.text = Some([(FALLBACK_LOCALE.to_string(), text.to_string())].into());
        }
        merge_change(&mut overrides, entry.id, change);
    }
    // A following bound that says what its link now gives stays a link.
    let linked = Protocol::default_protocol().with_overrides(&overrides).ok();
    for (id, is_from, value) in following {
        let kept = linked.as_ref().is_some_and(|p| {
            let range = p.rule(id).range;
            if is_from {
                Some(range.from) == value
            } else {
                range.to == value
            }
        });
        if !kept {
            merge_change(&mut overrides, id, bound_change(is_from, value));
        }
    }
    Ok(overrides)
}

/// The override document as typed (JSON, `{}` for the default).
pub fn parse_document(text: &str) -> Result<ProtocolOverrides, Error> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::invalid(
            "document",
            format!("at most {} KB", MAX_DOCUMENT_BYTES / 1024),
        ));
    }
    let text = if text.trim().is_empty() { "{}" } else { text };
    ProtocolOverrides::from_json_str(text).map_err(|e| Error::invalid("document", e.to_string()))
}

/// A validation error of the protocol, on the field of the entry at fault where the
/// form has one (`rules.avoid_sun` for `rule "avoid_sun"`).
pub fn field_error(error: ProtocolError) -> Error {
    match &error {
        ProtocolError::Invalid { entry, problem } => {
            // `rule "x"`, or `rules "x" and "y"` for two that clash: the later one, whose
            // range runs into the earlier one's.
            let rule = entry
                .strip_prefix("rule \"")
                .or_else(|| entry.strip_prefix("rules \""))
                .and_then(|r| r.rsplit('"').nth(1))
                .filter(|r| r.parse::<RuleId>().is_ok());
            match rule {
                Some(rule) => Error::invalid(format!("rules.{rule}"), problem.clone()),
                None => Error::invalid("protocol", error.to_string()),
            }
        }
        ProtocolError::Syntax(_) => Error::invalid("document", error.to_string()),
    }
}

/// The protocol a draft gives, validated as a whole.
pub fn draft(overrides: &ProtocolOverrides) -> Result<Protocol, Error> {
    Protocol::default_protocol()
        .with_overrides(overrides)
        .map_err(field_error)
}

/// A made-up client's first days under a protocol.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub sessions: Vec<NaiveDate>,
    pub planned_sessions: u32,
    pub days: Vec<DayView>,
    /// The photo request of each day, if any (same order as `days`).
    pub photos: Vec<Option<PhotoRequestKind>>,
    /// What is normal when, and when photos are asked for.
    pub check_in: CheckInSummary,
}

/// A sample client starting today: the protocol's planned sessions, each in the middle
/// of the previous one's next-session window, and their first `PREVIEW_DAYS` days.
pub fn preview(protocol: &Protocol, first_session: NaiveDate) -> Result<Preview, Error> {
    let window = protocol.next_session_window();
    let spacing = ((window.from + window.to) / 2).max(1) as u64;
    let planned = protocol.planned_sessions();
    let last_day = first_session + Days::new(PREVIEW_DAYS - 1);
    let sessions: Vec<NaiveDate> = (0..u64::from(planned))
        .map(|i| first_session + Days::new(i * spacing))
        .filter(|d| *d <= last_day)
        .collect();
    let plan = Plan::new(planned, sessions.iter().copied().map(Session::on).collect())
        .map_err(|e| Error::internal(format!("sample plan: {e}")))?;
    let days = timeline::range(&plan, protocol, first_session, last_day, FALLBACK_LOCALE);
    let photos = days
        .iter()
        .map(|d| photo_request_on(&plan, protocol, d.date, FALLBACK_LOCALE).map(|p| p.kind))
        .collect();
    Ok(Preview {
        days,
        photos,
        sessions,
        planned_sessions: planned,
        check_in: protocol_check_in::summary(protocol),
    })
}

/// Saves a draft: validated, kept without what says the same as the built-in default
/// (so the clinic keeps following the default there), every client re-planned, the
/// change recorded.
pub async fn save(
    s: &Services,
    clinic: &ClinicRef,
    overrides: ProtocolOverrides,
) -> Result<ClinicProtocol, Error> {
    require_editor(clinic)?;
    let overrides = protocol_basics::minimal(&overrides)?;
    draft(&overrides)?;
    clinics::put_protocol(s, clinic, overrides).await
}

/// Back to the built-in default: no override is kept, so a later change of the default
/// reaches the clinic. Recorded in the audit log and the history when it changes
/// anything.
pub async fn restore_default(s: &Services, clinic: &ClinicRef) -> Result<ClinicProtocol, Error> {
    require_editor(clinic)?;
    clinics::put_protocol(s, clinic, ProtocolOverrides::default()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> ClinicProtocol {
        ClinicProtocol {
            overrides: serde_json::json!({}),
            effective: Protocol::default_protocol(),
        }
    }

    fn entries(protocol: &Protocol) -> Vec<RuleEntry> {
        form_of(protocol).into_iter().map(RuleEntry::from).collect()
    }

    #[test]
    fn an_unchanged_form_changes_nothing() {
        let protocol = Protocol::default_protocol();
        let overrides = overrides_from_form(&current(), &entries(&protocol)).unwrap();
        assert!(overrides.is_empty(), "{overrides:?}");
    }

    #[test]
    fn moving_gentle_washing_keeps_no_washing_following_it() {
        let protocol = Protocol::default_protocol();
        let mut form = entries(&protocol);
        let gentle = form
            .iter_mut()
            .find(|e| e.id == RuleId::GentleWashingOk)
            .unwrap();
        gentle.from = "10".into();
        let overrides = overrides_from_form(&current(), &form).unwrap();
        assert_eq!(overrides.rules.len(), 1, "{overrides:?}");
        let changed = draft(&overrides).unwrap();
        assert_eq!(changed.rule(RuleId::NoWashing).range.to, Some(9));
    }

    #[test]
    fn a_following_day_moved_along_with_its_rule_stays_a_link() {
        let protocol = Protocol::default_protocol();
        let mut form = entries(&protocol);
        let set = |form: &mut Vec<RuleEntry>, id: RuleId, from: Option<&str>, to: Option<&str>| {
            let entry = form.iter_mut().find(|e| e.id == id).unwrap();
            if let Some(from) = from {
                entry.from = from.into();
            }
            if let Some(to) = to {
                entry.to = to.into();
            }
        };
        // As the page's script does: SPF's start follows the end of sun avoidance.
        set(&mut form, RuleId::AvoidSun, None, Some("12"));
        set(&mut form, RuleId::DailySpf, Some("13"), None);
        let overrides = overrides_from_form(&current(), &form).unwrap();
        let json = serde_json::to_value(&overrides).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"rules": {"avoid_sun": {"to": 12}}})
        );
        // A following day set elsewhere is what the clinic asked for: written as a day.
        set(&mut form, RuleId::DailySpf, Some("15"), None);
        let overrides = overrides_from_form(&current(), &form).unwrap();
        assert_eq!(
            overrides.rules["daily_spf"].from,
            Some(DayBound::Day(15)),
            "{overrides:?}"
        );
        assert!(
            form_of(&protocol)[5].from_follows,
            "daily_spf follows avoid_sun"
        );
    }

    #[test]
    fn a_bad_day_names_its_field_and_a_conflict_its_rule() {
        let protocol = Protocol::default_protocol();
        let mut form = entries(&protocol);
        form[0].from = "soon".into();
        let e = overrides_from_form(&current(), &form).unwrap_err();
        assert!(matches!(e, Error::Invalid { ref field, .. } if field == "rules.no_washing.from"));

        let mut form = entries(&protocol);
        let spf = form.iter_mut().find(|e| e.id == RuleId::DailySpf).unwrap();
        spf.from = "5".into();
        let overrides = overrides_from_form(&current(), &form).unwrap();
        let e = draft(&overrides).unwrap_err();
        assert!(
            matches!(e, Error::Invalid { ref field, .. } if field.starts_with("rules.")),
            "{e}"
        );
    }

    #[test]
    fn the_preview_covers_forty_days_with_the_planned_sessions() {
        let start = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let preview = preview(&Protocol::default_protocol(), start).unwrap();
        assert_eq!(preview.days.len(), 40);
        assert_eq!(preview.sessions.len(), 3);
        assert_eq!(
            preview.sessions[1],
            NaiveDate::from_ymd_opt(2026, 3, 12).unwrap()
        );
        // Day 7 of sessions 1 and 2 (non-final) ask for the planning photo.
        let photo_days: Vec<usize> = (0..preview.photos.len())
            .filter(|&i| preview.photos[i] == Some(PhotoRequestKind::PlanNextSession))
            .collect();
        assert_eq!(photo_days, [7, 17]);
        assert_eq!(preview.check_in.symptoms.len(), 10);
    }
}
