//! Importing a clinic's existing clients from a CSV file (columns: name, email, time
//! zone, session dates): a preview first, with every row's problems named by column,
//! then the import itself, which onboards each good row exactly as the onboarding
//! form and `POST /v1/clients` do (invitation included).
//!
//! Re-importing is safe: a client is known by their email within the clinic (a unique
//! key of the database), so a row whose email is already a client is reported and
//! skipped, never duplicated, and two imports racing each other cannot both create it.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::clients::{self, NewClientInput, Onboarded};
use super::{validate, ClinicRef, Error, Services};
use crate::db::roster;
use crate::domain::timeline::{Plan, Session};

/// Largest file accepted (about 5,000 typical rows).
pub const MAX_IMPORT_BYTES: usize = 512 * 1024;
/// Most rows one import takes; split a bigger list in parts.
pub const MAX_IMPORT_ROWS: usize = 1000;

/// A problem of one cell.
#[derive(Debug, Clone, Serialize)]
pub struct CellError {
    /// The column: "name", "email", "timezone" or "sessions".
    pub field: String,
    pub message: String,
}

/// What happens (or happened) to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// Will be (preview) or was (import) onboarded.
    New,
    /// Its email is already a client of the clinic: skipped.
    Existing,
    /// Has errors: skipped.
    Invalid,
}

/// One data row of the file.
#[derive(Debug, Clone, Serialize)]
pub struct ImportRow {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    pub name: String,
    pub email: String,
    pub timezone: String,
    pub sessions: Vec<NaiveDate>,
    /// The session dates as written (shown when they do not parse).
    pub sessions_text: String,
    pub errors: Vec<CellError>,
    pub outcome: RowOutcome,
    /// The onboarded client (after the import).
    pub client_id: Option<String>,
}

/// A checked file: every row and what happens to it.
#[derive(Debug, Clone, Serialize)]
pub struct ImportPlan {
    pub rows: Vec<ImportRow>,
    pub new: usize,
    pub existing: usize,
    pub invalid: usize,
}

impl ImportPlan {
    fn count(rows: Vec<ImportRow>) -> ImportPlan {
        let count = |o| rows.iter().filter(|r| r.outcome == o).count();
        ImportPlan {
            new: count(RowOutcome::New),
            existing: count(RowOutcome::Existing),
            invalid: count(RowOutcome::Invalid),
            rows,
        }
    }
}

/// The columns, by their header (any case; spaces, dashes and underscores alike).
#[derive(Debug, Clone, Copy)]
struct Columns {
    name: usize,
    email: usize,
    timezone: Option<usize>,
    sessions: Option<usize>,
}

fn normalized(header: &str) -> String {
    header
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn columns(headers: &csv::StringRecord) -> Result<Columns, Error> {
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&normalized(h).as_str()))
    };
    let missing = |column: &str| {
        Error::invalid(
            "file",
            format!(
                "the first line must name the columns; \"{column}\" is missing \
                 (expected: name, email, time zone, session dates)"
            ),
        )
    };
    Ok(Columns {
        name: find(&["name", "fullname", "clientname"]).ok_or_else(|| missing("name"))?,
        email: find(&["email", "emailaddress", "mail"]).ok_or_else(|| missing("email"))?,
        timezone: find(&["timezone", "tz", "zone"]),
        sessions: find(&[
            "sessiondates",
            "sessions",
            "dates",
            "session",
            "sessiondate",
        ]),
    })
}

/// Spreadsheets export commas, semicolons (where the comma is the decimal mark) or,
/// pasted, tabs: the header line says which.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| header.bytes().filter(|b| b == d).count())
        .filter(|d| header.as_bytes().contains(d))
        .unwrap_or(b',')
}

fn decode(bytes: &[u8]) -> Result<&str, Error> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(Error::invalid(
            "file",
            format!(
                "the file is larger than {} KB; split it in parts",
                MAX_IMPORT_BYTES / 1024
            ),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        Error::invalid(
            "file",
            "the file is not UTF-8 text; save it from your spreadsheet as \"CSV UTF-8\"",
        )
    })?;
    // Excel writes a byte-order mark before the header.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(Error::invalid("file", "the file is empty"));
    }
    Ok(text)
}

fn session_dates(text: &str, errors: &mut Vec<CellError>) -> Vec<NaiveDate> {
    let mut dates = Vec::new();
    for part in text
        .split([';', ',', ' ', '|', '\t'])
        .filter(|p| !p.is_empty())
    {
        match validate::date("sessions", part) {
            Ok(date) => dates.push(date),
            Err(e) => errors.push(cell_error(e)),
        }
    }
    dates
}

fn cell_error(e: Error) -> CellError {
    match e {
        Error::Invalid { field, message } => CellError { field, message },
        other => CellError {
            field: "row".into(),
            message: other.to_string(),
        },
    }
}

/// Reads and checks every row: the same checks as onboarding, all of them per row, so
/// one pass shows everything to fix.
fn parse(
    bytes: &[u8],
    default_timezone: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<ImportRow>, Error> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::invalid("file", format!("the first line cannot be read: {e}")))?
        .clone();
    let columns = columns(&headers)?;
    let mut rows = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| Error::invalid("file", format!("not a CSV file: {e}")))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(Error::invalid(
                "file",
                format!("the file has more than {MAX_IMPORT_ROWS} clients; split it in parts"),
            ));
        }
        let line = record.position().map_or(0, |p| p.line());
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or_default();
        let mut errors = Vec::new();
        let name = cell(Some(columns.name)).to_string();
        if let Err(e) = validate::name("name", &name) {
            errors.push(cell_error(e));
        }
        let email = cell(Some(columns.email)).to_string();
        match validate::email("email", &email) {
            Ok(address) => {
                let key = address.into_string();
                if let Some(first) = first_line_of.get(&key) {
                    errors.push(CellError {
                        field: "email".into(),
                        message: format!("the same email as line {first}"),
                    });
                } else {
                    first_line_of.insert(key, line);
                }
            }
            Err(e) => errors.push(cell_error(e)),
        }
        let timezone = match cell(columns.timezone) {
            "" => default_timezone.to_string(),
            zone => zone.to_string(),
        };
        let today = match validate::timezone("timezone", &timezone) {
            Ok(zone) => Some(now.with_timezone(&zone.tz()).date_naive()),
            Err(e) => {
                errors.push(cell_error(e));
                None
            }
        };
        let sessions_text = cell(columns.sessions).to_string();
        let sessions = session_dates(&sessions_text, &mut errors);
        if let Err(e) = validate::session_count("sessions", sessions.len()) {
            errors.push(cell_error(e));
        }
        for date in &sessions {
            if let Some(today) = today {
                if let Err(e) = validate::session_date("sessions", *date, today) {
                    errors.push(cell_error(e));
                }
            }
        }
        if let Err(e) = Plan::new(1, sessions.iter().copied().map(Session::on).collect()) {
            errors.push(CellError {
                field: "sessions".into(),
                message: e.to_string(),
            });
        }
        rows.push(ImportRow {
            line,
            outcome: if errors.is_empty() {
                RowOutcome::New
            } else {
                RowOutcome::Invalid
            },
            name,
            email,
            timezone,
            sessions,
            sessions_text,
            errors,
            client_id: None,
        });
    }
    if rows.is_empty() {
        return Err(Error::invalid(
            "file",
            "the file has a header line but no clients",
        ));
    }
    Ok(rows)
}

/// Marks the good rows whose email is already a client of the clinic.
async fn mark_existing(
    s: &Services,
    clinic: &ClinicRef,
    mut rows: Vec<ImportRow>,
) -> Result<Vec<ImportRow>, Error> {
    let clinic_id = clinic.id.clone();
    let known: std::collections::HashSet<String> = s
        .db(move |conn| Ok(roster::clients_of(conn, &clinic_id, None)?))
        .await?
        .into_iter()
        .map(|c| c.email)
        .collect();
    for row in rows.iter_mut().filter(|r| r.outcome == RowOutcome::New) {
        if validate::email("email", &row.email).is_ok_and(|e| known.contains(e.as_str())) {
            row.outcome = RowOutcome::Existing;
        }
    }
    Ok(rows)
}

/// What an import of `bytes` would do; changes nothing.
pub async fn preview(
    s: &Services,
    clinic: &ClinicRef,
    bytes: &[u8],
    default_timezone: &str,
) -> Result<ImportPlan, Error> {
    let rows = parse(bytes, default_timezone, s.now())?;
    Ok(ImportPlan::count(mark_existing(s, clinic, rows).await?))
}

/// Onboards every good row whose email is not a client yet (each with its
/// invitation, as onboarding does); answers what happened to each row. The file is
/// checked again: a preview is never trusted.
pub async fn import(
    s: &Services,
    clinic: &ClinicRef,
    bytes: &[u8],
    default_timezone: &str,
) -> Result<ImportPlan, Error> {
    let mut rows = mark_existing(s, clinic, parse(bytes, default_timezone, s.now())?).await?;
    for row in rows.iter_mut().filter(|r| r.outcome == RowOutcome::New) {
        let input = NewClientInput {
            email: row.email.clone(),
            name: row.name.clone(),
            timezone: Some(row.timezone.clone()),
            locale: None,
            planned_sessions: None,
            sessions: row.sessions.clone(),
        };
        match clients::onboard(s, clinic, input, None, |_| Ok(String::new())).await {
            Ok(Onboarded::Created { id, .. }) => row.client_id = Some(id),
            Ok(Onboarded::Replayed(_)) => row.outcome = RowOutcome::Existing,
            // Created meanwhile (another import, the API): the unique key held.
            Err(Error::Conflict(_)) => row.outcome = RowOutcome::Existing,
            Err(Error::Invalid { field, message }) => {
                row.outcome = RowOutcome::Invalid;
                row.errors.push(CellError { field, message });
            }
            Err(other) => return Err(other),
        }
    }
    Ok(ImportPlan::count(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    #[test]
    fn reads_every_row_and_names_each_bad_cell() {
        let csv = "Name,Email,Time zone,Session dates\n\
                   Ana,ana@example.net,Europe/London,2026-03-02;2026-03-12\n\
                   ,not-an-email,Mars/Base,2026-13-01\n\
                   Bo,ANA@example.net,,\n";
        let rows = parse(csv.as_bytes(), "Europe/Lisbon", now()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].outcome, RowOutcome::New);
        assert_eq!(rows[0].sessions.len(), 2);
        assert_eq!(rows[0].line, 2);
        let fields: Vec<&str> = rows[1].errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "timezone", "sessions"]);
        assert_eq!(rows[2].timezone, "Europe/Lisbon");
        assert_eq!(rows[2].errors[0].message, "the same email as line 2");
    }

    #[test]
    fn semicolons_and_tabs_are_delimiters_too() {
        for csv in [
            "name;email;sessions\nAna;ana@example.net;2026-03-02, 2026-03-12\n",
            "name\temail\tsessions\nAna\tana@example.net\t2026-03-02 2026-03-12\n",
        ] {
            let rows = parse(csv.as_bytes(), "UTC", now()).unwrap();
            assert_eq!(rows[0].sessions.len(), 2, "{csv}");
            assert!(rows[0].errors.is_empty(), "{:?}", rows[0].errors);
        }
    }

    #[test]
    fn a_file_without_the_columns_says_which_is_missing() {
        let e = parse(b"client,phone\nAna,123\n", "UTC", now()).unwrap_err();
        assert!(e.to_string().contains("\"name\" is missing"), "{e}");
        let e = parse(b"\xff\xfe", "UTC", now()).unwrap_err();
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }
}
