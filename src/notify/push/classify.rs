//! Mapping what a push service answered (or why it did not) to a [`PushOutcome`], and
//! reading `Retry-After`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use web_push::WebPushError;

use super::{PushOutcome, DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER};

/// How much of a push service's error body is quoted in a reason.
const REASON_BODY_CHARS: usize = 200;

/// The wait a `Retry-After` value asks for (RFC 9110 §10.2.3: delta-seconds or an
/// HTTP-date, read relative to `now`): 60 s when absent or unreadable, at most 1 h, and
/// zero for a date already past.
pub fn parse_retry_after(value: Option<&str>, now: DateTime<Utc>) -> Duration {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return DEFAULT_RETRY_AFTER;
    };
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: a number too large for u64 is still "a very long time".
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Duration::from_secs(secs).min(MAX_RETRY_AFTER);
    }
    match parse_http_date(value) {
        Some(at) => (at - now)
            .to_std()
            // A date in the past: retry now.
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
        None => DEFAULT_RETRY_AFTER,
    }
}

/// An HTTP-date (RFC 9110 §5.6.7): IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), or the
/// obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`) forms. Converting the parsed `SystemTime` reads no clock.
fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    httpdate::parse_http_date(value)
        .ok()
        .map(DateTime::<Utc>::from)
}

/// Maps a push service's answer to an outcome.
pub(super) fn classify_response(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> PushOutcome {
    let reason = || {
        let text = String::from_utf8_lossy(body);
        let quoted = shorten(&text, REASON_BODY_CHARS);
        let name = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        if quoted.is_empty() {
            format!("push service answered {status}{name}")
        } else {
            format!("push service answered {status}{name}: {quoted}")
        }
    };
    match status {
        200..=299 => PushOutcome::Sent { status },
        404 | 410 => PushOutcome::Gone {
            status,
            reason: reason(),
        },
        429 => {
            let after = parse_retry_after(retry_after, now);
            PushOutcome::RetryAfter {
                after,
                reason: format!(
                    "{} (Retry-After: {}; retrying in {})",
                    reason(),
                    retry_after
                        .map(|v| shorten(v, 64))
                        .as_deref()
                        .unwrap_or("none"),
                    describe_duration(after)
                ),
            }
        }
        500..=599 => PushOutcome::Transient {
            status: Some(status),
            reason: reason(),
        },
        // 400, 401, 403, 413 and every other 4xx; also 1xx/3xx, which a push endpoint
        // has no business answering (redirects are not followed).
        _ => PushOutcome::Permanent {
            status: Some(status),
            reason: reason(),
        },
    }
}

pub(super) fn classify_transport_error(e: &reqwest::Error) -> PushOutcome {
    // The guard refused the address a name resolved to: the subscription points inside
    // our network, and each retry would only look it up again.
    if let Some(refused) = super::guard::refusal(e) {
        return PushOutcome::Permanent {
            status: None,
            reason: refused.to_string(),
        };
    }
    let mut reason = if e.is_connect() {
        "cannot connect to the push service".to_string()
    } else if e.is_timeout() {
        "the push service timed out".to_string()
    } else {
        "request to the push service failed".to_string()
    };
    // reqwest's own message plus its causes, which hold the useful part.
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        reason.push_str(": ");
        reason.push_str(&err.to_string());
        source = err.source();
    }
    let reason = shorten(&reason, 400);
    if e.is_builder() {
        PushOutcome::Permanent {
            status: None,
            reason,
        }
    } else {
        PushOutcome::Transient {
            status: None,
            reason,
        }
    }
}

pub(super) fn describe_build_error(e: &WebPushError) -> String {
    match e {
        WebPushError::InvalidCryptoKeys => {
            "the subscription's p256dh/auth keys are invalid (payload cannot be encrypted)".into()
        }
        WebPushError::PayloadTooLarge => "payload too large to encrypt".into(),
        WebPushError::InvalidUri => "invalid push endpoint".into(),
        WebPushError::InvalidTopic => "invalid Topic".into(),
        other => format!("cannot build the push message: {other}"),
    }
}

/// Whitespace collapsed, at most `max` characters (an ellipsis marks a cut).
pub(super) fn shorten(text: &str, max: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(max) {
        None => collapsed,
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
    }
}

pub(super) fn describe_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}
