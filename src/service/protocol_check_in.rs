//! The check-in section of a protocol as the console's preview shows it: each
//! symptom's days and levels with the texts the client reads, and when the photo
//! requests fall. Texts are the protocol's English (the console's language).

use serde::Serialize;

use crate::domain::ids::{CheckInLevel, PhotoRequestKind, Scope, Symptom};
use crate::domain::protocol::{PhotoTiming, Protocol, SymptomDays};
use crate::domain::text::FALLBACK_LOCALE;

/// The whole check-in section.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckInSummary {
    /// In the order the app lists them.
    pub symptoms: Vec<SymptomSummary>,
    pub photo_requests: Vec<PhotoSummary>,
}

/// One symptom: its ranges of days by first day, and the text of each level it has.
#[derive(Debug, Clone, Serialize)]
pub struct SymptomSummary {
    pub id: Symptom,
    pub icon: String,
    pub label: String,
    pub days: Vec<SymptomDays>,
    pub texts: Vec<LevelText>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LevelText {
    pub level: CheckInLevel,
    pub text: String,
}

/// One photo request: after which sessions, on which day or how often.
#[derive(Debug, Clone, Serialize)]
pub struct PhotoSummary {
    pub kind: PhotoRequestKind,
    pub scope: Scope,
    pub day: Option<i64>,
    pub every_months: Option<u32>,
    pub title: String,
    pub text: String,
}

pub fn summary(protocol: &Protocol) -> CheckInSummary {
    let check_in = protocol.check_in();
    let symptoms = check_in
        .symptoms()
        .map(|def| {
            let mut days = def.days.clone();
            days.sort_by_key(|d| (d.range.from, d.scope));
            let texts = CheckInLevel::ALL
                .iter()
                .filter(|level| days.iter().any(|d| d.level == **level))
                .map(|&level| LevelText {
                    level,
                    text: check_in
                        .text(def.symptom, level, FALLBACK_LOCALE)
                        .to_string(),
                })
                .collect();
            SymptomSummary {
                id: def.symptom,
                icon: def.icon.clone(),
                label: check_in.label(def.symptom, FALLBACK_LOCALE).to_string(),
                days,
                texts,
            }
        })
        .collect();
    let photo_requests = check_in
        .photo_requests()
        .map(|def| {
            let (day, every_months) = match def.timing {
                PhotoTiming::Day(day) => (Some(day), None),
                PhotoTiming::EveryMonths(months) => (None, Some(months)),
            };
            PhotoSummary {
                kind: def.kind,
                scope: match def.kind {
                    PhotoRequestKind::PlanNextSession => Scope::NonFinalSession,
                    PhotoRequestKind::HealedResult | PhotoRequestKind::FadeRecord => {
                        Scope::FinalSession
                    }
                },
                day,
                every_months,
                title: check_in.photo_title(def.kind, FALLBACK_LOCALE).to_string(),
                text: check_in.photo_text(def.kind, FALLBACK_LOCALE).to_string(),
            }
        })
        .collect();
    CheckInSummary {
        symptoms,
        photo_requests,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_summary_lists_every_symptom_with_its_days_and_texts() {
        let summary = summary(&Protocol::default_protocol());
        assert_eq!(summary.symptoms.len(), Symptom::ALL.len());
        let itching = summary
            .symptoms
            .iter()
            .find(|s| s.id == Symptom::Itching)
            .unwrap();
        let days: Vec<(i64, Option<i64>, CheckInLevel)> = itching
            .days
            .iter()
            .map(|d| (d.range.from, d.range.to, d.level))
            .collect();
        assert_eq!(
            days,
            [
                (0, Some(2), CheckInLevel::Watch),
                (3, Some(10), CheckInLevel::Expected),
                (11, None, CheckInLevel::Watch)
            ]
        );
        let levels: Vec<CheckInLevel> = itching.texts.iter().map(|t| t.level).collect();
        assert_eq!(levels, [CheckInLevel::Expected, CheckInLevel::Watch]);
        let kinds: Vec<(PhotoRequestKind, Option<i64>, Option<u32>)> = summary
            .photo_requests
            .iter()
            .map(|p| (p.kind, p.day, p.every_months))
            .collect();
        assert_eq!(
            kinds,
            [
                (PhotoRequestKind::PlanNextSession, Some(7), None),
                (PhotoRequestKind::HealedResult, Some(30), None),
                (PhotoRequestKind::FadeRecord, None, Some(12))
            ]
        );
    }
}
