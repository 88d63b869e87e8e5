//! `[console]`: the clinic console's sign-in links and sessions.

use chrono::Duration;
use serde::Deserialize;

/// `[console]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// How long an emailed sign-in link works.
    pub sign_in_link_minutes: u32,
    /// How long the link in a new staff member's invitation works.
    pub staff_invitation_hours: u32,
    /// A session unused this long ends (the next request goes to sign-in).
    pub session_idle_minutes: u32,
    /// A session ends this long after sign-in, however busy.
    pub session_max_days: u32,
    /// Sign-in attempts (link requests and link uses) per source address per minute.
    pub sign_ins_per_minute: u32,
}

impl ConsoleSettings {
    pub fn link_lifetime(&self) -> Duration {
        Duration::minutes(i64::from(self.sign_in_link_minutes))
    }

    pub fn invitation_lifetime(&self) -> Duration {
        Duration::hours(i64::from(self.staff_invitation_hours))
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::minutes(i64::from(self.session_idle_minutes))
    }

    pub fn max_session(&self) -> Duration {
        Duration::days(i64::from(self.session_max_days))
    }

    pub fn validate(&self) -> Result<(), String> {
        let check = |key: &str, value: u32, range: std::ops::RangeInclusive<u32>| {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(format!(
                    "console.{key}: must be between {} and {}",
                    range.start(),
                    range.end()
                ))
            }
        };
        check("sign_in_link_minutes", self.sign_in_link_minutes, 1..=60)?;
        check(
            "staff_invitation_hours",
            self.staff_invitation_hours,
            1..=24 * 14,
        )?;
        check(
            "session_idle_minutes",
            self.session_idle_minutes,
            5..=60 * 24 * 7,
        )?;
        check("session_max_days", self.session_max_days, 1..=365)?;
        check("sign_ins_per_minute", self.sign_ins_per_minute, 1..=1000)?;
        if self.idle_timeout() > self.max_session() {
            return Err(
                "console.session_idle_minutes: must not exceed console.session_max_days".into(),
            );
        }
        Ok(())
    }
}
