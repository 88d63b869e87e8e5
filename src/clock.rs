//! The only source of "now" in the service. Everything else receives a `Clock`, so
//! tests and demos drive time instead of waiting for it.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

pub type SharedClock = Arc<dyn Clock>;

/// Real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move: for tests.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<DateTime<Utc>>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        FixedClock(Arc::new(Mutex::new(at)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Starts at a chosen instant and runs `speed` times faster than real time, measured
/// with the monotonic clock so a wall-clock jump cannot move it: for demos.
#[derive(Debug, Clone)]
pub struct AcceleratedClock {
    start: DateTime<Utc>,
    started: Instant,
    speed: f64,
}

impl AcceleratedClock {
    pub fn new(start: DateTime<Utc>, speed: f64) -> Self {
        AcceleratedClock {
            start,
            started: Instant::now(),
            speed,
        }
    }
}

impl Clock for AcceleratedClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = self.started.elapsed().as_secs_f64() * self.speed;
        // Saturate rather than panic if a demo runs absurdly fast for absurdly long.
        let elapsed_ms = (elapsed * 1000.0).min(i64::MAX as f64 / 2.0) as i64;
        self.start + Duration::milliseconds(elapsed_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let clock = FixedClock::new(at);
        assert_eq!(clock.now(), at);
        clock.advance(Duration::hours(25));
        assert_eq!(clock.now(), at + Duration::hours(25));
    }

    #[test]
    fn accelerated_clock_starts_at_its_start() {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let clock = AcceleratedClock::new(at, 3600.0);
        let now = clock.now();
        assert!(now >= at && now < at + Duration::hours(1), "{now}");
    }
}
