//! The protocol page's forms as sent: which form (`mode`: `basic`, `rules` or
//! `document`), the plain fields (`basic.*`), each rule's days and text
//! (`rules.{id}.from|to|text`) and the override document.

use serde::Serialize;

use crate::domain::ids::{RuleId, Scope};
use crate::service::protocol_basics::{Basics, BasicsEntry, FIELDS};
use crate::service::protocol_edit::{RuleEntry, RuleForm};

/// A rule of the advanced form with its label.
#[derive(Serialize)]
pub struct RuleRow {
    pub id: RuleId,
    pub label: String,
    pub scope_label: &'static str,
    pub from: String,
    pub to: String,
    pub text: String,
    pub from_follows: bool,
    pub to_follows: bool,
}

pub fn label_of(id: RuleId) -> String {
    let words = id.as_str().replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

pub fn rows(form: Vec<RuleForm>) -> Vec<RuleRow> {
    form.into_iter()
        .map(|r| RuleRow {
            label: label_of(r.id),
            scope_label: match r.scope {
                Scope::EverySession => "after every session",
                Scope::NonFinalSession => "between sessions",
                Scope::FinalSession => "after the final session",
            },
            id: r.id,
            from: r.from,
            to: r.to,
            text: r.text,
            from_follows: r.from_follows,
            to_follows: r.to_follows,
        })
        .collect()
}

/// The form as sent.
#[derive(Debug, Default)]
pub struct Submitted {
    pub mode: String,
    pub document: String,
    pub entries: Vec<RuleEntry>,
    pub basics: BasicsEntry,
}

impl Submitted {
    /// The plain values as typed, over `current` (the values in effect).
    pub fn basics_over(&self, mut current: Basics) -> Basics {
        for (key, value) in &self.basics.values {
            let slot = match key.as_str() {
                "basic.no_washing" => &mut current.no_washing,
                "basic.avoid_sun" => &mut current.avoid_sun,
                "basic.planned_sessions" => &mut current.planned_sessions,
                "basic.window_from" => &mut current.window_from,
                "basic.window_to" => &mut current.window_to,
                "basic.touch_up_years" => &mut current.touch_up_years,
                _ => continue,
            };
            slot.clone_from(value);
        }
        current
    }
}

/// The form as sent, over `current` (the rules in effect): a field the form did not
/// send is unchanged.
pub fn submitted(pairs: Vec<(String, String)>, current: Vec<RuleForm>) -> Submitted {
    let mut out = Submitted {
        entries: current.into_iter().map(RuleEntry::from).collect(),
        ..Default::default()
    };
    for (key, value) in pairs {
        match key.as_str() {
            "mode" => out.mode = value,
            "document" => out.document = value,
            basic if FIELDS.contains(&basic) => out.basics.values.push((key, value)),
            _ => {
                let Some((rule, part)) = key
                    .strip_prefix("rules.")
                    .and_then(|rest| rest.rsplit_once('.'))
                else {
                    continue;
                };
                let Ok(id) = rule.parse::<RuleId>() else {
                    continue;
                };
                let entry = out.entries.iter_mut().find(|e| e.id == id);
                if let Some(entry) = entry {
                    match part {
                        "from" => entry.from = value,
                        "to" => entry.to = value,
                        "text" => entry.text = value,
                        _ => {}
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::protocol::Protocol;
    use crate::service::protocol_basics::basics_of;
    use crate::service::protocol_edit;

    #[test]
    fn labels_read_as_words() {
        assert_eq!(label_of(RuleId::GentleWashingOk), "Gentle washing ok");
    }

    #[test]
    fn the_submitted_form_fills_each_rule() {
        let current = protocol_edit::form_of(&Protocol::default_protocol());
        let form = submitted(
            vec![
                ("mode".into(), "rules".into()),
                ("rules.avoid_sun.to".into(), "12".into()),
                ("rules.nope.to".into(), "1".into()),
            ],
            current,
        );
        let sun = form
            .entries
            .iter()
            .find(|e| e.id == RuleId::AvoidSun)
            .unwrap();
        assert_eq!(
            (sun.from.as_str(), sun.to.as_str()),
            ("0", "12"),
            "from as in effect"
        );
        assert_eq!(form.entries.len(), RuleId::ALL.len());
    }

    #[test]
    fn plain_fields_are_kept_as_typed() {
        let current = protocol_edit::form_of(&Protocol::default_protocol());
        let form = submitted(
            vec![
                ("mode".into(), "basic".into()),
                ("basic.no_washing".into(), "seven".into()),
                ("basic.other".into(), "1".into()),
            ],
            current,
        );
        assert_eq!(form.basics.values.len(), 1);
        let shown = form.basics_over(basics_of(&Protocol::default_protocol()));
        assert_eq!(
            (shown.no_washing.as_str(), shown.avoid_sun.as_str()),
            ("seven", "10")
        );
    }
}
