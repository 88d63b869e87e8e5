//! Importing a clinic's existing clients from a CSV file (columns: name, email, time
//! zone, session dates): a preview first, with every row's problems named by column,
//! then the import itself, which onboards each good row exactly as the onboarding
//! form and `POST /v1/clients` do (invitation included).
//!
//! Re-importing is safe: a client is known by their email within the clinic (a unique
//! key of the database), so a row whose email is already a client is reported and
//! skipped, never duplicated, and two imports racing each other cannot both create it.
//!
//! An import is one entry of the audit log ("Imported 4 clients from clients.csv, 1
//! row refused"), beside the entry each client's onboarding makes, as it does from
//! every face.

mod dates;
mod read;

use chrono::NaiveDate;
use serde::Serialize;

pub use dates::DateOrder;

use super::audit::{self, Action, Subject};
use super::clients::{self, Defaults, NewClientInput, Onboarded};
use super::{validate, ClinicRef, Error, Services};
use crate::db::roster;

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

impl ImportRow {
    /// The row as onboarding takes it (planned sessions: the clinic's protocol's).
    fn input(&self) -> NewClientInput {
        NewClientInput {
            email: self.email.clone(),
            name: self.name.clone(),
            timezone: Some(self.timezone.clone()),
            sessions: self.sessions.clone(),
            ..NewClientInput::default()
        }
    }
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

/// Marks the good rows whose email is already a client of the clinic.
async fn mark_existing(
    s: &Services,
    clinic: &ClinicRef,
    mut rows: Vec<ImportRow>,
) -> Result<Vec<ImportRow>, Error> {
    let clinic_id = clinic.id.clone();
    let known: std::collections::HashSet<String> = s
        .db(move |conn| Ok(roster::clients_of(conn, &clinic_id)?))
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
    let (order, defaults) = how_to_read(s, clinic).await?;
    let rows = read::parse(bytes, default_timezone, order, &defaults, s.now())?;
    Ok(ImportPlan::count(mark_existing(s, clinic, rows).await?))
}

/// Onboards every good row whose email is not a client yet (each with its
/// invitation, as onboarding does); answers what happened to each row, and records the
/// import, named by `file_name` (as the person chose it), in the audit log. The file is
/// checked again: a preview is never trusted.
pub async fn import(
    s: &Services,
    clinic: &ClinicRef,
    file_name: &str,
    bytes: &[u8],
    default_timezone: &str,
) -> Result<ImportPlan, Error> {
    let (order, defaults) = how_to_read(s, clinic).await?;
    let rows = read::parse(bytes, default_timezone, order, &defaults, s.now())?;
    let mut rows = mark_existing(s, clinic, rows).await?;
    for row in rows.iter_mut().filter(|r| r.outcome == RowOutcome::New) {
        match clients::onboard(s, clinic, row.input(), None, |_| Ok(String::new())).await {
            Ok(Onboarded::Created { id, .. }) => row.client_id = Some(id),
            Ok(Onboarded::Replayed(_)) => row.outcome = RowOutcome::Existing,
            // Created meanwhile (another import, the API): the unique key held.
            Err(Error::Conflict(_)) => row.outcome = RowOutcome::Existing,
            Err(e @ (Error::Invalid { .. } | Error::Fields(_))) => {
                row.outcome = RowOutcome::Invalid;
                row.errors
                    .extend(e.into_fields()?.into_iter().map(read::cell_error));
            }
            Err(other) => return Err(other),
        }
    }
    let plan = ImportPlan::count(rows);
    if plan.new > 0 {
        // After the clients' own transactions: an entry names what was done, and a
        // failure here leaves them imported (and each in the log as onboarded).
        let detail = summary(&file_label(file_name), &plan);
        let (actor, now, subject) = (clinic.clone(), s.now(), Subject::clients(plan.new));
        s.db(move |conn| {
            audit::record(
                conn,
                &actor,
                Action::ClientsImported,
                &subject,
                &detail,
                now,
            )
        })
        .await?;
    }
    Ok(plan)
}

/// How the clinic writes dates (see [`DateOrder::of_zone`]), and its defaults for what a row leaves out.
async fn how_to_read(s: &Services, clinic: &ClinicRef) -> Result<(DateOrder, Defaults), Error> {
    let defaults = Defaults::load(s, clinic).await?;
    Ok((DateOrder::of_zone(defaults.timezone.name()), defaults))
}

/// The file's name as the log shows it: its last path part (old browsers send the
/// whole path), printable, at most 100 characters.
pub fn file_label(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let label: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    match label.trim() {
        "" => "a CSV file".to_string(),
        label => label.to_string(),
    }
}

/// "Imported 4 clients from clients.csv, 1 row refused, 2 already clients".
fn summary(file: &str, plan: &ImportPlan) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut text = format!(
        "Imported {} from {file}",
        plural(plan.new, "client", "clients")
    );
    if plan.invalid > 0 {
        text += &format!(", {} refused", plural(plan.invalid, "row", "rows"));
    }
    if plan.existing > 0 {
        let known = plural(plan.existing, "already a client", "already clients");
        text += &format!(", {known}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_names_the_file_and_the_counts() {
        let plan = |new, existing, invalid| ImportPlan {
            rows: Vec::new(),
            new,
            existing,
            invalid,
        };
        assert_eq!(
            summary("clients.csv", &plan(4, 0, 1)),
            "Imported 4 clients from clients.csv, 1 row refused"
        );
        assert_eq!(
            summary("a.csv", &plan(1, 2, 0)),
            "Imported 1 client from a.csv, 2 already clients"
        );
        assert_eq!(file_label("C:\\Users\\front\\clients.csv"), "clients.csv");
        assert_eq!(file_label("/tmp/x/list\u{7}.csv"), "list.csv");
        assert_eq!(file_label("  "), "a CSV file");
        assert_eq!(file_label(&"x".repeat(300)).len(), 100);
    }
}
