//! `jobs status` as a terminal shows it: a verdict first, then the queue, the last
//! day's settlements and errors, and the push subscriptions disabled.

use std::fmt::Write;

use crate::service::queue::{QueueStatus, Verdict};

/// "3m 20s", "2h 5m", "1d 4h": how long something has waited.
pub fn age(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

pub fn render(status: &QueueStatus) -> String {
    let mut out = String::new();
    let at = status.at.to_rfc3339();
    let _ = writeln!(out, "queue at {at} ({} database)", status.database);
    let _ = match status.verdict {
        Verdict::Ok if status.oldest_due_age_secs == 0 => {
            writeln!(out, "ok: nothing due is waiting")
        }
        Verdict::Ok => writeln!(
            out,
            "ok: the oldest due delivery has waited {}",
            age(status.oldest_due_age_secs)
        ),
        Verdict::Late => writeln!(
            out,
            "LATE: the oldest due delivery has waited {} (over 15 minutes): is a worker running?",
            age(status.oldest_due_age_secs)
        ),
    };
    if !status.push_configured {
        let _ = writeln!(
            out,
            "push: not configured (set push.vapid_subject); push deliveries wait"
        );
    }

    let _ = writeln!(out, "\nnot yet settled:");
    if status.queue.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for row in &status.queue {
        let when = match (row.oldest_due_age_secs, row.next_due_at) {
            (Some(waited), _) => format!("oldest due {} ago", age(waited)),
            (None, Some(next)) => format!("next due at {}", next.to_rfc3339()),
            (None, None) => String::new(),
        };
        let (state, channel) = (row.status.as_str(), row.channel.as_str());
        let _ = writeln!(out, "  {state:<9} {channel:<6} {:>7}  {when}", row.count);
    }

    let since = status.since.to_rfc3339();
    let _ = writeln!(out, "\nsettled since {since}:");
    if status.settled.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for row in &status.settled {
        let (state, channel) = (row.status.as_str(), row.channel.as_str());
        let _ = writeln!(out, "  {state:<9} {channel:<6} {:>7}", row.count);
    }

    let _ = writeln!(out, "\nerrors since {since}, by reason:");
    if status.errors.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for group in &status.errors {
        let (state, channel) = (group.status.as_str(), group.channel.as_str());
        let _ = writeln!(
            out,
            "  {state:<9} {channel:<6} {:>7}  {}",
            group.count, group.reason
        );
    }

    let disabled = &status.disabled_subscriptions;
    let _ = writeln!(
        out,
        "\npush subscriptions disabled since {since}: {}",
        disabled.len()
    );
    for sub in disabled {
        let at = sub.disabled_at.map(|t| t.to_rfc3339()).unwrap_or_default();
        let reason = sub.reason.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "  {} (client {}) at {at}: {reason}",
            sub.id, sub.client_id
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_at_a_glance() {
        assert_eq!(age(0), "0s");
        assert_eq!(age(200), "3m 20s");
        assert_eq!(age(7_500), "2h 5m");
        assert_eq!(age(100_800), "1d 4h");
        assert_eq!(age(-5), "0s");
    }
}
