//! `smp-aftercare preview`: the timeline and the reminders of a made-up client, one line
//! (or one JSON object) per day, so a clinic can check its protocol and anyone can check
//! our rules: with what is normal that day (each symptom's check-in level) and the photo
//! the protocol asks for. Pure: the CLI parses arguments and prints what [`render`]
//! returns.

use std::collections::BTreeMap;

use std::path::PathBuf;

use chrono::{DateTime, Days, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;
use clap::Args;
use serde::Serialize;

use crate::domain::check_in::{self, PhotoRequest};
use crate::domain::ids::{CheckInLevel, PhotoRequestKind, Symptom};
use crate::domain::reminders::{self, Preferences};
use crate::domain::timeline::{self, DayView, Plan, PlanError, Session};
use crate::domain::{Channel, PlannedReminder, Protocol, ReminderKind, Stage};

/// The arguments of `smp-aftercare preview`.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// Session dates, comma-separated (YYYY-MM-DD), in any order.
    #[arg(long, value_delimiter = ',', required = true, value_name = "DATES")]
    pub sessions: Vec<chrono::NaiveDate>,
    /// Planned number of sessions (default: the protocol's, normally 3).
    #[arg(long)]
    pub planned: Option<u32>,
    /// First date shown (default: the day before the first session).
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// How many days to show.
    #[arg(long, default_value_t = 40)]
    pub days: u32,
    /// The client's IANA time zone, for the reminders' UTC send instants.
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    pub tz: String,
    /// A protocol override file (TOML), applied on top of config/protocol.toml.
    #[arg(long, value_name = "FILE")]
    pub protocol: Option<PathBuf>,
    /// Language of the texts (falls back to English).
    #[arg(long, default_value = "en")]
    pub locale: String,
    /// Print JSON (the API's identifiers) instead of one line per day.
    #[arg(long)]
    pub json: bool,
}

/// The client key in the idempotency keys of previewed reminders.
pub const PREVIEW_CLIENT_KEY: &str = "preview";
/// Longest preview: ten years of days.
pub const MAX_PREVIEW_DAYS: u32 = 3660;

/// What to preview. Reminders use the default preferences (push and email, daily SPF,
/// 08:00) in `tz` and `locale`.
#[derive(Debug, Clone)]
pub struct PreviewRequest {
    /// Session dates, in any order.
    pub sessions: Vec<NaiveDate>,
    pub planned: u32,
    /// First date shown.
    pub from: NaiveDate,
    /// Number of dates shown.
    pub days: u32,
    pub tz: Tz,
    pub protocol: Protocol,
    pub json: bool,
    pub locale: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("--days must be between 1 and {MAX_PREVIEW_DAYS}, not {0}")]
    Days(u32),
    #[error("cannot write the preview as JSON: {0}")]
    Json(String),
}

/// One day of the JSON output: the timeline's fields plus that day's reminders, each
/// symptom's check-in level (empty before the first session) and the photo request.
#[derive(Debug, Serialize)]
struct PreviewDay<'a> {
    #[serde(flatten)]
    day: &'a DayView,
    reminders: &'a [PlannedReminder],
    check_in: &'a BTreeMap<CheckInLevel, Vec<Symptom>>,
    photo_request: Option<PhotoCard<'a>>,
}

/// A photo request as the preview shows it.
#[derive(Debug, Serialize)]
struct PhotoCard<'a> {
    kind: PhotoRequestKind,
    title: &'a str,
    text: &'a str,
}

/// What the check-in section says about one day of the preview.
struct CheckInDay {
    levels: BTreeMap<CheckInLevel, Vec<Symptom>>,
    photo: Option<PhotoRequest>,
}

fn check_in_day(plan: &Plan, request: &PreviewRequest, day: &DayView) -> CheckInDay {
    let protocol = &request.protocol;
    CheckInDay {
        levels: day.day.map_or_else(BTreeMap::new, |n| {
            protocol.check_in().levels_on(n, day.is_final_session)
        }),
        photo: check_in::photo_request_on(plan, protocol, day.date, &request.locale),
    }
}

/// `smp-aftercare preview`: parses the arguments, renders, prints.
pub fn command(args: &PreviewArgs) -> Result<(), super::Failure> {
    use super::Failure;
    use crate::domain::ProtocolOverrides;
    let tz: Tz = args
        .tz
        .parse()
        .map_err(|_| Failure::config(format!("--tz {:?} is not an IANA time zone", args.tz)))?;
    let mut protocol = Protocol::default_protocol().clone();
    if let Some(path) = &args.protocol {
        let fail = |e: &dyn std::fmt::Display| {
            Failure::config(format!("--protocol {}: {e}", path.display()))
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(&e))?;
        let overrides = ProtocolOverrides::from_toml_str(&text).map_err(|e| fail(&e))?;
        protocol = protocol.with_overrides(&overrides).map_err(|e| fail(&e))?;
    }
    let first = args.sessions.iter().min().copied();
    let from = args
        .from
        .or_else(|| first.and_then(|d| d.pred_opt()))
        .ok_or_else(|| Failure::config("--from is required"))?;
    let request = PreviewRequest {
        sessions: args.sessions.clone(),
        planned: args.planned.unwrap_or_else(|| protocol.planned_sessions()),
        from,
        days: args.days,
        tz,
        protocol,
        json: args.json,
        locale: args.locale.clone(),
    };
    let output = render(&request).map_err(Failure::config)?;
    print!("{output}");
    Ok(())
}

/// The preview as text (one line per day) or as a JSON array, ending in a newline.
pub fn render(request: &PreviewRequest) -> Result<String, PreviewError> {
    if !(1..=MAX_PREVIEW_DAYS).contains(&request.days) {
        return Err(PreviewError::Days(request.days));
    }
    let sessions = request.sessions.iter().copied().map(Session::on).collect();
    let plan = Plan::new(request.planned, sessions)?;
    let prefs = Preferences {
        timezone: request.tz,
        locale: request.locale.clone(),
        ..Preferences::default()
    };
    let last = request.from + Days::new(u64::from(request.days - 1));
    let days = timeline::range(
        &plan,
        &request.protocol,
        request.from,
        last,
        &request.locale,
    );
    let reminders: Vec<Vec<PlannedReminder>> = days
        .iter()
        .map(|day| reminders::due(PREVIEW_CLIENT_KEY, day, &prefs, &request.protocol))
        .collect();
    let check_ins: Vec<CheckInDay> = days
        .iter()
        .map(|day| check_in_day(&plan, request, day))
        .collect();

    if request.json {
        let out: Vec<PreviewDay> = days
            .iter()
            .zip(&reminders)
            .zip(&check_ins)
            .map(|((day, reminders), check_in)| PreviewDay {
                day,
                reminders,
                check_in: &check_in.levels,
                photo_request: check_in.photo.as_ref().map(|p| PhotoCard {
                    kind: p.kind,
                    title: &p.title,
                    text: &p.text,
                }),
            })
            .collect();
        let text =
            serde_json::to_string_pretty(&out).map_err(|e| PreviewError::Json(e.to_string()))?;
        return Ok(text + "\n");
    }
    let mut text = String::new();
    for ((day, reminders), check_in) in days.iter().zip(&reminders).zip(&check_ins) {
        text.push_str(&line(day, reminders, check_in));
        text.push('\n');
    }
    Ok(text)
}

/// `2026-03-15  session 2/3 day 3  fresh  rules: ...  window: ...  photo: ...
/// check-in: expected ...; watch ...; urgent ...  reminders: ...`
fn line(day: &DayView, reminders: &[PlannedReminder], check_in: &CheckInDay) -> String {
    let mut parts = vec![day.date.to_string()];
    match (day.session_number, day.day) {
        (Some(number), Some(n)) => {
            let last = if day.is_final_session { " (final)" } else { "" };
            parts.push(format!(
                "session {number}/{}{last} day {n}",
                day.total_sessions
            ));
        }
        _ => parts.push(match day.days_until_first_session {
            Some(1) => "first session in 1 day".to_string(),
            Some(n) => format!("first session in {n} days"),
            None => "no session booked".to_string(),
        }),
    }
    parts.push(day.stage.to_string());
    if !day.rules.is_empty() {
        let ids: Vec<&str> = day.rules.iter().map(|r| r.id.as_str()).collect();
        parts.push(format!("rules: {}", ids.join(" ")));
    }
    if !day.milestones.is_empty() {
        let ids: Vec<&str> = day.milestones.iter().map(|m| m.id.as_str()).collect();
        parts.push(format!("milestones: {}", ids.join(" ")));
    }
    if let Some(window) = day.next_session_window {
        let overdue = if window.overdue { " overdue" } else { "" };
        parts.push(format!("window: {}..{}{overdue}", window.from, window.to));
    }
    if let Some(photo) = &check_in.photo {
        parts.push(format!("photo: {}", photo.kind));
    }
    if !check_in.levels.is_empty() {
        let levels: Vec<String> = check_in
            .levels
            .iter()
            .map(|(level, symptoms)| {
                let ids: Vec<&str> = symptoms.iter().map(|s| s.as_str()).collect();
                format!("{level} {}", ids.join(" "))
            })
            .collect();
        parts.push(format!("check-in: {}", levels.join("; ")));
    }
    if day.stage != Stage::PreTreatment || !reminders.is_empty() {
        parts.push(format!("reminders: {}", reminder_summary(reminders)));
    }
    parts.join("  ")
}

/// `daily_aftercare push+email 2026-03-15T08:00:00Z`, one group per kind and instant.
fn reminder_summary(reminders: &[PlannedReminder]) -> String {
    let mut groups: Vec<(ReminderKind, DateTime<Utc>, Vec<Channel>)> = Vec::new();
    for reminder in reminders {
        match groups
            .iter_mut()
            .find(|(kind, at, _)| *kind == reminder.kind && *at == reminder.send_at)
        {
            Some((_, _, channels)) => channels.push(reminder.channel),
            None => groups.push((reminder.kind, reminder.send_at, vec![reminder.channel])),
        }
    }
    if groups.is_empty() {
        return "none".to_string();
    }
    let described: Vec<String> = groups
        .iter()
        .map(|(kind, at, channels)| {
            let channels: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
            format!(
                "{kind} {} {}",
                channels.join("+"),
                at.to_rfc3339_opts(SecondsFormat::Secs, true)
            )
        })
        .collect();
    described.join(", ")
}

#[cfg(test)]
mod tests;
