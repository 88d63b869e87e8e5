//! The validated `check_in` section: what is normal when. Each symptom has exactly one
//! level on every day of every session (validation sees to it), and a text for every
//! level it can have; the photo requests say on which days the client is asked for a
//! photo of the scalp.

use std::collections::BTreeMap;

use serde::Serialize;

use super::DayRange;
use crate::domain::ids::{CheckInLevel, PhotoRequestKind, Scope, Symptom};
use crate::domain::text::{pick, LocalizedText};

/// One range of days of a symptom and its level there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SymptomDays {
    pub scope: Scope,
    pub range: DayRange,
    pub level: CheckInLevel,
}

/// A validated symptom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymptomDef {
    pub symptom: Symptom,
    pub icon: String,
    pub label: LocalizedText,
    /// In the order written.
    pub days: Vec<SymptomDays>,
    /// The text of each level the symptom has on some day (and any other written).
    pub texts: BTreeMap<CheckInLevel, LocalizedText>,
}

impl SymptomDef {
    /// The level on `day` of a session; `None` only for a day before the session.
    pub fn level_on(&self, day: i64, is_final_session: bool) -> Option<CheckInLevel> {
        self.days
            .iter()
            .find(|d| d.scope.applies(is_final_session) && d.range.contains(day))
            .map(|d| d.level)
    }

    /// The ranges that apply after a session that is (or is not) final, by first day.
    pub fn days_for(&self, is_final_session: bool) -> Vec<SymptomDays> {
        let mut days: Vec<SymptomDays> = self
            .days
            .iter()
            .filter(|d| d.scope.applies(is_final_session))
            .copied()
            .collect();
        days.sort_by_key(|d| d.range.from);
        days
    }
}

/// When a photo request falls: a day after the session, or every so many months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoTiming {
    /// This day of every non-final session (`plan_next_session`) or of the final one
    /// (`healed_result`).
    Day(i64),
    /// Every so many calendar months after the final session's date (`fade_record`).
    EveryMonths(u32),
}

/// A validated photo request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRequestDef {
    pub kind: PhotoRequestKind,
    pub timing: PhotoTiming,
    pub title: LocalizedText,
    pub text: LocalizedText,
}

/// The validated `check_in` section of a [`super::Protocol`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    pub(super) symptoms: BTreeMap<Symptom, SymptomDef>,
    pub(super) photo_requests: BTreeMap<PhotoRequestKind, PhotoRequestDef>,
}

impl CheckIn {
    /// Every symptom, in [`Symptom`] order (the order the app lists them in).
    pub fn symptoms(&self) -> impl Iterator<Item = &SymptomDef> {
        self.symptoms.values()
    }

    pub fn symptom(&self, symptom: Symptom) -> &SymptomDef {
        &self.symptoms[&symptom]
    }

    /// The level of `symptom` on `day` (>= 0) of a session. Validation guarantees
    /// exactly one; `None` only for a day before the session.
    pub fn level(
        &self,
        symptom: Symptom,
        day: i64,
        is_final_session: bool,
    ) -> Option<CheckInLevel> {
        self.symptom(symptom).level_on(day, is_final_session)
    }

    /// What is normal when: the symptoms at each level on `day` (>= 0) of a session, in
    /// [`Symptom`] order; levels no symptom has that day are left out.
    pub fn levels_on(
        &self,
        day: i64,
        is_final_session: bool,
    ) -> BTreeMap<CheckInLevel, Vec<Symptom>> {
        let mut out: BTreeMap<CheckInLevel, Vec<Symptom>> = BTreeMap::new();
        for def in self.symptoms.values() {
            if let Some(level) = def.level_on(day, is_final_session) {
                out.entry(level).or_default().push(def.symptom);
            }
        }
        out
    }

    pub fn label(&self, symptom: Symptom, locale: &str) -> &str {
        pick(&self.symptom(symptom).label, locale)
    }

    pub fn icon(&self, symptom: Symptom) -> &str {
        &self.symptom(symptom).icon
    }

    /// The text the client reads for `symptom` at `level`; "" for a level the symptom
    /// never has (validation requires a text for every level it has on some day).
    pub fn text(&self, symptom: Symptom, level: CheckInLevel, locale: &str) -> &str {
        self.symptom(symptom)
            .texts
            .get(&level)
            .map_or("", |text| pick(text, locale))
    }

    /// Every photo request, in [`PhotoRequestKind`] order.
    pub fn photo_requests(&self) -> impl Iterator<Item = &PhotoRequestDef> {
        self.photo_requests.values()
    }

    pub fn photo_request(&self, kind: PhotoRequestKind) -> &PhotoRequestDef {
        &self.photo_requests[&kind]
    }

    pub fn photo_title(&self, kind: PhotoRequestKind, locale: &str) -> &str {
        pick(&self.photo_request(kind).title, locale)
    }

    pub fn photo_text(&self, kind: PhotoRequestKind, locale: &str) -> &str {
        pick(&self.photo_request(kind).text, locale)
    }
}
