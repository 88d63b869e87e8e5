//! The planner: turns each due client's timeline into delivery rows.
//!
//! A client is due when `next_plan_at <= now` (indexed). Planning a batch of clients,
//! in one transaction:
//! 1. claims the batch: the due rows are selected inside the writing transaction
//!    (SQLite: `BEGIN IMMEDIATE` holds the write lock, so no other planner runs until
//!    it commits; PostgreSQL: `FOR UPDATE SKIP LOCKED`, so racing planners, replicas
//!    included, take disjoint batches and a client is planned by exactly one);
//! 2. reads the batch's clients, sessions, push subscriptions and existing rows, one
//!    query each;
//! 3. per client, moves `next_plan_at` on and computes the reminders of every local
//!    date from the last planned one (at most `CATCH_UP_DAYS` back) to the date of the
//!    next reminder, with `domain::reminders`;
//! 4. inserts one row per (local date, channel, target) with conflict-ignore, rewrites
//!    unsent rows whose content changed, and cancels unsent rows no longer wanted;
//!    rows of days already over are recorded `expired`, never sent late;
//! 5. adds today's correction (`plan_changed`, `domain::correction`) for each target
//!    already sent a message whose rules a change has since turned into their opposite,
//!    under the same unique key with `correction` set: one per target and day.
//!
//! A crash leaves the whole batch due, and the next tick plans it again.

use std::collections::HashMap;

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::bundle::ClientBundle;
use crate::db::clients::{self};
use crate::db::deliveries::{self, Delivery, EMAIL_TARGET};
use crate::db::push_subscriptions;
use crate::db::schema::clients as clients_table;
use crate::db::{self, DbConnection, StoreError};
use crate::domain::schedule;
use crate::domain::timeline::{self, DayView};
use crate::domain::DeliveryKind;
use crate::domain::{
    correction, reminders, Channel, DeliveryStatus, PlannedReminder, ReminderKind, RuleId,
};
use crate::links::Links;

const PENDING: DeliveryStatus = DeliveryStatus::Pending;
const RETRY: DeliveryStatus = DeliveryStatus::Retry;
const SENDING: DeliveryStatus = DeliveryStatus::Sending;
const SENT: DeliveryStatus = DeliveryStatus::Sent;
const EXPIRED: DeliveryStatus = DeliveryStatus::Expired;
const CANCELLED: DeliveryStatus = DeliveryStatus::Cancelled;

/// A service down for longer than this has its missed days recorded from here on.
pub const CATCH_UP_DAYS: u64 = 7;

/// Rows are planned this long before their send instant, so the dispatcher sends on
/// time instead of waiting for the next planning tick.
pub const LEAD: Duration = Duration::minutes(30);

/// When a client whose stored data cannot be read is looked at again.
const CORRUPT_RETRY: Duration = Duration::hours(1);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PlanReport {
    pub clients: usize,
    pub inserted: usize,
    pub updated: usize,
    pub cancelled: usize,
    pub expired: usize,
}

impl PlanReport {
    pub fn add(&mut self, other: PlanReport) {
        self.clients += other.clients;
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.cancelled += other.cancelled;
        self.expired += other.expired;
    }
}

/// Plans up to `batch` due clients, in one transaction: one query each for the batch's
/// clients, sessions, push subscriptions and existing rows, then each client's writes.
pub fn plan_due(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    links: &Links,
    batch: i64,
) -> Result<PlanReport, StoreError> {
    db::write_transaction(conn, |conn| {
        let due = clients::claim_due_for_planning(conn, now.naive_utc(), batch)?;
        let mut report = PlanReport::default();
        if due.is_empty() {
            return Ok(report);
        }
        let ids: Vec<&str> = due.iter().map(|(id, _)| id.as_str()).collect();
        let mut subscriptions = push_subscriptions::active_ids_of_clients(conn, &ids)?;
        let from = now.date_naive() - Days::new(CATCH_UP_DAYS + 1);
        let mut existing = deliveries::for_clients_from(conn, &ids, from)?;
        let claimed_at: HashMap<&str, NaiveDateTime> =
            due.iter().map(|(id, at)| (id.as_str(), *at)).collect();
        let mut writes = BatchWrites::default();
        for (client_id, bundle) in load_bundles(conn, &ids)? {
            let planned = bundle.and_then(|bundle| {
                let client = Planning {
                    claimed: claimed_at[client_id.as_str()],
                    subscriptions: subscriptions.remove(&client_id).unwrap_or_default(),
                    existing: existing.remove(&client_id).unwrap_or_default(),
                    bundle,
                };
                plan_client(conn, client, now, links, &mut writes)
            });
            match planned {
                Ok(planned) => report.add(planned),
                // One client's unreadable data must not hold up everyone planned after
                // it: it was logged with the row; look again in an hour (or after a fix).
                // Nothing of it was written (errors come before its writes).
                Err(StoreError::Corrupt(why)) => {
                    tracing::error!(client = %client_id, error = %why, "cannot plan this client; retrying in an hour");
                    report.clients += 1;
                    diesel::update(clients_table::table.find(&client_id))
                        .set(
                            clients_table::next_plan_at.eq(Some((now + CORRUPT_RETRY).naive_utc())),
                        )
                        .execute(conn)?;
                }
                Err(other) => return Err(other),
            }
        }
        writes.write(conn, &mut report)?;
        Ok(report)
    })
}

/// A client id with its bundle, or why that one client could not be read.
type LoadedBundle = (String, Result<ClientBundle, StoreError>);

/// The bundles of `ids` (a client erased meanwhile has none): read for all at once,
/// or, when a row among them is unreadable, one by one so that only that one fails.
fn load_bundles(conn: &mut DbConnection, ids: &[&str]) -> Result<Vec<LoadedBundle>, StoreError> {
    let together =
        clients::find_many(conn, ids).and_then(|found| ClientBundle::load_many(conn, found));
    match together {
        Ok(bundles) => Ok(bundles
            .into_iter()
            .map(|b| (b.client.id.clone(), Ok(b)))
            .collect()),
        Err(StoreError::Corrupt(_)) => {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let bundle = match clients::find(conn, id) {
                    Ok(Some(client)) => ClientBundle::load(conn, client),
                    Ok(None) => continue,
                    Err(e) => Err(e),
                };
                out.push((id.to_string(), bundle));
            }
            Ok(out)
        }
        Err(other) => Err(other),
    }
}

/// One claimed client with what the batch read for it.
struct Planning {
    bundle: ClientBundle,
    /// Its `next_plan_at` when claimed: planning catches up from that date.
    claimed: NaiveDateTime,
    /// Its active push subscriptions, oldest first.
    subscriptions: Vec<String>,
    /// Its rows from before the catch-up window on.
    existing: Vec<Delivery>,
}

/// Plans one client of the batch: its rewrites and cancellations are written at once,
/// its new rows and its next `next_plan_at` are added to `writes`.
fn plan_client(
    conn: &mut DbConnection,
    planning: Planning,
    now: DateTime<Utc>,
    links: &Links,
    writes: &mut BatchWrites,
) -> Result<PlanReport, StoreError> {
    let Planning {
        bundle,
        claimed,
        subscriptions,
        existing,
    } = planning;
    let client_id = bundle.client.id.as_str();
    let prefs = bundle.preferences();
    let tz = prefs.timezone;
    let next = schedule::next_plan_at(now + LEAD, prefs.reminder_time, tz) - LEAD;
    let today = schedule::local_date_at(now, tz);
    let last = schedule::local_date_at(now + LEAD, tz).max(today);
    let earliest = today - Days::new(CATCH_UP_DAYS);
    let first = schedule::local_date_at(claimed.and_utc(), tz).clamp(earliest, today);
    let existing: Vec<Delivery> = existing
        .into_iter()
        .filter(|d| d.local_date >= first)
        .collect();
    let mut desired = desired_rows(&bundle, &subscriptions, first, last, now, links)?;
    desired.extend(correction_rows(&bundle, &existing, today, now, links)?);
    let mut report = PlanReport {
        clients: 1,
        ..PlanReport::default()
    };
    let mut new_rows = Vec::new();
    apply(
        conn,
        desired,
        existing,
        today,
        now,
        &mut report,
        &mut new_rows,
    )?;
    writes.new_rows.extend(new_rows);
    writes
        .next_plan_at
        .push((client_id.to_string(), next.naive_utc()));
    Ok(report)
}

/// What a batch writes together once every client is planned.
#[derive(Default)]
struct BatchWrites {
    new_rows: Vec<Delivery>,
    next_plan_at: Vec<(String, NaiveDateTime)>,
}

impl BatchWrites {
    fn write(self, conn: &mut DbConnection, report: &mut PlanReport) -> Result<(), StoreError> {
        let (expired, pending): (Vec<Delivery>, Vec<Delivery>) = self
            .new_rows
            .into_iter()
            .partition(|row| row.status == EXPIRED);
        report.expired += deliveries::insert_all_if_absent(conn, &expired)?;
        report.inserted += deliveries::insert_all_if_absent(conn, &pending)?;
        clients::set_next_plan_at(conn, &self.next_plan_at)?;
        Ok(())
    }
}

/// The rows the client should have for each local date in `first..=last`.
fn desired_rows(
    bundle: &ClientBundle,
    subscriptions: &[String],
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
    links: &Links,
) -> Result<Vec<Delivery>, StoreError> {
    let prefs = bundle.preferences();
    let plan = bundle.plan()?;
    let mut rows = Vec::new();
    for date in first.iter_days().take_while(|d| *d <= last) {
        let day = timeline::day(&plan, &bundle.protocol, date, &bundle.client.locale);
        for reminder in reminders::due(&bundle.client.id, &day, &prefs, &bundle.protocol) {
            let targets = match reminder.channel {
                Channel::Push => subscriptions.to_vec(),
                Channel::Email => vec![EMAIL_TARGET.to_string()],
            };
            for target in targets {
                rows.push(to_row(bundle, &reminder, &day, target, now, links, false));
            }
        }
    }
    Ok(rows)
}

/// Today's corrections: for each regular message of today already handed to a sender
/// (sent or sending), a `plan_changed` row to the same target when the rules it told
/// now flip (`domain::correction`). Only messages the client may have seen count, so a
/// device registered after the morning gets no correction of a message it never had.
fn correction_rows(
    bundle: &ClientBundle,
    existing: &[Delivery],
    today: NaiveDate,
    now: DateTime<Utc>,
    links: &Links,
) -> Result<Vec<Delivery>, StoreError> {
    let told_today: Vec<&Delivery> = existing
        .iter()
        .filter(|d| !d.correction && d.local_date == today && matches!(d.status, SENT | SENDING))
        .collect();
    if told_today.is_empty() {
        return Ok(Vec::new());
    }
    let prefs = bundle.preferences();
    let plan = bundle.plan()?;
    let day = timeline::day(&plan, &bundle.protocol, today, &bundle.client.locale);
    let mut rows = Vec::new();
    for told in told_today {
        let rules = told_rules(&told.payload);
        let key = &bundle.client.id;
        if let Some(reminder) = correction::correction(
            key,
            &day,
            &prefs,
            &bundle.protocol,
            told.channel,
            &rules,
            now,
        ) {
            rows.push(to_row(
                bundle,
                &reminder,
                &day,
                told.target.clone(),
                now,
                links,
                true,
            ));
        }
    }
    Ok(rows)
}

/// The rule ids a stored message listed (its payload's `rules`); unknown ids and an
/// unreadable payload tell nothing, so they can never cause a correction.
fn told_rules(payload: &str) -> Vec<RuleId> {
    #[derive(serde::Deserialize)]
    struct Told {
        #[serde(default)]
        rules: Vec<String>,
    }
    serde_json::from_str::<Told>(payload)
        .map(|told| told.rules.iter().filter_map(|r| r.parse().ok()).collect())
        .unwrap_or_default()
}

/// What a delivery carries: the push payload the service worker reads (see
/// `notify::push` for each field), kept for every channel (a correction reads the
/// `rules` a message told).
pub fn payload(reminder: &PlannedReminder, day: &DayView, links: &Links) -> String {
    /// Serialised straight to text (a `json!` tree cost a map insert per field).
    #[derive(serde::Serialize)]
    struct Payload<'a> {
        title: &'a str,
        body: &'a str,
        kind: &'a ReminderKind,
        date: &'a NaiveDate,
        day: &'a Option<i64>,
        stage: &'a crate::domain::ids::Stage,
        rules: &'a [RuleId],
        milestones: &'a [ReminderKind],
        url: String,
    }
    let payload = Payload {
        title: &reminder.title,
        body: &reminder.body,
        kind: &reminder.kind,
        date: &reminder.local_date,
        day: &day.day,
        stage: &day.stage,
        rules: &reminder.rules,
        milestones: &reminder.milestones,
        url: links.day(reminder.local_date),
    };
    serde_json::to_string(&payload).expect("a payload of plain values serialises")
}

/// The delivery row of `reminder` (for `day`) to one target.
fn to_row(
    bundle: &ClientBundle,
    reminder: &PlannedReminder,
    day: &DayView,
    target: String,
    now: DateTime<Utc>,
    links: &Links,
    correction: bool,
) -> Delivery {
    let payload = payload(reminder, day, links);
    let status = if reminder.stale_at <= now {
        EXPIRED
    } else {
        PENDING
    };
    Delivery {
        id: uuid::Uuid::now_v7().to_string(),
        client_id: bundle.client.id.clone(),
        local_date: reminder.local_date,
        channel: reminder.channel,
        target,
        kind: DeliveryKind::Reminder(reminder.kind),
        idempotency_key: reminder.idempotency_key.clone(),
        title: reminder.title.clone(),
        body: reminder.body.clone(),
        payload,
        send_at: reminder.send_at.naive_utc(),
        stale_at: reminder.stale_at.naive_utc(),
        status,
        attempts: 0,
        next_attempt_at: reminder.send_at.naive_utc(),
        lease_until: None,
        leased_by: None,
        last_error: (status == EXPIRED).then(|| "the service was not running that day".to_string()),
        sent_at: None,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
        correction,
    }
}

/// Rewrites and cancels the client's rows now; new rows go to `new_rows`, inserted for
/// the whole batch at once.
fn apply(
    conn: &mut DbConnection,
    desired: Vec<Delivery>,
    existing: Vec<Delivery>,
    today: NaiveDate,
    now: DateTime<Utc>,
    report: &mut PlanReport,
    new_rows: &mut Vec<Delivery>,
) -> Result<(), StoreError> {
    let at = now.naive_utc();
    // A correction is keyed apart from the day's regular message: neither is ever
    // rewritten or cancelled as if it were the other.
    let key = |d: &Delivery| (d.local_date, d.channel, d.target.clone(), d.correction);
    let mut by_key: HashMap<_, Delivery> = existing.into_iter().map(|d| (key(&d), d)).collect();
    // A channel that already delivered a day's message gets no new targets that day
    // (a phone registered in the afternoon does not get the morning's message again).
    let delivered: Vec<(NaiveDate, Channel)> = by_key
        .values()
        .filter(|d| !d.correction && !matches!(d.status, PENDING | RETRY | CANCELLED))
        .map(|d| (d.local_date, d.channel))
        .collect();

    for mut row in desired {
        match by_key.remove(&key(&row)) {
            None => {
                if !row.correction && delivered.contains(&(row.local_date, row.channel)) {
                    continue;
                }
                new_rows.push(row);
            }
            Some(old) if matches!(old.status, PENDING | RETRY | CANCELLED) => {
                // A waiting correction is due "now" as of when it was first planned;
                // re-planning must not keep pushing it back.
                if row.correction && old.status != CANCELLED {
                    row.send_at = old.send_at;
                    row.next_attempt_at = old.next_attempt_at;
                }
                let unchanged = old.status != CANCELLED
                    && old.kind == row.kind
                    && old.title == row.title
                    && old.body == row.body
                    && old.payload == row.payload
                    && old.send_at == row.send_at
                    && old.stale_at == row.stale_at;
                if unchanged {
                    continue;
                }
                // Keep the row's identity and history; a revived row starts afresh.
                row.id = old.id;
                row.created_at = old.created_at;
                if old.status == RETRY && old.send_at == row.send_at {
                    row.status = RETRY;
                    row.attempts = old.attempts;
                    row.next_attempt_at = old.next_attempt_at;
                    row.last_error = old.last_error;
                }
                if deliveries::update_unsent(conn, &row)? {
                    report.updated += 1;
                }
            }
            Some(_) => {}
        }
    }
    // What is left is no longer wanted: cancel it unless it is already settled.
    for old in by_key.into_values() {
        let unsent = old.status.is_unsent();
        if unsent && old.local_date >= today {
            deliveries::set_status_if_unsent(
                conn,
                &old.id,
                CANCELLED,
                Some("no longer applies after a change to the plan or preferences"),
                at,
            )?;
            report.cancelled += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
