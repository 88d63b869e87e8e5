//! Which reminders a client gets on a local day, and when they are sent.
//!
//! Decisions (domain.md leaves these open):
//! - At most one message per channel per local day. If the daily aftercare message goes
//!   out it carries the day's milestones; otherwise the milestones go out as one message
//!   whose kind is the first milestone (in `ReminderKind` order) and whose body holds
//!   every milestone's text. The body is plain text: the daily intro with one "- rule"
//!   line per listed rule, then a paragraph per milestone, separated by blank lines.
//! - The daily aftercare message goes out when, after the SPF preference, at least one
//!   active rule has `reminds_daily` in the protocol. A permission such as
//!   `gentle_washing_ok` is announced once by its milestone and then only listed in
//!   messages that go out anyway, so "you may wash gently" never keeps a client's phone
//!   buzzing after healing.
//! - SPF preference: `daily` lists `daily_spf` every day it is active; `off` never lists
//!   it; `weekly` lists it on the first day it is active in the current session and every
//!   7th day after (days 11, 18, 25, ... by default), so the rhythm restarts with every
//!   session exactly as the rule does. The timeline still shows the rule every day: the
//!   preference is about reminders, not about the clinic's advice.
//! - Muting `daily_aftercare` drops the daily message (and the rules it lists); muted
//!   milestone kinds are left out; milestones still go out on their own if the daily
//!   message is muted.
//! - Both channels carry the same content; the idempotency key is
//!   `{client_key}:{local date}:{kind}:{channel}`.
//! - The message is due at the preferred local time on that date and stale from the
//!   first instant of the next local date (`schedule::end_of_local_day`).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::ids::{Channel, ReminderKind, RuleId, SpfFrequency};
use crate::domain::protocol::Protocol;
use crate::domain::schedule::{end_of_local_day, local_instant};
use crate::domain::text::fill;
use crate::domain::timeline::DayView;

/// Which channels a client wants reminders on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Channels {
    pub push: bool,
    pub email: bool,
}

impl Default for Channels {
    fn default() -> Self {
        Channels {
            push: true,
            email: true,
        }
    }
}

impl Channels {
    /// The enabled channels, push first.
    pub fn enabled(self) -> Vec<Channel> {
        let mut out = Vec::new();
        if self.push {
            out.push(Channel::Push);
        }
        if self.email {
            out.push(Channel::Email);
        }
        out
    }
}

/// A client's reminder preferences. Missing fields take their defaults: push and email,
/// daily SPF, nothing muted, 08:00, UTC, English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Preferences {
    pub channels: Channels,
    pub spf_reminders: SpfFrequency,
    pub muted: Vec<ReminderKind>,
    pub reminder_time: NaiveTime,
    pub timezone: Tz,
    pub locale: String,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            channels: Channels::default(),
            spf_reminders: SpfFrequency::Daily,
            muted: Vec::new(),
            reminder_time: NaiveTime::from_hms_opt(8, 0, 0).expect("08:00 is a valid time"),
            timezone: Tz::UTC,
            locale: "en".to_string(),
        }
    }
}

/// One message to deliver on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedReminder {
    /// `{client_key}:{local_date}:{kind}:{channel}`.
    pub idempotency_key: String,
    pub kind: ReminderKind,
    pub channel: Channel,
    pub local_date: NaiveDate,
    pub title: String,
    pub body: String,
    pub send_at: DateTime<Utc>,
    /// The first instant of the next local day; the message must not go out from then.
    pub stale_at: DateTime<Utc>,
    /// Milestones this message announces.
    pub milestones: Vec<ReminderKind>,
    /// Rules this message lists.
    pub rules: Vec<RuleId>,
}

/// The reminders due on `day` (a local date in `prefs.timezone`), at most one per
/// enabled channel. See the module documentation for every rule applied.
pub fn due(
    client_key: &str,
    day: &DayView,
    prefs: &Preferences,
    protocol: &Protocol,
) -> Vec<PlannedReminder> {
    let Some(content) = content(day, prefs, protocol) else {
        return Vec::new();
    };
    let send_at = local_instant(day.date, prefs.reminder_time, prefs.timezone);
    let stale_at = end_of_local_day(day.date, prefs.timezone);
    prefs
        .channels
        .enabled()
        .into_iter()
        .map(|channel| PlannedReminder {
            idempotency_key: format!("{client_key}:{}:{}:{channel}", day.date, content.kind),
            kind: content.kind,
            channel,
            local_date: day.date,
            title: content.title.clone(),
            body: content.body.clone(),
            send_at,
            stale_at,
            milestones: content.milestones.clone(),
            rules: content.rules.clone(),
        })
        .collect()
}

/// The one message of the day, the same on every channel.
struct Content {
    kind: ReminderKind,
    title: String,
    body: String,
    milestones: Vec<ReminderKind>,
    rules: Vec<RuleId>,
}

fn content(day: &DayView, prefs: &Preferences, protocol: &Protocol) -> Option<Content> {
    let muted = |kind: ReminderKind| prefs.muted.contains(&kind);
    let milestones: Vec<ReminderKind> = day
        .milestones
        .iter()
        .map(|m| m.id)
        .filter(|&kind| !muted(kind))
        .collect();
    let rules = listed_rules(day, prefs, protocol);
    let send_daily = rules.iter().any(|&rule| protocol.rule(rule).reminds_daily);
    let kind = if send_daily {
        ReminderKind::DailyAftercare
    } else {
        *milestones.first()?
    };
    let rules = if send_daily { rules } else { Vec::new() };

    let locale = prefs.locale.as_str();
    let values = day.placeholder_values(protocol);
    let text = |s: &str| fill(s, &values);
    // The daily part (intro and one line per rule), then one paragraph per milestone.
    let mut paragraphs = Vec::new();
    if send_daily {
        let mut daily = vec![text(protocol.reminder_text(kind, locale))];
        daily.extend(
            rules
                .iter()
                .map(|&rule| format!("- {}", text(protocol.rule_text(rule, locale)))),
        );
        paragraphs.push(daily.join("\n"));
    }
    paragraphs.extend(
        milestones
            .iter()
            .map(|&m| text(protocol.reminder_text(m, locale))),
    );
    Some(Content {
        kind,
        title: text(protocol.reminder_title(kind, locale)),
        body: paragraphs.join("\n\n"),
        milestones,
        rules,
    })
}

/// The rules a message on `day` lists for this client: the day's rules after the SPF
/// preference, none if the daily message is muted.
pub(crate) fn listed_rules(day: &DayView, prefs: &Preferences, protocol: &Protocol) -> Vec<RuleId> {
    if prefs.muted.contains(&ReminderKind::DailyAftercare) {
        return Vec::new();
    }
    day.rules
        .iter()
        .map(|r| r.id)
        .filter(|&rule| rule != RuleId::DailySpf || spf_today(day, prefs, protocol))
        .collect()
}

/// Whether today's message lists `daily_spf` under the client's SPF preference.
fn spf_today(day: &DayView, prefs: &Preferences, protocol: &Protocol) -> bool {
    match prefs.spf_reminders {
        SpfFrequency::Daily => true,
        SpfFrequency::Off => false,
        SpfFrequency::Weekly => {
            let first_spf_day = protocol.rule(RuleId::DailySpf).range.from;
            day.day
                .is_some_and(|d| d >= first_spf_day && (d - first_spf_day) % 7 == 0)
        }
    }
}
