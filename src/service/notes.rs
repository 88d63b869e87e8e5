//! Notes on a client: free text staff keep (dated, by whom), and "contacted" records
//! (someone at the clinic reached the client; the Today list shows the latest). Both
//! live in one table so the client's page reads them as one dated list and erasing the
//! client erases both. Every note is audited without its text (it may hold health
//! details); the audit entry says only that a note was added.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::audit::{self, Action, Subject};
use super::clients::load_for_clinic;
use super::{ClinicRef, Error, Services};
use crate::db::notes::{self, NoteRow, CONTACTED_KIND, NOTE_KIND};
use crate::db::{self, DbConnection};

/// Longest note, in characters: a few paragraphs, not a file.
pub const MAX_NOTE_CHARS: usize = 2000;

/// Notes the client's page lists (the newest).
pub const NOTES_SHOWN: i64 = 100;

/// What kind of note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    Note,
    Contacted,
}

impl NoteKind {
    fn as_str(self) -> &'static str {
        match self {
            NoteKind::Note => NOTE_KIND,
            NoteKind::Contacted => CONTACTED_KIND,
        }
    }

    fn of(stored: &str) -> NoteKind {
        if stored == CONTACTED_KIND {
            NoteKind::Contacted
        } else {
            NoteKind::Note
        }
    }
}

/// One note as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub id: String,
    pub kind: NoteKind,
    pub body: String,
    /// Who wrote it, named as they were then.
    pub author: String,
    pub at: DateTime<Utc>,
}

impl From<NoteRow> for Note {
    fn from(row: NoteRow) -> Note {
        Note {
            kind: NoteKind::of(&row.kind),
            id: row.id,
            body: row.body,
            author: row.author_name,
            at: row.created_at.and_utc(),
        }
    }
}

/// A note's text, checked: line breaks kept (a textarea sends CRLF; stored as LF),
/// every other control character refused, 1 to [`MAX_NOTE_CHARS`] characters.
pub fn note_text(field: &str, raw: &str) -> Result<String, Error> {
    let text = raw.replace("\r\n", "\n");
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, "Write the note first; it is empty."));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(
            field,
            "Use letters, numbers, punctuation and line breaks only; \
             the note has a control character (such as a tab) in it.",
        ));
    }
    let length = text.chars().count();
    if length > MAX_NOTE_CHARS {
        return Err(Error::invalid(
            field,
            format!("A note has at most {MAX_NOTE_CHARS} characters; this one has {length}."),
        ));
    }
    Ok(text.to_string())
}

/// Adds a note on the client (refused without storing anything when the text is not
/// a note: see [`note_text`]).
pub async fn add(
    s: &Services,
    clinic: &ClinicRef,
    client_id: String,
    text: &str,
) -> Result<Note, Error> {
    let body = note_text("note", text)?;
    write(s, clinic, client_id, NoteKind::Note, body).await
}

/// Records that the acting staff member contacted the client now.
pub async fn mark_contacted(
    s: &Services,
    clinic: &ClinicRef,
    client_id: String,
) -> Result<Note, Error> {
    write(s, clinic, client_id, NoteKind::Contacted, String::new()).await
}

async fn write(
    s: &Services,
    clinic: &ClinicRef,
    client_id: String,
    kind: NoteKind,
    body: String,
) -> Result<Note, Error> {
    let (actor, now) = (clinic.clone(), s.now());
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let bundle = load_for_clinic(conn, &actor.id, &client_id)?;
            let row = NoteRow {
                id: uuid::Uuid::now_v7().to_string(),
                client_id: client_id.clone(),
                kind: kind.as_str().to_string(),
                body: body.clone(),
                author_kind: actor.actor.kind().to_string(),
                author_id: actor.actor.id().map(str::to_string),
                author_name: actor.actor.display_name(),
                created_at: now.naive_utc(),
            };
            notes::insert(conn, &row)?;
            let subject = Subject::client(&client_id, &bundle.client.name);
            let (action, detail) = match kind {
                NoteKind::Note => (
                    Action::NoteAdded,
                    format!("{} characters", body.chars().count()),
                ),
                NoteKind::Contacted => (Action::ClientContacted, String::new()),
            };
            audit::record(conn, &actor, action, &subject, &detail, now)?;
            Ok(Note::from(row))
        })
    })
    .await
}

/// The client's newest [`NOTES_SHOWN`] notes, newest first. Another clinic's client
/// is not found.
pub async fn of_client(
    s: &Services,
    clinic: &ClinicRef,
    client_id: String,
) -> Result<Vec<Note>, Error> {
    let clinic_id = clinic.id.clone();
    s.db(move |conn| read(conn, &clinic_id, &client_id)).await
}

fn read(conn: &mut DbConnection, clinic_id: &str, client_id: &str) -> Result<Vec<Note>, Error> {
    let bundle = load_for_clinic(conn, clinic_id, client_id)?;
    let rows = notes::of_client(conn, &bundle.client.id, NOTES_SHOWN)?;
    Ok(rows.into_iter().map(Note::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_text_keeps_line_breaks_and_refuses_other_controls() {
        assert_eq!(note_text("note", "  a\r\nb \n").unwrap(), "a\nb");
        assert!(note_text("note", " \n ").is_err());
        assert!(note_text("note", "a\tb").is_err());
        assert!(note_text("note", "a\u{7}b").is_err());
        assert!(note_text("note", "a\rb").is_err());
        assert!(note_text("note", &"x".repeat(MAX_NOTE_CHARS)).is_ok());
        assert!(note_text("note", &"é".repeat(MAX_NOTE_CHARS + 1)).is_err());
    }
}
