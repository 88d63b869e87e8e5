//! The protocol as written. The protocol file and a clinic's overrides have the same
//! shape with every field optional: a complete protocol is the default file with an
//! override document merged over it, and validation (`validate.rs`) then demands that
//! every entry be complete and consistent.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ProtocolError;
use crate::domain::text::LocalizedText;

/// A protocol document: the whole protocol file, or a clinic's changes to it.
///
/// Every field is optional so the same type serves as the body of
/// `PUT /v1/clinic/protocol` (JSON) and as a `--protocol FILE` (TOML). Unknown fields
/// are rejected rather than ignored, so a typo cannot silently leave the default in
/// place. Gentle washing from day 10 is one line:
///
/// ```toml
/// rules.gentle_washing_ok.from = 10
/// ```
///
/// (`no_washing` ends "the day before gentle_washing_ok starts", so it follows.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolOverrides {
    /// Sessions in a plan when the clinic does not say (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_sessions: Option<u32>,
    /// Years from the final session to the touch-up reminder (3-5, default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub touch_up_after_years: Option<u32>,
    /// Days after a non-final session in which the next one should happen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_session_window: Option<WindowSpec>,
    /// Keyed by stage id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stages: BTreeMap<String, StageSpec>,
    /// Keyed by rule id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, RuleSpec>,
    /// Keyed by reminder kind: the title and text of each message.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reminders: BTreeMap<String, ReminderSpec>,
    /// Keyed by phrase id: other sentences the timeline shows.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub phrases: BTreeMap<String, LocalizedText>,
    /// What a client may report after a session, how it is judged on each day, and the
    /// days the client is asked for a photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in: Option<CheckInSpec>,
}

/// `check_in`: the symptoms a client may report and the photo requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInSpec {
    /// Keyed by symptom id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub symptoms: BTreeMap<String, SymptomSpec>,
    /// Keyed by photo request kind.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub photo_requests: BTreeMap<String, PhotoRequestSpec>,
}

/// One symptom: its icon, its label, its level on each range of days after a session
/// and, per level, the text the client reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymptomSpec {
    /// The name of the icon the app shows (lowercase letters, digits and `-`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<LocalizedText>,
    /// The level on each range of days. An override replaces the whole list, so a
    /// clinic never has to undo one of the default's ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<SymptomDaysSpec>>,
    /// The reassurance, on days the symptom is expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<LocalizedText>,
    /// The advice, on days the symptom is worth a look (the clinic sees it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<LocalizedText>,
    /// Contact the clinic today, and when to seek medical care.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgent: Option<LocalizedText>,
}

/// One range of days of a symptom and its level there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymptomDaysSpec {
    /// `every_session` (when left out), `non_final_session` or `final_session`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DayBound>,
    /// A day number or `"for_good"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DayBound>,
    /// `expected`, `watch` or `urgent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

/// When the protocol asks for a photo, and the card the client reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoRequestSpec {
    /// The day after the session (`plan_next_session`, `healed_result`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<i64>,
    /// Months between requests after the final session (`fade_record`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_months: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<LocalizedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<LocalizedText>,
}

/// `next_session_window`: inclusive day numbers after a non-final session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<i64>,
}

/// One stage: when it applies and what the client should expect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// `every_session`, `non_final_session` or `final_session`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DayBound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DayBound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<LocalizedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<LocalizedText>,
    /// Shown the day before the stage begins (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_tomorrow: Option<LocalizedText>,
}

/// One aftercare rule: when it applies and what it tells the client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DayBound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DayBound>,
    /// Whether this rule on its own is worth a daily message. A permission such as
    /// gentle washing is announced once (its milestone) and then only rides along.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminds_daily: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<LocalizedText>,
    /// Shown the day before the rule begins (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_tomorrow: Option<LocalizedText>,
    /// Shown the day before the rule ends (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_tomorrow: Option<LocalizedText>,
}

/// The message for one reminder kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<LocalizedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<LocalizedText>,
}

/// A `from` or `to` of a range as written: a day number, or a name. Names are
/// `"for_good"` (a `to` with no end) or a rule id: a rule's `to = "x"` ends the day
/// before rule x starts, and its `from = "x"` starts the day after rule x ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayBound {
    Day(i64),
    Name(String),
}

/// The name of a `to` that never ends.
pub const FOR_GOOD: &str = "for_good";

impl fmt::Display for DayBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DayBound::Day(day) => write!(f, "{day}"),
            DayBound::Name(name) => write!(f, "\"{name}\""),
        }
    }
}

impl Serialize for DayBound {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            DayBound::Day(day) => serializer.serialize_i64(*day),
            DayBound::Name(name) => serializer.serialize_str(name),
        }
    }
}

impl<'de> Deserialize<'de> for DayBound {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BoundVisitor;

        impl Visitor<'_> for BoundVisitor {
            type Value = DayBound;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a day number, \"for_good\" or a rule id")
            }

            fn visit_i64<E: de::Error>(self, day: i64) -> Result<DayBound, E> {
                Ok(DayBound::Day(day))
            }

            fn visit_u64<E: de::Error>(self, day: u64) -> Result<DayBound, E> {
                i64::try_from(day)
                    .map(DayBound::Day)
                    .map_err(|_| E::custom(format!("day {day} is too large")))
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<DayBound, E> {
                Ok(DayBound::Name(name.to_string()))
            }
        }

        deserializer.deserialize_any(BoundVisitor)
    }
}

impl ProtocolOverrides {
    /// Parses an override document (or a whole protocol file) from TOML.
    pub fn from_toml_str(text: &str) -> Result<Self, ProtocolError> {
        toml::from_str(text).map_err(|e| ProtocolError::Syntax(e.to_string()))
    }

    /// Parses an override document from JSON.
    pub fn from_json_str(text: &str) -> Result<Self, ProtocolError> {
        serde_json::from_str(text).map_err(|e| ProtocolError::Syntax(e.to_string()))
    }

    /// True when the document changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == ProtocolOverrides::default()
    }

    /// `self` with every field that `over` sets replaced; texts merge per locale, so an
    /// override may add a translation without repeating the English.
    pub fn merged_with(&self, over: &ProtocolOverrides) -> ProtocolOverrides {
        let mut out = self.clone();
        replace(&mut out.planned_sessions, &over.planned_sessions);
        replace(&mut out.touch_up_after_years, &over.touch_up_after_years);
        if let Some(window) = &over.next_session_window {
            let base = out.next_session_window.get_or_insert_with(Default::default);
            replace(&mut base.from, &window.from);
            replace(&mut base.to, &window.to);
        }
        for (id, stage) in &over.stages {
            let base = out.stages.entry(id.clone()).or_default();
            replace(&mut base.scope, &stage.scope);
            replace(&mut base.from, &stage.from);
            replace(&mut base.to, &stage.to);
            merge_text(&mut base.title, &stage.title);
            merge_text(&mut base.expect, &stage.expect);
            merge_text(&mut base.starts_tomorrow, &stage.starts_tomorrow);
        }
        for (id, rule) in &over.rules {
            let base = out.rules.entry(id.clone()).or_default();
            replace(&mut base.scope, &rule.scope);
            replace(&mut base.from, &rule.from);
            replace(&mut base.to, &rule.to);
            replace(&mut base.reminds_daily, &rule.reminds_daily);
            merge_text(&mut base.text, &rule.text);
            merge_text(&mut base.starts_tomorrow, &rule.starts_tomorrow);
            merge_text(&mut base.ends_tomorrow, &rule.ends_tomorrow);
        }
        for (id, reminder) in &over.reminders {
            let base = out.reminders.entry(id.clone()).or_default();
            merge_text(&mut base.title, &reminder.title);
            merge_text(&mut base.text, &reminder.text);
        }
        for (id, phrase) in &over.phrases {
            let base = out.phrases.entry(id.clone()).or_default();
            base.extend(phrase.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(check_in) = &over.check_in {
            out.check_in
                .get_or_insert_with(Default::default)
                .merge(check_in);
        }
        out
    }
}

impl CheckInSpec {
    /// As [`ProtocolOverrides::merged_with`]; a symptom's `days` are replaced whole.
    fn merge(&mut self, over: &CheckInSpec) {
        for (id, symptom) in &over.symptoms {
            let base = self.symptoms.entry(id.clone()).or_default();
            replace(&mut base.icon, &symptom.icon);
            merge_text(&mut base.label, &symptom.label);
            replace(&mut base.days, &symptom.days);
            merge_text(&mut base.expected, &symptom.expected);
            merge_text(&mut base.watch, &symptom.watch);
            merge_text(&mut base.urgent, &symptom.urgent);
        }
        for (id, request) in &over.photo_requests {
            let base = self.photo_requests.entry(id.clone()).or_default();
            replace(&mut base.day, &request.day);
            replace(&mut base.every_months, &request.every_months);
            merge_text(&mut base.title, &request.title);
            merge_text(&mut base.text, &request.text);
        }
    }
}

fn replace<T: Clone>(base: &mut Option<T>, over: &Option<T>) {
    if let Some(value) = over {
        *base = Some(value.clone());
    }
}

fn merge_text(base: &mut Option<LocalizedText>, over: &Option<LocalizedText>) {
    if let Some(over) = over {
        let base = base.get_or_insert_with(Default::default);
        base.extend(over.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}
