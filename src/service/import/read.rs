//! Reading the file: its columns by their headers, its delimiter, and every row checked
//! as onboarding checks it, each problem named by its column.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::dates::{self, DateOrder};
use super::{CellError, ImportRow, RowOutcome, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS};
use crate::service::clients::Defaults;
use crate::service::{validate, Error, FieldError};

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
    let header = text.split(['\r', '\n']).next().unwrap_or_default();
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

fn session_dates(text: &str, order: DateOrder, errors: &mut Vec<FieldError>) -> Vec<NaiveDate> {
    let mut dates = Vec::new();
    for part in text
        .split([';', ',', ' ', '|', '\t'])
        .filter(|p| !p.is_empty())
    {
        match dates::read("sessions", part, order) {
            Ok(date) => dates.push(date),
            Err(e) => match e.into_fields() {
                Ok(fields) => errors.extend(fields),
                Err(other) => errors.push(FieldError::new("sessions", other.to_string())),
            },
        }
    }
    dates
}

/// The columns in the order a row's problems are shown.
const COLUMNS: [&str; 4] = ["name", "email", "timezone", "sessions"];

/// A problem as its column names it: one date of the list is the "sessions" cell.
pub(super) fn cell_error(e: FieldError) -> CellError {
    let field = if e.field.starts_with("sessions") {
        "sessions".to_string()
    } else {
        e.field
    };
    CellError {
        field,
        message: e.message,
    }
}

/// The line each record starts on, counting the header as line 1: what a text editor
/// shows, and what the preview and the import both say. Not the csv crate's
/// `Position::line()`: a record's position is where the reader stood *before* it, just
/// past the previous record's terminator, and csv-core ends a record at the `\r` of a
/// `\r\n`, so that line is one low for Windows line endings (and low after blank
/// lines, skipped later); it also counts only `\n`, so a classic-Mac `\r` file is all
/// line 1. The position's byte offset is exact: from it, line breaks (`\r\n`, `\n` or
/// `\r`, quoted cells' own included) are counted here, once through the file.
struct Lines<'a> {
    text: &'a [u8],
    /// Bytes counted so far, and the line breaks among them.
    at: usize,
    breaks: u64,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text: text.as_bytes(),
            at: 0,
            breaks: 0,
        }
    }

    /// The line of the record at `position` (records come in order).
    fn of(&mut self, position: &csv::Position) -> u64 {
        let from =
            usize::try_from(position.byte()).map_or(self.text.len(), |b| b.min(self.text.len()));
        let start = from
            + self.text[from..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        for i in self.at..start {
            let ends_line = match self.text[i] {
                b'\n' => true,
                b'\r' => self.text.get(i + 1) != Some(&b'\n'),
                _ => false,
            };
            self.breaks += u64::from(ends_line);
        }
        self.at = self.at.max(start);
        self.breaks + 1
    }
}

/// Reads and checks every row with onboarding's own check ([`crate::service::clients::NewClientInput::check`],
///
/// with the clinic's `defaults`), all of it per row, so one pass shows everything to fix.
pub(super) fn parse(
    bytes: &[u8],
    default_timezone: &str,
    order: DateOrder,
    defaults: &Defaults,
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
    let mut lines = Lines::new(text);
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
        let line = record.position().map_or(0, |p| lines.of(p));
        // A cell our export quoted against CSV injection ('-Ana) reads as written (-Ana).
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(crate::service::export::cells::restore)
                .unwrap_or_default()
        };
        let timezone = match cell(columns.timezone) {
            "" => default_timezone.to_string(),
            zone => zone.to_string(),
        };
        let sessions_text = cell(columns.sessions).to_string();
        let mut unreadable = Vec::new();
        let sessions = session_dates(&sessions_text, order, &mut unreadable);
        let mut row = ImportRow {
            line,
            outcome: RowOutcome::New,
            name: cell(Some(columns.name)).to_string(),
            email: cell(Some(columns.email)).to_string(),
            timezone,
            sessions,
            sessions_text,
            errors: Vec::new(),
            client_id: None,
        };
        let mut input = row.input();
        input.unreadable = unreadable;
        let mut errors = match input.check(defaults, now) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(cell_error).collect(),
        };
        if let Ok(address) = validate::email("email", &row.email) {
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
        errors.sort_by_key(|e| COLUMNS.iter().position(|c| *c == e.field));
        if !errors.is_empty() {
            row.outcome = RowOutcome::Invalid;
        }
        row.errors = errors;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(Error::invalid(
            "file",
            "the file has a header line but no clients",
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ReminderTime, Zone};
    use chrono::TimeZone;

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    fn parse(
        bytes: &[u8],
        default_timezone: &str,
        order: DateOrder,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<ImportRow>, Error> {
        let defaults = Defaults {
            timezone: Zone::default(),
            reminder_time: ReminderTime::default(),
            planned_sessions: 3,
        };
        super::parse(bytes, default_timezone, order, &defaults, now)
    }

    #[test]
    fn reads_every_row_and_names_each_bad_cell() {
        let csv = "Name,Email,Time zone,Session dates\n\
                   Ana,ana@example.net,Europe/London,2026-03-02;2026-03-12\n\
                   ,not-an-email,Mars/Base,2026-13-01\n\
                   Bo,ANA@example.net,,\n";
        let rows = parse(csv.as_bytes(), "Europe/Lisbon", DateOrder::DayFirst, now()).unwrap();
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
    fn a_cell_quoted_against_csv_injection_reads_as_written() {
        let csv = "name,email\n'-Ana,ana@example.net\n'Bo,bo@example.net\n";
        let rows = parse(csv.as_bytes(), "UTC", DateOrder::DayFirst, now()).unwrap();
        assert_eq!(rows[0].name, "-Ana");
        assert_eq!(
            rows[1].name, "'Bo",
            "a quote before no formula is the name's own"
        );
    }

    #[test]
    fn semicolons_and_tabs_are_delimiters_too() {
        for csv in [
            "name;email;sessions\nAna;ana@example.net;2026-03-02, 2026-03-12\n",
            "name\temail\tsessions\nAna\tana@example.net\t2026-03-02 2026-03-12\n",
        ] {
            let rows = parse(csv.as_bytes(), "UTC", DateOrder::DayFirst, now()).unwrap();
            assert_eq!(rows[0].sessions.len(), 2, "{csv}");
            assert!(rows[0].errors.is_empty(), "{:?}", rows[0].errors);
        }
    }

    #[test]
    fn a_file_without_the_columns_says_which_is_missing() {
        let e = parse(
            b"client,phone\nAna,123\n",
            "UTC",
            DateOrder::DayFirst,
            now(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("\"name\" is missing"), "{e}");
        let e = parse(b"\xff\xfe", "UTC", DateOrder::DayFirst, now()).unwrap_err();
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }

    fn lines(csv: &str) -> Vec<u64> {
        let rows = parse(csv.as_bytes(), "UTC", DateOrder::DayFirst, now()).unwrap();
        rows.iter().map(|r| r.line).collect()
    }

    #[test]
    fn a_row_is_on_the_line_a_spreadsheet_shows_whatever_the_line_endings() {
        let lf = "name,email\nAna,ana@example.net\nBo,bo@example.net\n";
        assert_eq!(lines(lf), [2, 3]);
        assert_eq!(lines(&lf.replace('\n', "\r\n")), [2, 3], "CRLF");
        assert_eq!(lines(&lf.replace('\n', "\r")), [2, 3], "CR");
        let gaps = "name,email\n\nAna,ana@example.net\n\n\nBo,bo@example.net";
        assert_eq!(lines(gaps), [3, 6]);
        assert_eq!(lines(&gaps.replace('\n', "\r\n")), [3, 6], "CRLF");
        let quoted = "name,email\n\"Ana\nPereira\",ana@example.net\nBo,bo@example.net\n";
        assert_eq!(lines(quoted), [2, 4]);
        assert_eq!(lines(&quoted.replace('\n', "\r\n")), [2, 4], "CRLF");
        let bom = "\u{feff}name,email\r\nAna,ana@example.net\r\n";
        assert_eq!(lines(bom), [2]);
    }

    #[test]
    fn dates_are_read_in_the_clinics_order() {
        let csv = "name,email,sessions\nAna,ana@example.net,20/02/2026;02/03/2026\n";
        let rows = parse(csv.as_bytes(), "Europe/London", DateOrder::DayFirst, now()).unwrap();
        assert!(rows[0].errors.is_empty(), "{:?}", rows[0].errors);
        assert_eq!(
            rows[0].sessions[1],
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
        );
        let rows = parse(
            csv.as_bytes(),
            "America/Chicago",
            DateOrder::MonthFirst,
            now(),
        )
        .unwrap();
        assert_eq!(rows[0].errors[0].field, "sessions");
        assert!(
            rows[0].errors[0].message.contains("(month/day/year)"),
            "{:?}",
            rows[0].errors
        );
    }
}
