//! Session dates as a clinic's spreadsheet writes them: ISO `2026-03-14` always, and
//! `14/03/2026` (also with `.` or `-`) in the order the clinic's country writes dates.
//!
//! The order comes from the clinic's time zone, not from a setting of its own: an IANA
//! zone names a country (the tz database's `zone.tab`), the zone is a setting every
//! clinic already keeps right (its reminders and day numbers depend on it), and the
//! countries split cleanly: the United States and its territories and the Philippines
//! write month first, nearly every other country day first, and East Asia writes the
//! year first, which is never ambiguous. Where a country writes both (Canada, Puerto
//! Rico) or the zone names none (UTC), the order is unknown: a date that reads only one
//! way (`14/03/2026`) is taken, one that reads two ways (`03/04/2026`) is refused with
//! the way to write it. A setting would ask every clinic a question that its zone
//! already answers.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::echo;
use crate::service::Error;

/// Which number comes first in a date like `03/04/2026`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// 14/03/2026: most of the world.
    DayFirst,
    /// 03/14/2026: the United States.
    MonthFirst,
    /// Both are in use: only a date that reads one way is taken.
    Unknown,
}

/// Zones (and their old aliases) whose country writes the month first.
const MONTH_FIRST_PREFIXES: &[&str] = &[
    "America/Indiana/",
    "America/Kentucky/",
    "America/North_Dakota/",
    "US/",
];
const MONTH_FIRST: &[&str] = &[
    "America/New_York",
    "America/Detroit",
    "America/Chicago",
    "America/Menominee",
    "America/Denver",
    "America/Boise",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Juneau",
    "America/Sitka",
    "America/Metlakatla",
    "America/Yakutat",
    "America/Nome",
    "America/Adak",
    "America/Fort_Wayne",
    "America/Indianapolis",
    "America/Knox_IN",
    "America/Louisville",
    "America/Shiprock",
    "America/St_Thomas",
    "America/Virgin",
    "Navajo",
    "Pacific/Honolulu",
    "Pacific/Johnston",
    "Pacific/Guam",
    "Pacific/Saipan",
    "Pacific/Pago_Pago",
    "Pacific/Samoa",
    "Pacific/Midway",
    "Asia/Manila",
    "EST5EDT",
    "CST6CDT",
    "MST7MDT",
    "PST8PDT",
];
/// Zones whose country writes dates both ways.
const BOTH_PREFIXES: &[&str] = &["Canada/", "Etc/"];
const BOTH: &[&str] = &[
    "America/St_Johns",
    "America/Halifax",
    "America/Glace_Bay",
    "America/Moncton",
    "America/Goose_Bay",
    "America/Blanc-Sablon",
    "America/Toronto",
    "America/Montreal",
    "America/Nipigon",
    "America/Thunder_Bay",
    "America/Rainy_River",
    "America/Iqaluit",
    "America/Pangnirtung",
    "America/Atikokan",
    "America/Winnipeg",
    "America/Resolute",
    "America/Rankin_Inlet",
    "America/Regina",
    "America/Swift_Current",
    "America/Edmonton",
    "America/Yellowknife",
    "America/Cambridge_Bay",
    "America/Inuvik",
    "America/Creston",
    "America/Dawson_Creek",
    "America/Fort_Nelson",
    "America/Whitehorse",
    "America/Dawson",
    "America/Vancouver",
    "America/Puerto_Rico",
    "UTC",
    "UCT",
    "GMT",
    "Universal",
    "Zulu",
];

impl DateOrder {
    /// The order of the country of the IANA zone `zone` (see the module's notes).
    pub fn of_zone(zone: &str) -> DateOrder {
        let listed = |names: &[&str], prefixes: &[&str]| {
            names.contains(&zone) || prefixes.iter().any(|p| zone.starts_with(p))
        };
        if listed(MONTH_FIRST, MONTH_FIRST_PREFIXES) {
            DateOrder::MonthFirst
        } else if listed(BOTH, BOTH_PREFIXES) {
            DateOrder::Unknown
        } else {
            DateOrder::DayFirst
        }
    }

    /// How to write 14 March 2026, for hints and errors.
    pub fn how_to_write(self) -> &'static str {
        match self {
            DateOrder::DayFirst => "14/03/2026 (day/month/year) or 2026-03-14",
            DateOrder::MonthFirst => "03/14/2026 (month/day/year) or 2026-03-14",
            DateOrder::Unknown => "2026-03-14 (year-month-day)",
        }
    }
}

fn number(part: &str, digits: std::ops::RangeInclusive<usize>) -> Option<u32> {
    (digits.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()))
        .then(|| part.parse().ok())
        .flatten()
}

fn refused(field: &str, value: &str, why: &str, order: DateOrder) -> Error {
    Error::invalid(
        field,
        format!(
            "{} {why}: write dates as {}",
            echo::quoted(value),
            order.how_to_write()
        ),
    )
}

/// One date as written: `yyyy-mm-dd` (or `yyyy/mm/dd`, `yyyy.mm.dd`) always; `dd/mm/yyyy`
/// or `mm/dd/yyyy` (with `/`, `.` or `-`) in `order`. An error names `field` and says
/// how to write the date.
pub fn read(field: &str, value: &str, order: DateOrder) -> Result<NaiveDate, Error> {
    let not_a_date = || refused(field, value, "is not a date", order);
    let separator = value
        .chars()
        .find(|c| matches!(c, '/' | '.' | '-'))
        .ok_or_else(not_a_date)?;
    let parts: Vec<&str> = value.split(separator).collect();
    let [a, b, c] = parts[..] else {
        return Err(not_a_date());
    };
    let impossible = || refused(field, value, "is not a day of the calendar", order);
    if let Some(year) = number(a, 4..=4) {
        let (month, day) = number(b, 1..=2)
            .zip(number(c, 1..=2))
            .ok_or_else(not_a_date)?;
        return NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(impossible);
    }
    let (first, second) = number(a, 1..=2)
        .zip(number(b, 1..=2))
        .ok_or_else(not_a_date)?;
    let year = number(c, 4..=4)
        .ok_or_else(|| refused(field, value, "does not have a four-digit year", order))?
        as i32;
    let day_first = NaiveDate::from_ymd_opt(year, second, first);
    let month_first = NaiveDate::from_ymd_opt(year, first, second);
    match order {
        DateOrder::DayFirst => day_first.ok_or_else(impossible),
        DateOrder::MonthFirst => month_first.ok_or_else(impossible),
        DateOrder::Unknown => match (day_first, month_first) {
            (Some(d), Some(m)) if d != m => Err(refused(
                field,
                value,
                &format!(
                    "could be {} or {}",
                    d.format("%-d %B %Y"),
                    m.format("%-d %B %Y")
                ),
                order,
            )),
            (Some(date), _) | (None, Some(date)) => Ok(date),
            (None, None) => Err(impossible()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_zone_names_the_order() {
        assert_eq!(DateOrder::of_zone("Europe/London"), DateOrder::DayFirst);
        assert_eq!(DateOrder::of_zone("America/Sao_Paulo"), DateOrder::DayFirst);
        assert_eq!(DateOrder::of_zone("America/Chicago"), DateOrder::MonthFirst);
        assert_eq!(
            DateOrder::of_zone("America/Indiana/Knox"),
            DateOrder::MonthFirst
        );
        assert_eq!(DateOrder::of_zone("America/Toronto"), DateOrder::Unknown);
        assert_eq!(DateOrder::of_zone("UTC"), DateOrder::Unknown);
    }

    #[test]
    fn iso_always_and_the_clinics_order_otherwise() {
        for order in [
            DateOrder::DayFirst,
            DateOrder::MonthFirst,
            DateOrder::Unknown,
        ] {
            assert_eq!(read("s", "2026-03-14", order).unwrap(), ymd(2026, 3, 14));
            assert_eq!(read("s", "2026/3/4", order).unwrap(), ymd(2026, 3, 4));
        }
        let uk = DateOrder::DayFirst;
        for written in ["14/03/2026", "14.03.2026", "14-03-2026", "14/3/2026"] {
            assert_eq!(
                read("s", written, uk).unwrap(),
                ymd(2026, 3, 14),
                "{written}"
            );
        }
        assert_eq!(read("s", "03/04/2026", uk).unwrap(), ymd(2026, 4, 3));
        let us = DateOrder::MonthFirst;
        assert_eq!(read("s", "03/14/2026", us).unwrap(), ymd(2026, 3, 14));
        assert_eq!(read("s", "03/04/2026", us).unwrap(), ymd(2026, 3, 4));
        let either = DateOrder::Unknown;
        assert_eq!(read("s", "14/03/2026", either).unwrap(), ymd(2026, 3, 14));
        assert_eq!(read("s", "03/03/2026", either).unwrap(), ymd(2026, 3, 3));
    }

    #[test]
    fn a_wrong_or_ambiguous_date_says_how_to_write_it() {
        let message = |value, order| read("sessions", value, order).unwrap_err().to_string();
        let e = message("03/14/2026", DateOrder::DayFirst);
        assert!(e.contains("not a day of the calendar"), "{e}");
        assert!(
            e.contains("14/03/2026 (day/month/year) or 2026-03-14"),
            "{e}"
        );
        let e = message("14/03/2026", DateOrder::MonthFirst);
        assert!(e.contains("03/14/2026 (month/day/year)"), "{e}");
        let e = message("03/04/2026", DateOrder::Unknown);
        assert!(e.contains("could be 3 April 2026 or 4 March 2026"), "{e}");
        assert!(e.contains("2026-03-14 (year-month-day)"), "{e}");
        for bad in [
            "14/03/26",
            "2026-02-30",
            "14 March",
            "1/2/3/2026",
            "x/03/2026",
        ] {
            assert!(read("s", bad, DateOrder::DayFirst).is_err(), "{bad}");
        }
        let invalid = read("sessions", "31/02/2026", DateOrder::DayFirst).unwrap_err();
        assert!(matches!(invalid, Error::Invalid { ref field, .. } if field == "sessions"));
    }
}
