//! The protocol's change history: each change by whom and when, with the whole
//! protocol before and after, recorded in the transaction that stores it; read back as
//! one line per value changed.

use serde::Serialize;
use serde_json::Value;

use super::{ClinicRef, Error, Services};
use crate::db::protocol_changes;
use crate::domain::protocol::Protocol;

/// Changes the history shows.
pub const HISTORY_LIMIT: i64 = 50;

/// One change of the history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub at: chrono::NaiveDateTime,
    pub actor_kind: String,
    pub actor_name: String,
    /// "rules.gentle_washing_ok.from: 5 → 10", one per value changed.
    pub changes: Vec<String>,
}

pub async fn history(s: &Services, clinic: &ClinicRef) -> Result<Vec<HistoryEntry>, Error> {
    let clinic_id = clinic.id.clone();
    let rows = s
        .db(move |conn| {
            Ok(protocol_changes::of_clinic(
                conn,
                &clinic_id,
                HISTORY_LIMIT,
            )?)
        })
        .await?;
    rows.into_iter()
        .map(|row| {
            let parse = |text: &str| serde_json::from_str::<Value>(text).map_err(Error::internal);
            Ok(HistoryEntry {
                changes: differences(&parse(&row.before_protocol)?, &parse(&row.after_protocol)?),
                at: row.created_at,
                actor_kind: row.actor_kind,
                actor_name: row.actor_name,
            })
        })
        .collect()
}

/// Every leaf of a JSON document by its dotted path.
fn leaves(value: &Value, path: String, out: &mut std::collections::BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                leaves(value, path, out);
            }
        }
        // A symptom's ranges of days: one line per value of each range ("days.2.to"),
        // numbered from 1 as the staff count them, not one line for the whole list.
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                leaves(item, format!("{path}.{}", index + 1), out);
            }
        }
        Value::String(text) => {
            out.insert(path, format!("\"{text}\""));
        }
        other => {
            out.insert(path, other.to_string());
        }
    }
}

/// What changed between two protocol documents, one line per value.
pub fn differences(before: &Value, after: &Value) -> Vec<String> {
    let (mut old, mut new) = Default::default();
    leaves(before, String::new(), &mut old);
    leaves(after, String::new(), &mut new);
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| match (old.get(key), new.get(key)) {
            (Some(a), Some(b)) if a == b => None,
            (Some(a), Some(b)) => Some(format!("{key}: {a} → {b}")),
            (None, Some(b)) => Some(format!("{key}: set to {b}")),
            (Some(a), None) => Some(format!("{key}: {a} removed")),
            (None, None) => None,
        })
        .collect()
}

/// Who changed the protocol, as the history shows them.
pub struct Changer<'a> {
    pub kind: &'a str,
    pub id: Option<&'a str>,
    pub name: &'a str,
}

/// Records a change of the clinic's protocol, in the caller's transaction (the one
/// that stores it).
pub fn record_change(
    conn: &mut crate::db::DbConnection,
    clinic_id: &str,
    who: Changer<'_>,
    before: &Protocol,
    after: &Protocol,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), Error> {
    let json = |p: &Protocol| serde_json::to_string(p.source()).map_err(Error::internal);
    protocol_changes::insert(
        conn,
        &protocol_changes::ProtocolChange {
            id: uuid::Uuid::now_v7().to_string(),
            clinic_id: clinic_id.to_string(),
            actor_kind: who.kind.to_string(),
            actor_id: who.id.map(str::to_string),
            actor_name: who.name.to_string(),
            before_protocol: json(before)?,
            after_protocol: json(after)?,
            created_at: at.naive_utc(),
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_each_changed_value() {
        let before = serde_json::json!({"rules": {"a": {"from": 5, "text": {"en": "x"}}}});
        let after = serde_json::json!({"rules": {"a": {"from": 10, "text": {"en": "x"}}}});
        assert_eq!(differences(&before, &after), ["rules.a.from: 5 → 10"]);
    }

    #[test]
    fn differences_in_a_list_name_the_item() {
        let before = serde_json::json!({"days": [{"from": 0, "to": 3}, {"from": 4}]});
        let after = serde_json::json!({"days": [{"from": 0, "to": 14}]});
        assert_eq!(
            differences(&before, &after),
            ["days.1.to: 3 → 14", "days.2.from: 4 removed"]
        );
    }
}
