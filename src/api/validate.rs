//! Checks on request values that serde cannot express; each error names its field.

use chrono::{Datelike, NaiveDate, NaiveTime};
use chrono_tz::Tz;

use crate::domain::ReminderKind;
use crate::error::ApiError;

/// Sessions more than this far from today are typing mistakes, not plans.
pub const MAX_SESSION_DISTANCE_DAYS: i64 = 2 * 366;

pub fn timezone(field: &str, value: &str) -> Result<Tz, ApiError> {
    value.trim().parse::<Tz>().map_err(|_| {
        ApiError::invalid(
            field,
            format!("{value:?} is not an IANA time zone (for example \"Europe/London\")"),
        )
    })
}

/// "HH:MM", 24-hour clock.
pub fn reminder_time(field: &str, value: &str) -> Result<NaiveTime, ApiError> {
    let bad = || {
        ApiError::invalid(
            field,
            format!("{value:?} is not a time of day as \"HH:MM\" (00:00-23:59)"),
        )
    };
    let (h, m) = value.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad)
}

pub fn format_time(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

/// A trimmed, lower-cased email address.
pub fn email(field: &str, value: &str) -> Result<String, ApiError> {
    let normalized = value.trim().to_lowercase();
    if crate::cli::looks_like_email(&normalized) {
        Ok(normalized)
    } else {
        Err(ApiError::invalid(
            field,
            format!("{value:?} is not an email address"),
        ))
    }
}

pub fn name(field: &str, value: &str) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > 200 || trimmed.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            "must be at most 200 printable characters",
        ));
    }
    Ok(trimmed.to_string())
}

/// A BCP 47-ish language tag such as "en" or "en-GB".
pub fn locale(field: &str, value: &str) -> Result<String, ApiError> {
    let ok = !value.is_empty()
        && value.len() <= 35
        && value
            .split(['-', '_'])
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(value.to_string())
    } else {
        Err(ApiError::invalid(
            field,
            format!("{value:?} is not a language tag such as \"en\" or \"en-GB\""),
        ))
    }
}

pub fn planned_sessions(field: &str, value: u32) -> Result<u32, ApiError> {
    if (1..=10).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::invalid(field, "must be between 1 and 10"))
    }
}

/// A session date within two years of the client's today.
pub fn session_date(field: &str, date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    let distance = (date - today).num_days().abs();
    if distance > MAX_SESSION_DISTANCE_DAYS {
        return Err(ApiError::invalid(
            field,
            format!("{date} is more than two years from today ({today}); check the year"),
        ));
    }
    // Guard chrono's extreme years from reaching the database.
    if !(1900..=9999).contains(&date.year()) {
        return Err(ApiError::invalid(field, "year out of range"));
    }
    Ok(date)
}

pub fn muted(field: &str, values: &[String]) -> Result<Vec<ReminderKind>, ApiError> {
    let mut kinds = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let kind = value.parse::<ReminderKind>().map_err(|_| {
            ApiError::invalid(
                format!("{field}[{i}]"),
                format!(
                    "{value:?} is not a reminder kind ({})",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminder_times() {
        assert_eq!(
            reminder_time("t", "08:00").unwrap(),
            NaiveTime::from_hms_opt(8, 0, 0).unwrap()
        );
        assert_eq!(
            reminder_time("t", "23:59").unwrap(),
            NaiveTime::from_hms_opt(23, 59, 0).unwrap()
        );
        for bad in ["25:00", "8:00", "08:60", "0800", "", "ab:cd", "24:00"] {
            assert!(reminder_time("t", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zones_and_dates() {
        assert!(timezone("tz", "Pacific/Chatham").is_ok());
        assert!(timezone("tz", "Mars/Olympus").is_err());
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert!(session_date("d", NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(), today).is_ok());
        assert!(session_date("d", NaiveDate::from_ymd_opt(2030, 3, 1).unwrap(), today).is_err());
        assert!(session_date("d", NaiveDate::from_ymd_opt(2020, 3, 1).unwrap(), today).is_err());
    }
}
