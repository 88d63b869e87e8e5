//! The one exception to "one message a day": a correction when a same-day change by
//! the clinic turns a rule the client was told today into its opposite.
//!
//! Decisions:
//! - Four topics can flip: washing (`no_washing` vs `gentle_washing_ok`), sun
//!   (`avoid_sun` vs `daily_spf`), sweating (`no_heavy_sweating` present vs absent) and
//!   swimming (`no_swimming` or `no_pools_saunas_heavy_exercise` present vs absent).
//!   Anything else (texts, milestones, other rules) waits for tomorrow's message.
//! - A message that listed no rules (milestones only, daily message muted) told the
//!   client nothing to contradict; a day that now lists no rules has nothing to
//!   correct to. Neither gets a correction.
//! - "Now" is what today's message would list now (same SPF preference and muting), so
//!   the comparison is between like and like.
//! - No correction from 21:00 local (`CUTOFF`): a late-evening buzz about the day that
//!   is nearly over helps nobody. The correction is also stale from 21:00, so one that
//!   could not go out before then is recorded expired rather than sent late.
//! - Muting `plan_changed` turns corrections off; a disabled channel gets none.
//! - The idempotency key is `{client_key}:{local date}:plan_changed:{channel}`; at most
//!   one correction per channel and target per day is the database's promise.

use chrono::{DateTime, NaiveTime, Utc};

use crate::domain::ids::{Channel, ReminderKind, RuleId};
use crate::domain::protocol::Protocol;
use crate::domain::reminders::{listed_rules, PlannedReminder, Preferences};
use crate::domain::schedule::local_instant;
use crate::domain::text::fill;
use crate::domain::timeline::DayView;

/// From this local time on no correction is sent.
pub const CUTOFF: NaiveTime = match NaiveTime::from_hms_opt(21, 0, 0) {
    Some(time) => time,
    None => panic!("21:00 is a valid time"),
};

/// Whether going from the rules `told` this morning to the rules listed `now` turns a
/// washing, sun, sweating or swimming rule into its opposite.
pub fn flipped(told: &[RuleId], now: &[RuleId]) -> bool {
    if told.is_empty() || now.is_empty() {
        return false;
    }
    let opposite = |a: RuleId, b: RuleId| {
        (told.contains(&a) && now.contains(&b)) || (told.contains(&b) && now.contains(&a))
    };
    let either = |rules: &[RuleId], a: RuleId, b: RuleId| rules.contains(&a) || rules.contains(&b);
    let swimming = |rules: &[RuleId]| {
        either(
            rules,
            RuleId::NoSwimming,
            RuleId::NoPoolsSaunasHeavyExercise,
        )
    };
    let sweating = |rules: &[RuleId]| rules.contains(&RuleId::NoHeavySweating);
    opposite(RuleId::NoWashing, RuleId::GentleWashingOk)
        || opposite(RuleId::AvoidSun, RuleId::DailySpf)
        || sweating(told) != sweating(now)
        || swimming(told) != swimming(now)
}

/// The correction due on `channel` at `now` (on `day`, the client's local today) for a
/// message that told the rules `told`, or None when nothing flipped, it is 21:00 or
/// later, or the client does not want one on that channel.
pub fn correction(
    client_key: &str,
    day: &DayView,
    prefs: &Preferences,
    protocol: &Protocol,
    channel: Channel,
    told: &[RuleId],
    now: DateTime<Utc>,
) -> Option<PlannedReminder> {
    let kind = ReminderKind::PlanChanged;
    if prefs.muted.contains(&kind) || !prefs.channels.enabled().contains(&channel) {
        return None;
    }
    let cutoff = local_instant(day.date, CUTOFF, prefs.timezone);
    if now >= cutoff {
        return None;
    }
    let rules = listed_rules(day, prefs, protocol);
    if !flipped(told, &rules) {
        return None;
    }
    let locale = prefs.locale.as_str();
    let values = day.placeholder_values(protocol);
    let text = |s: &str| fill(s, &values);
    let mut lines = vec![text(protocol.reminder_text(kind, locale))];
    lines.extend(
        rules
            .iter()
            .map(|&rule| format!("- {}", text(protocol.rule_text(rule, locale)))),
    );
    Some(PlannedReminder {
        idempotency_key: format!("{client_key}:{}:{kind}:{channel}", day.date),
        kind,
        channel,
        local_date: day.date,
        title: text(protocol.reminder_title(kind, locale)),
        body: lines.join("\n"),
        send_at: now,
        stale_at: cutoff,
        milestones: Vec::new(),
        rules,
    })
}
