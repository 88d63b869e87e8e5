//! Reading SQLite's stored dates and timestamps fast, for the rows every page reads
//! (`#[diesel(deserialize_as = ...)]` on the fields of clients, sessions, deliveries).
//!
//! SQLite stores them as text, and diesel's reader tries `NaiveDateTime::parse_from_str`
//! with up to 18 strftime formats for every value (a date with `%F`): chrono parses the
//! format string itself again on each call. That was 11% of the CPU of a page of the
//! client list and 5% of `GET /v1/me/today`. What this service writes is always the
//! form diesel writes (`%F %T%.f`, a date `%F`), so that form is read here by position,
//! and anything else goes to diesel's own reader, which stays the authority on what is
//! valid. PostgreSQL sends binary values and keeps diesel's reader.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::Pg;
use diesel::sql_types::{Date, Nullable, Timestamp};
use diesel::sqlite::{Sqlite, SqliteType};

use super::{MultiBackend, MultiRawValue};

/// A `Timestamp` column, read into a `NaiveDateTime` field.
#[derive(Debug, FromSqlRow)]
pub struct StoredTimestamp(NaiveDateTime);

/// A nullable `Timestamp` column, read into an `Option<NaiveDateTime>` field.
#[derive(Debug, FromSqlRow)]
pub struct StoredOptionalTimestamp(Option<NaiveDateTime>);

/// A `Date` column, read into a `NaiveDate` field.
#[derive(Debug, FromSqlRow)]
pub struct StoredDate(NaiveDate);

impl From<StoredTimestamp> for NaiveDateTime {
    fn from(stored: StoredTimestamp) -> NaiveDateTime {
        stored.0
    }
}

impl From<StoredOptionalTimestamp> for Option<NaiveDateTime> {
    fn from(stored: StoredOptionalTimestamp) -> Option<NaiveDateTime> {
        stored.0
    }
}

impl From<StoredDate> for NaiveDate {
    fn from(stored: StoredDate) -> NaiveDate {
        stored.0
    }
}

/// `YYYY-MM-DD` at the start of `text`.
fn date_prefix(text: &[u8]) -> Option<NaiveDate> {
    if text.len() < 10 || text[4] != b'-' || text[7] != b'-' {
        return None;
    }
    let year = digits(&text[0..4])?;
    let month = digits(&text[5..7])?;
    let day = digits(&text[8..10])?;
    NaiveDate::from_ymd_opt(year as i32, month, day)
}

/// `YYYY-MM-DD`, exactly.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.as_bytes();
    (text.len() == 10).then(|| date_prefix(text)).flatten()
}

/// `YYYY-MM-DD HH:MM:SS` with an optional fraction of 1 to 9 digits, exactly.
fn parse_timestamp(text: &str) -> Option<NaiveDateTime> {
    let text = text.as_bytes();
    if text.len() < 19 || text[10] != b' ' || text[13] != b':' || text[16] != b':' {
        return None;
    }
    let date = date_prefix(text)?;
    let (hour, minute, second) = (
        digits(&text[11..13])?,
        digits(&text[14..16])?,
        digits(&text[17..19])?,
    );
    let nanos = match &text[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(date.and_time(time))
}

/// The value of ASCII digits (at most 9, so it fits).
fn digits(text: &[u8]) -> Option<u32> {
    text.iter().try_fold(0u32, |value, &b| {
        b.is_ascii_digit().then(|| value * 10 + u32::from(b - b'0'))
    })
}

impl FromSql<Timestamp, Sqlite> for StoredTimestamp {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if value.value_type() == Some(SqliteType::Text) {
            if let Some(at) = parse_timestamp(value.read_text()) {
                return Ok(StoredTimestamp(at));
            }
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(StoredTimestamp)
    }
}

impl FromSql<Timestamp, Pg> for StoredTimestamp {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(StoredTimestamp)
    }
}

impl FromSql<Nullable<Timestamp>, Sqlite> for StoredOptionalTimestamp {
    fn from_sql(value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let StoredTimestamp(at) = FromSql::<Timestamp, Sqlite>::from_sql(value)?;
        Ok(StoredOptionalTimestamp(Some(at)))
    }

    fn from_nullable_sql(
        value: Option<diesel::sqlite::SqliteValue<'_, '_, '_>>,
    ) -> deserialize::Result<Self> {
        match value {
            Some(value) => FromSql::<Nullable<Timestamp>, Sqlite>::from_sql(value),
            None => Ok(StoredOptionalTimestamp(None)),
        }
    }
}

impl FromSql<Nullable<Timestamp>, Pg> for StoredOptionalTimestamp {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value)
            .map(|at| StoredOptionalTimestamp(Some(at)))
    }

    fn from_nullable_sql(value: Option<diesel::pg::PgValue<'_>>) -> deserialize::Result<Self> {
        match value {
            Some(value) => FromSql::<Nullable<Timestamp>, Pg>::from_sql(value),
            None => Ok(StoredOptionalTimestamp(None)),
        }
    }
}

impl FromSql<Date, Sqlite> for StoredDate {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if value.value_type() == Some(SqliteType::Text) {
            if let Some(date) = parse_date(value.read_text()) {
                return Ok(StoredDate(date));
            }
        }
        <NaiveDate as FromSql<Date, Sqlite>>::from_sql(value).map(StoredDate)
    }
}

impl FromSql<Date, Pg> for StoredDate {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDate as FromSql<Date, Pg>>::from_sql(value).map(StoredDate)
    }
}

// Through the multi-connection, each backend's reader above.
impl FromSql<Timestamp, MultiBackend> for StoredTimestamp {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

impl FromSql<Nullable<Timestamp>, MultiBackend> for StoredOptionalTimestamp {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Nullable<Timestamp>>()
    }

    fn from_nullable_sql(value: Option<MultiRawValue<'_>>) -> deserialize::Result<Self> {
        match value {
            Some(value) => value.from_sql::<Self, Nullable<Timestamp>>(),
            None => Ok(StoredOptionalTimestamp(None)),
        }
    }
}

impl FromSql<Date, MultiBackend> for StoredDate {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Date>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap()
    }

    #[test]
    fn reads_what_diesel_writes() {
        for text in [
            "2026-12-03 14:05:09",
            "2026-12-03 14:05:09.5",
            "2026-12-03 14:05:09.123",
            "2026-12-03 14:05:09.123456",
            "2026-12-03 14:05:09.123456789",
            "0001-01-01 00:00:00",
            "2028-02-29 23:59:59.999999",
        ] {
            assert_eq!(parse_timestamp(text), Some(at(text)), "{text}");
        }
        // diesel's own encoding round-trips.
        let written = at("2026-12-03 14:05:09.000123")
            .format("%F %T%.f")
            .to_string();
        assert_eq!(
            parse_timestamp(&written),
            Some(at("2026-12-03 14:05:09.000123"))
        );
        assert_eq!(
            parse_date("2026-12-03"),
            NaiveDate::from_ymd_opt(2026, 12, 3)
        );
    }

    #[test]
    fn leaves_every_other_form_to_diesel() {
        for text in [
            "2026-12-03T14:05:09",
            "2026-12-03 14:05",
            "2026-12-03 14:05:09Z",
            "2026-12-03 14:05:09+01:00",
            "2026-12-03 14:05:09.",
            "2026-12-03 14:05:09.1234567890",
            "2026-13-03 14:05:09",
            "2026-02-30 14:05:09",
            "2026-12-03 24:00:00",
            "2026-12-03 14:05:0x",
            "+2026-12-03 14:05:09",
            "2460647.5",
            "",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
        for text in [
            "2026-12-3",
            "2026-12-03 ",
            "20261203",
            "2026-1x-03",
            "2026-02-30",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }
}
