//! Checks on input values that serde cannot express; each error names its field.

use chrono::{Datelike, NaiveDate};

use super::Error;
use crate::domain::{echo, EmailAddress, ReminderKind, ReminderTime, Zone};

/// Sessions more than this far from today are typing mistakes, not plans.
pub const MAX_SESSION_DISTANCE_DAYS: i64 = 2 * 366;

/// Most sessions one client may have. SMP takes two to four, touch-ups included; far
/// more is a mistake, and every session adds to each planning pass and day view.
pub const MAX_SESSIONS_PER_CLIENT: usize = 20;

/// Longest free text a clinic may attach to a session.
pub const MAX_NOTES_CHARS: usize = 2000;

pub fn timezone(field: &str, value: &str) -> Result<Zone, Error> {
    value
        .parse()
        .map_err(|why: String| Error::invalid(field, why))
}

/// "HH:MM", 24-hour clock.
pub fn reminder_time(field: &str, value: &str) -> Result<ReminderTime, Error> {
    value
        .parse()
        .map_err(|why: String| Error::invalid(field, why))
}

/// A trimmed, lower-cased email address.
pub fn email(field: &str, value: &str) -> Result<EmailAddress, Error> {
    value
        .parse()
        .map_err(|why: String| Error::invalid(field, why))
}

/// A person's or clinic's name: 1-200 printable characters.
pub fn name(field: &str, value: &str) -> Result<String, Error> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > 200 || trimmed.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "must be at most 200 printable characters",
        ));
    }
    Ok(trimmed.to_string())
}

/// A BCP 47-ish language tag such as "en" or "en-GB".
pub fn locale(field: &str, value: &str) -> Result<String, Error> {
    let ok = !value.is_empty()
        && value.len() <= 35
        && value
            .split(['-', '_'])
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(value.to_string())
    } else {
        Err(Error::invalid(
            field,
            format!(
                "{} is not a language tag such as \"en\" or \"en-GB\"",
                echo::quoted(value)
            ),
        ))
    }
}

pub fn planned_sessions(field: &str, value: u32) -> Result<u32, Error> {
    if (1..=10).contains(&value) {
        Ok(value)
    } else {
        Err(Error::invalid(field, "must be between 1 and 10"))
    }
}

/// A session date within two years of the client's today.
pub fn session_date(field: &str, date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, Error> {
    let distance = (date - today).num_days().abs();
    if distance > MAX_SESSION_DISTANCE_DAYS {
        return Err(Error::invalid(
            field,
            format!("{date} is more than two years from today ({today}); check the year"),
        ));
    }
    // Guard chrono's extreme years from reaching the database.
    if !(1900..=9999).contains(&date.year()) {
        return Err(Error::invalid(field, "year out of range"));
    }
    Ok(date)
}

/// A client's number of sessions, once `count` are recorded: at most
/// [`MAX_SESSIONS_PER_CLIENT`].
pub fn session_count(field: &str, count: usize) -> Result<(), Error> {
    if count > MAX_SESSIONS_PER_CLIENT {
        return Err(Error::invalid(
            field,
            format!("a client has at most {MAX_SESSIONS_PER_CLIENT} sessions, not {count}"),
        ));
    }
    Ok(())
}

pub fn notes(field: &str, notes: &str) -> Result<String, Error> {
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_NOTES_CHARS} characters"),
        ));
    }
    Ok(notes.to_string())
}

pub fn muted(field: &str, values: &[String]) -> Result<Vec<ReminderKind>, Error> {
    let mut kinds = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let kind = value.parse::<ReminderKind>().map_err(|_| {
            Error::invalid(
                format!("{field}[{i}]"),
                format!(
                    "{} is not a reminder kind ({})",
                    echo::quoted(value),
                    ReminderKind::IDS.join(", ")
                ),
            )
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

pub fn date(field: &str, value: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        Error::invalid(
            field,
            format!(
                "{} is not a calendar date as YYYY-MM-DD",
                echo::quoted(value)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_dates_stay_within_two_years() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert!(session_date("d", NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(), today).is_ok());
        assert!(session_date("d", NaiveDate::from_ymd_opt(2030, 3, 1).unwrap(), today).is_err());
        assert!(session_date("d", NaiveDate::from_ymd_opt(2020, 3, 1).unwrap(), today).is_err());
    }

    #[test]
    fn names_refuse_control_characters() {
        assert_eq!(name("n", "  Ana ").unwrap(), "Ana");
        assert!(name("n", "Ana\r\nBcc: x").is_err());
        assert!(name("n", "   ").is_err());
    }
}
