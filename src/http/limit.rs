//! The one per-address limit: so many attempts per client address and minute, kept in
//! memory per replica. Guessing a 256-bit token is hopeless, but a flood still costs
//! database work and mail. Behind a trusted proxy the address is the forwarded one
//! ([`super::client_ip`]), so clients do not share the proxy's bucket.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use actix_web::http::header::{HeaderName, HeaderValue, RETRY_AFTER};
use actix_web::HttpRequest;
use chrono::{DateTime, Utc};

use super::client_ip;
use crate::service::Services;

/// How long a refused address waits: the window, one minute.
pub const RETRY_AFTER_SECS: u32 = 60;

/// Counts attempts per client address in one-minute windows.
#[derive(Debug, Default)]
pub struct PerAddress {
    windows: Mutex<HashMap<IpAddr, (DateTime<Utc>, u32)>>,
}

/// An attempt over the limit: answered 429 with [`retry_after`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited;

impl PerAddress {
    /// True when `ip` may make another attempt at `now`; counts the attempt.
    pub fn allow(&self, ip: IpAddr, now: DateTime<Utc>, per_minute: u32) -> bool {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now - *start < chrono::Duration::minutes(1));
        }
        let entry = windows.entry(ip).or_insert((now, 0));
        if now - entry.0 >= chrono::Duration::minutes(1) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= per_minute
    }

    /// Counts an attempt from `req`'s client address, at the services' clock.
    pub fn check(&self, req: &HttpRequest, s: &Services, per_minute: u32) -> Result<(), Limited> {
        let ip = client_ip::of(req, &s.settings.server.trusted_proxies);
        if self.allow(ip, s.now(), per_minute) {
            Ok(())
        } else {
            Err(Limited)
        }
    }
}

/// The `Retry-After` header of every 429 (a problem body or a page).
pub fn retry_after() -> (HeaderName, HeaderValue) {
    (RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_address_gets_its_attempts_per_minute_and_then_waits() {
        let limit = PerAddress::default();
        let (a, b) = (
            IpAddr::from([203, 0, 113, 7]),
            IpAddr::from([203, 0, 113, 8]),
        );
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        assert!(limit.allow(a, t0, 2));
        assert!(limit.allow(a, t0, 2));
        assert!(!limit.allow(a, t0, 2), "the third in the minute");
        assert!(limit.allow(b, t0, 2), "another address has its own bucket");
        assert!(limit.allow(a, t0 + chrono::Duration::minutes(1), 2));
    }
}
