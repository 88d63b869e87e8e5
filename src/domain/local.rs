//! A client's time zone and preferred reminder time as values that can only hold a
//! valid zone or time of day: parsed once where they enter (request, database row).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::{Serialize, Serializer};

use super::echo;

/// An IANA time zone, such as `Europe/London`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(pub Tz);

impl Zone {
    pub fn tz(self) -> Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone(Tz::UTC)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Zone {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse::<Tz>().map(Zone).map_err(|_| {
            format!(
                "{} is not an IANA time zone (for example \"Europe/London\")",
                echo::quoted(s)
            )
        })
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A time of day to the minute, written "HH:MM" (24-hour clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReminderTime(pub NaiveTime);

impl ReminderTime {
    pub fn time(self) -> NaiveTime {
        self.0
    }
}

impl Default for ReminderTime {
    /// domain.md: reminders go out at 08:00 unless the client chooses otherwise.
    fn default() -> Self {
        ReminderTime(NaiveTime::from_hms_opt(8, 0, 0).expect("08:00 is a valid time"))
    }
}

impl fmt::Display for ReminderTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

impl FromStr for ReminderTime {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "{} is not a time of day as \"HH:MM\" (00:00-23:59)",
                echo::quoted(value)
            )
        };
        let (h, m) = value.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u32 = h.parse().map_err(|_| bad())?;
        let m: u32 = m.parse().map_err(|_| bad())?;
        NaiveTime::from_hms_opt(h, m, 0)
            .map(ReminderTime)
            .ok_or_else(bad)
    }
}

impl Serialize for ReminderTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminder_times_parse_strictly() {
        assert_eq!(
            "08:00".parse::<ReminderTime>().unwrap(),
            ReminderTime::default()
        );
        assert_eq!(
            "23:59".parse::<ReminderTime>().unwrap().to_string(),
            "23:59"
        );
        for bad in ["25:00", "8:00", "08:60", "0800", "", "ab:cd", "24:00"] {
            assert!(bad.parse::<ReminderTime>().is_err(), "{bad}");
        }
    }

    #[test]
    fn zones_parse_strictly() {
        assert_eq!(
            "Pacific/Chatham".parse::<Zone>().unwrap().name(),
            "Pacific/Chatham"
        );
        assert!("Mars/Olympus".parse::<Zone>().is_err());
    }
}
