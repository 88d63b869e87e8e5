//! Data a clinic and a client can take away.
//!
//! - The clinic's clients as CSV, with exactly the columns the import reads (`name`,
//!   `email`, `time zone`, `session dates`, dates as ISO `YYYY-MM-DD`, which the import
//!   always accepts), so exporting from one clinic and importing into another gives
//!   the same clients with the same sessions. What the import has no column for (the
//!   client's own preferences, the planned number of sessions, a session marked final,
//!   session notes) is not in the file.
//! - The clinic's audit log as CSV (owners only, as its page), times in ISO 8601 UTC
//!   with their offset: a file for machines, where the page says times in words.
//! - Everything held about a client, as JSON, for the client ([`client_data`]).
//!
//! Every export is an entry of the audit log, written in the transaction that reads
//! the data: an export that cannot be recorded is not made. Every CSV cell goes
//! through [`cells::neutralise`] (CSV injection); the import reads every cell through
//! [`cells::restore`]. The CSV files start with a UTF-8 byte-order mark, which
//! spreadsheets need to read accented names right (the import skips it).

pub mod cells;
mod client_data;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

pub use client_data::client_data;

use super::audit::{self, Action, Subject};
use super::authz;
use super::{clinics, ClinicRef, Error, Services};
use crate::db::clients::{Client, SessionRow};
use crate::db::{self, audit as audit_rows, roster};

/// The columns of the clients file: the import's names for them.
pub const CLIENT_COLUMNS: [&str; 4] = ["name", "email", "time zone", "session dates"];

/// The columns of the audit log file.
pub const AUDIT_COLUMNS: [&str; 7] = [
    "time",
    "actor",
    "actor kind",
    "action",
    "action id",
    "subject",
    "detail",
];

/// How the session dates of one client are joined in their cell (the import's
/// separator, as its page documents it).
const DATE_SEPARATOR: &str = ";";

/// Audit entries read at a time.
const AUDIT_CHUNK: i64 = 1000;

/// A CSV file to download.
#[derive(Debug, Clone)]
pub struct CsvFile {
    /// `clients-2026-03-02.csv`: the clinic's local date.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

fn csv_error(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("writing CSV: {e}"))
}

/// A CSV file of `header` and `rows`, every cell neutralised, with a byte-order mark.
fn table<'a>(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<&'a str>>,
) -> Result<Vec<u8>, Error> {
    let mut writer = csv::Writer::from_writer(b"\xef\xbb\xbf".to_vec());
    writer.write_record(header).map_err(csv_error)?;
    for row in rows {
        writer
            .write_record(
                row.into_iter()
                    .map(|cell| cells::neutralise(cell).into_owned()),
            )
            .map_err(csv_error)?;
    }
    writer.into_inner().map_err(csv_error)
}

/// The clients file's bytes: one row per client (in the order given), their session
/// dates in date order.
pub fn clients_table(clients: &[Client], sessions: &[SessionRow]) -> Result<Vec<u8>, Error> {
    let mut by_client: std::collections::HashMap<&str, Vec<NaiveDate>> =
        std::collections::HashMap::new();
    for session in sessions {
        by_client
            .entry(session.client_id.as_str())
            .or_default()
            .push(session.date);
    }
    let dates: Vec<String> = clients
        .iter()
        .map(|client| {
            let mut dates = by_client.remove(client.id.as_str()).unwrap_or_default();
            dates.sort();
            let iso: Vec<String> = dates
                .iter()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect();
            iso.join(DATE_SEPARATOR)
        })
        .collect();
    let rows = clients.iter().zip(&dates).map(|(client, dates)| {
        vec![
            client.name.as_str(),
            client.email.as_str(),
            client.timezone.name(),
            dates.as_str(),
        ]
    });
    table(&CLIENT_COLUMNS, rows)
}

/// An instant as the audit file writes it: `2026-03-02T08:15:00+00:00`.
pub fn iso_utc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The audit file's bytes, rows in the order given.
pub fn audit_table(rows: &[audit_rows::AuditRow]) -> Result<Vec<u8>, Error> {
    let cells: Vec<[String; 2]> = rows
        .iter()
        .map(|row| [iso_utc(row.at.and_utc()), Action::label_of(&row.action)])
        .collect();
    let records = rows.iter().zip(&cells).map(|(row, [at, label])| {
        vec![
            at.as_str(),
            row.actor_name.as_str(),
            row.actor_kind.as_str(),
            label.as_str(),
            row.action.as_str(),
            row.subject_label.as_str(),
            row.detail.as_str(),
        ]
    });
    table(&AUDIT_COLUMNS, records)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The clinic's local date, for a file's name.
fn local_date(zone: crate::domain::Zone, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&zone.tz()).date_naive()
}

/// Every client of the clinic as the import reads them (any staff member, as the
/// clients list), recorded in the audit log.
pub async fn clients_csv(s: &Services, clinic: &ClinicRef) -> Result<CsvFile, Error> {
    let (actor, now) = (clinic.clone(), s.now());
    let (clients, sessions, zone) = s
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let zone = clinics::load(conn, &actor)?.timezone;
                let clients = roster::clients_of(conn, &actor.id)?;
                let sessions = roster::sessions_of_clinic(conn, &actor.id)?;
                let detail = format!("{} as CSV", plural(clients.len(), "client", "clients"));
                let subject = Subject::clients(clients.len());
                audit::record(
                    conn,
                    &actor,
                    Action::ClientsExported,
                    &subject,
                    &detail,
                    now,
                )?;
                Ok((clients, sessions, zone))
            })
        })
        .await?;
    Ok(CsvFile {
        file_name: format!("clients-{}.csv", local_date(zone, now)),
        bytes: clients_table(&clients, &sessions)?,
    })
}

/// The clinic's whole audit log, newest first; owners only. The export's own entry is
/// written after the read: the file holds what was recorded before it.
pub async fn audit_csv(s: &Services, clinic: &ClinicRef) -> Result<CsvFile, Error> {
    authz::require_owner(clinic)?;
    let (actor, now) = (clinic.clone(), s.now());
    let (rows, zone) = s
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let zone = clinics::load(conn, &actor)?.timezone;
                let mut rows = Vec::new();
                loop {
                    let offset = rows.len() as i64;
                    let chunk = audit_rows::page(conn, &actor.id, offset, AUDIT_CHUNK)?;
                    let last = (chunk.len() as i64) < AUDIT_CHUNK;
                    rows.extend(chunk);
                    if last {
                        break;
                    }
                }
                let detail = format!("{} as CSV", plural(rows.len(), "entry", "entries"));
                let subject = Subject::audit_log();
                audit::record(conn, &actor, Action::AuditExported, &subject, &detail, now)?;
                Ok((rows, zone))
            })
        })
        .await?;
    Ok(CsvFile {
        file_name: format!("audit-log-{}.csv", local_date(zone, now)),
        bytes: audit_table(&rows)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(action: &str, actor: &str, detail: &str) -> audit_rows::AuditRow {
        audit_rows::AuditRow {
            id: "e1".into(),
            clinic_id: "c1".into(),
            at: Utc
                .with_ymd_and_hms(2026, 3, 2, 8, 15, 0)
                .unwrap()
                .naive_utc(),
            actor_kind: "staff".into(),
            actor_id: Some("s1".into()),
            actor_name: actor.into(),
            action: action.into(),
            subject_kind: "client".into(),
            subject_id: Some("k1".into()),
            subject_label: "=cmd|' /C calc'!A0".into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn the_audit_file_has_iso_times_and_no_live_formula() {
        let bytes = audit_table(&[row("client.onboarded", "@Mia", "fields: email, name")]).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap(), AUDIT_COLUMNS.as_slice());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[0], "2026-03-02T08:15:00+00:00");
        assert_eq!(&record[1], "'@Mia");
        assert_eq!(&record[3], "Onboarded a client");
        assert_eq!(&record[4], "client.onboarded");
        assert_eq!(&record[5], "'=cmd|' /C calc'!A0");
        assert_eq!(&record[6], "fields: email, name");
    }
}
