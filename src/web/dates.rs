//! Dates and times as people read them: in words, in the clinic's time zone, the year
//! only when it is not this year ("Mon 7 Dec, 20:33"; "Tue 30 Dec 2025, 09:05"). Every
//! page that shows staff a moment uses these, so the wording lives in one place and a
//! later change to the reader's language swaps these functions alone.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::domain::Zone;

/// A calendar date in words: "Mon 7 Dec", or "Mon 7 Dec 2025" when `today` is in
/// another year.
pub fn human_date(date: NaiveDate, today: NaiveDate) -> String {
    if date.year() == today.year() {
        date.format("%a %-d %b").to_string()
    } else {
        date.format("%a %-d %b %Y").to_string()
    }
}

/// An instant in words, in `zone`: "Mon 7 Dec, 20:33", with the year when it is not
/// the year of `now` there.
pub fn human_time(at: DateTime<Utc>, zone: Zone, now: DateTime<Utc>) -> String {
    let local = at.with_timezone(&zone.tz());
    let today = now.with_timezone(&zone.tz()).date_naive();
    format!(
        "{}, {}",
        human_date(local.date_naive(), today),
        local.format("%H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn zone(name: &str) -> Zone {
        Zone(name.parse().unwrap())
    }

    #[test]
    fn this_year_reads_without_the_year() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 20, 33, 15).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0).unwrap();
        assert_eq!(human_time(at, zone("UTC"), now), "Mon 7 Dec, 20:33");
    }

    #[test]
    fn the_clinics_zone_decides_the_day_and_the_year() {
        // 23:30 UTC on New Year's Eve is already 2027 in Berlin.
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2027, 1, 2, 9, 0, 0).unwrap();
        assert_eq!(
            human_time(at, zone("Europe/Berlin"), now),
            "Fri 1 Jan, 00:30"
        );
        assert_eq!(human_time(at, zone("UTC"), now), "Thu 31 Dec 2026, 23:30");
    }

    #[test]
    fn dates_name_their_year_only_when_it_differs() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 14).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 3, 16).unwrap();
        assert_eq!(human_date(date, today), "Mon 16 Mar");
        let date = NaiveDate::from_ymd_opt(2025, 3, 14).unwrap();
        assert_eq!(human_date(date, today), "Fri 14 Mar 2025");
    }
}
