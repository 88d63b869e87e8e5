//! Delivery repository: the reminder messages the planner creates and the dispatcher
//! claims, sends and settles.
//!
//! Status flow: `pending` -> `sending` (claimed under a lease) -> `sent` | `retry`
//! (back to claimable at `next_attempt_at`) | `failed` (permanent) | `dead` (attempts
//! exhausted); `pending`/`retry` -> `expired` once the local day is over;
//! `pending`/`retry` -> `cancelled` when a re-plan no longer wants the message.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

mod history;

pub use history::{history_page, HistoryFilter};

use super::schema::deliveries;
use super::stored_time::{StoredDate, StoredOptionalTimestamp, StoredTimestamp};
use super::DbConnection;
use crate::domain::{Channel, DeliveryKind, DeliveryStatus};

const SENDING: DeliveryStatus = DeliveryStatus::Sending;
const EXPIRED: DeliveryStatus = DeliveryStatus::Expired;
const CANCELLED: DeliveryStatus = DeliveryStatus::Cancelled;

/// The `target` of email reminders (push deliveries name their subscription).
pub const EMAIL_TARGET: &str = "email";

/// The `kind` of invitation emails; their `target` is `invitation:{token id}`.
pub const INVITATION_KIND: DeliveryKind = DeliveryKind::Invitation;

/// The target of the email of invitation `token_id`.
pub fn invitation_target(token_id: &str) -> String {
    format!("invitation:{token_id}")
}

#[derive(
    Debug, Clone, PartialEq, Queryable, QueryableByName, Selectable, Insertable, AsChangeset,
)]
#[diesel(table_name = deliveries, treat_none_as_null = true)]
pub struct Delivery {
    pub id: String,
    pub client_id: String,
    #[diesel(deserialize_as = StoredDate)]
    pub local_date: NaiveDate,
    pub channel: Channel,
    pub target: String,
    pub kind: DeliveryKind,
    pub idempotency_key: String,
    pub title: String,
    pub body: String,
    /// The push payload JSON (also the email's day facts).
    pub payload: String,
    #[diesel(deserialize_as = StoredTimestamp)]
    pub send_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTimestamp)]
    pub stale_at: NaiveDateTime,
    pub status: DeliveryStatus,
    pub attempts: i32,
    #[diesel(deserialize_as = StoredTimestamp)]
    pub next_attempt_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredOptionalTimestamp)]
    pub lease_until: Option<NaiveDateTime>,
    pub leased_by: Option<String>,
    pub last_error: Option<String>,
    #[diesel(deserialize_as = StoredOptionalTimestamp)]
    pub sent_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = StoredTimestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTimestamp)]
    pub updated_at: NaiveDateTime,
    /// A same-day correction (kind `plan_changed`), not the day's regular message: the
    /// unique key allows one of each per (client, local date, channel, target).
    pub correction: bool,
}

/// Inserts the row unless one with the same (client, local date, channel, target,
/// correction) exists. Returns whether it was inserted. Races between planners end
/// here: the unique key lets exactly one insert win, on both backends.
pub fn insert_if_absent(conn: &mut DbConnection, row: &Delivery) -> QueryResult<bool> {
    let inserted = match conn {
        DbConnection::Postgresql(pg) => diesel::insert_into(deliveries::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(pg)?,
        DbConnection::Sqlite(lite) => diesel::insert_or_ignore_into(deliveries::table)
            .values(row)
            .execute(lite)?,
    };
    Ok(inserted == 1)
}

/// [`insert_if_absent`] for many rows, a few hundred per statement. Returns how many
/// were inserted.
pub fn insert_all_if_absent(conn: &mut DbConnection, rows: &[Delivery]) -> QueryResult<usize> {
    // 22 columns a row: 400 rows stay far below both backends' bind-parameter limits.
    let mut inserted = 0;
    for chunk in rows.chunks(400) {
        inserted += match &mut *conn {
            DbConnection::Postgresql(pg) => diesel::insert_into(deliveries::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(pg)?,
            DbConnection::Sqlite(lite) => diesel::insert_or_ignore_into(deliveries::table)
                .values(chunk)
                .execute(lite)?,
        };
    }
    Ok(inserted)
}

/// The client's reminder rows from `from` on, regular messages and corrections
/// (invitations are not the planner's).
pub fn for_client_from(
    conn: &mut DbConnection,
    client_id: &str,
    from: NaiveDate,
) -> QueryResult<Vec<Delivery>> {
    deliveries::table
        .filter(deliveries::client_id.eq(client_id))
        .filter(deliveries::local_date.ge(from))
        .filter(deliveries::kind.ne(INVITATION_KIND))
        .select(Delivery::as_select())
        .load(conn)
}

/// [`for_client_from`] for many clients in one query, by client.
pub fn for_clients_from(
    conn: &mut DbConnection,
    client_ids: &[&str],
    from: NaiveDate,
) -> QueryResult<HashMap<String, Vec<Delivery>>> {
    let rows: Vec<Delivery> = deliveries::table
        .filter(deliveries::client_id.eq_any(client_ids))
        .filter(deliveries::local_date.ge(from))
        .filter(deliveries::kind.ne(INVITATION_KIND))
        .select(Delivery::as_select())
        .load(conn)?;
    let mut by_client: HashMap<String, Vec<Delivery>> = HashMap::new();
    for row in rows {
        by_client
            .entry(row.client_id.clone())
            .or_default()
            .push(row);
    }
    Ok(by_client)
}

/// Rewrites a row that has not been sent yet (content, times, status).
pub fn update_unsent(conn: &mut DbConnection, row: &Delivery) -> QueryResult<bool> {
    let updated = diesel::update(deliveries::table.filter(deliveries::id.eq(&row.id)).filter(
        deliveries::status.eq_any([DeliveryStatus::UNSENT.as_slice(), &[CANCELLED]].concat()),
    ))
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn set_status_if_unsent(
    conn: &mut DbConnection,
    id: &str,
    status: DeliveryStatus,
    reason: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        deliveries::table
            .filter(deliveries::id.eq(id))
            .filter(deliveries::status.eq_any(DeliveryStatus::UNSENT)),
    )
    .set((
        deliveries::status.eq(status),
        deliveries::last_error.eq(reason),
        deliveries::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Marks every unsent row whose local day is over as expired: a "do not wash today"
/// is never sent late. Includes rows whose sender crashed (lease expired). Returns the
/// kind and channel of each row expired (for the metrics).
pub fn expire_stale(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<(DeliveryKind, Channel)>> {
    let stale = deliveries::table
        .filter(deliveries::stale_at.le(now))
        .filter(
            deliveries::status
                .eq_any(DeliveryStatus::UNSENT)
                .or(deliveries::status
                    .eq(SENDING)
                    .and(deliveries::lease_until.le(now))),
        );
    let expire = diesel::update(stale).set((
        deliveries::status.eq(EXPIRED),
        deliveries::lease_until.eq(None::<NaiveDateTime>),
        deliveries::leased_by.eq(None::<String>),
        deliveries::updated_at.eq(now),
    ));
    let returned = (deliveries::kind, deliveries::channel);
    match conn {
        DbConnection::Postgresql(pg) => expire.returning(returned).get_results(pg),
        DbConnection::Sqlite(lite) => expire.returning(returned).get_results(lite),
    }
}

/// Claims up to `limit` due rows for `worker` until `lease_until`: pending or retry
/// rows whose time has come, and rows whose previous sender's lease ran out (it
/// crashed or hung). PostgreSQL skips rows other workers hold (`SKIP LOCKED`);
/// SQLite serializes writers, so its guarded UPDATE is atomic by itself.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    worker: &str,
    lease_until: NaiveDateTime,
    limit: i32,
) -> QueryResult<Vec<Delivery>> {
    let mut claimed = match conn {
        // The statistics PostgreSQL plans with say how many rows are pending as of
        // the last ANALYZE, and a morning's rows arrive between two: planned for the
        // few it expects, the claim read every pending row and sorted them (a bitmap
        // scan) for each batch, 60-90 ms a batch with 50,000 due. Read in index
        // order, a batch costs its own rows whatever the backlog and whatever the
        // statistics say; this turns the other plans off for the claim alone.
        DbConnection::Postgresql(_) => conn.transaction(|conn| {
            conn.batch_execute(
                "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off",
            )?;
            claim_arms(conn, now, worker, lease_until, limit)
        })?,
        DbConnection::Sqlite(_) => claim_arms(conn, now, worker, lease_until, limit)?,
    };
    claimed.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
    Ok(claimed)
}

/// The claim of [`claim_due`], one statement per status.
fn claim_arms(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    worker: &str,
    lease_until: NaiveDateTime,
    limit: i32,
) -> QueryResult<Vec<Delivery>> {
    // One claim per status, each read in order from `deliveries_due (status,
    // next_attempt_at)`, costs its batch whatever the backlog. One claim over
    // `status IN (...) OR ...` ordered by time cannot be read from that index in order:
    // both databases sorted the whole backlog for every batch, so a morning with every
    // client due at once slowed down as N grew. Expired leases and retries (few, and
    // waiting longest) go first; the batch is filled with pending rows.
    const ARMS: [&str; 3] = [
        "status = 'sending' AND lease_until <= $1",
        "status = 'retry' AND next_attempt_at <= $1",
        "status = 'pending' AND next_attempt_at <= $1",
    ];
    // The update finds the picked rows by id alone, on both backends. SQLite runs the
    // whole statement under its one write lock, so the rows picked are the rows
    // updated; given the guard again, its planner read the outer rows from an index on
    // status instead (every pending row, for each batch: at 1,000,000 due, 90% of the
    // dispatch's CPU). PostgreSQL's pick locks each row it returns after checking the
    // row's newest version against `due` again, and no one else can change a row we
    // hold, so a guard on the outer rows would add nothing; kept beside the InitPlan
    // below, it let the planner read the outer rows from the status index instead
    // (every pending row, 63 ms a batch at 50,000 due).
    //
    // On PostgreSQL the pick is an InitPlan, `id = ANY(ARRAY(...))`, run once. As a
    // semi-join (`id IN (SELECT ...)`) the planner is free to put the pick on the inner
    // side of a nested loop and run it again for every outer row. It did so whenever
    // the statistics said there were no pending rows: the table's last ANALYZE saw
    // only sent rows, and ANALYZE of an emptied table keeps the old statistics. A
    // morning's first claim then locked its batch again for each of 50,000 rows
    // (2.7 s in `EXPLAIN ANALYZE`, once 841 s for a bench's morning) and returned
    // more rows than its limit: all 1,000 rows due at one instant for a limit of 10.
    let postgres = matches!(conn, DbConnection::Postgresql(_));
    let mut claimed = Vec::new();
    for arm in ARMS {
        let room = limit - claimed.len() as i32;
        if room <= 0 {
            break;
        }
        let pick = format!(
            "SELECT id FROM deliveries WHERE {arm} AND stale_at > $1 ORDER BY next_attempt_at LIMIT $4"
        );
        let picked = if postgres {
            format!("id = ANY(ARRAY({pick} FOR UPDATE SKIP LOCKED))")
        } else {
            format!("id IN ({pick})")
        };
        let sql = format!(
            "UPDATE deliveries SET status = 'sending', lease_until = $2, leased_by = $3, \
             attempts = attempts + 1, updated_at = $1 WHERE {picked} RETURNING *"
        );
        // SQLite numbers `$N` parameters by first appearance; `?N` is its explicit index.
        let sql = if postgres { sql } else { sql.replace('$', "?") };
        let rows: Vec<Delivery> = diesel::sql_query(sql)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Text, _>(worker)
            .bind::<Integer, _>(room)
            .load(conn)?;
        claimed.extend(rows);
    }
    Ok(claimed)
}

/// How a send ended, as stored.
#[derive(Debug, Clone)]
pub struct Settlement {
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    /// Give the attempt back (429: the push service asked us to wait; not our failure).
    pub refund_attempt: bool,
}

/// Records the outcome of a claimed row, only if `worker` still holds it: a worker
/// whose lease ran out must not overwrite the row another worker took over.
pub fn settle(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    settlement: &Settlement,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = deliveries::table
        .filter(deliveries::id.eq(id))
        .filter(deliveries::status.eq(SENDING))
        .filter(deliveries::leased_by.eq(worker));
    let refund = i32::from(settlement.refund_attempt);
    let updated = diesel::update(target)
        .set((
            deliveries::status.eq(settlement.status),
            deliveries::lease_until.eq(None::<NaiveDateTime>),
            deliveries::leased_by.eq(None::<String>),
            deliveries::last_error.eq(settlement.last_error.as_deref()),
            deliveries::sent_at.eq(settlement.sent_at),
            deliveries::attempts.eq(deliveries::attempts - refund),
            deliveries::next_attempt_at.eq(settlement.next_attempt_at.unwrap_or(now)),
            deliveries::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// [`settle`] for rows that were all sent at `sent_at` (nothing else to record), in one
/// statement. Returns the ids stored: those `worker` still held.
pub fn settle_sent(
    conn: &mut DbConnection,
    ids: &[&str],
    worker: &str,
    sent_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let target = deliveries::table
        .filter(deliveries::id.eq_any(ids))
        .filter(deliveries::status.eq(SENDING))
        .filter(deliveries::leased_by.eq(worker));
    let update = diesel::update(target)
        .set((
            deliveries::status.eq(DeliveryStatus::Sent),
            deliveries::lease_until.eq(None::<NaiveDateTime>),
            deliveries::leased_by.eq(None::<String>),
            deliveries::last_error.eq(None::<String>),
            deliveries::sent_at.eq(sent_at),
            deliveries::next_attempt_at.eq(now),
            deliveries::updated_at.eq(now),
        ))
        .returning(deliveries::id);
    match conn {
        DbConnection::Postgresql(pg) => update.get_results(pg),
        DbConnection::Sqlite(lite) => update.get_results(lite),
    }
}

/// Cancels unsent rows for a push subscription the push service reported gone.
pub fn cancel_for_target(
    conn: &mut DbConnection,
    target: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        deliveries::table
            .filter(deliveries::target.eq(target))
            .filter(deliveries::status.eq_any(DeliveryStatus::UNSENT)),
    )
    .set((
        deliveries::status.eq(CANCELLED),
        deliveries::last_error.eq(reason),
        deliveries::updated_at.eq(now),
    ))
    .execute(conn)
}

/// Cancels a client's unsent email rows (the client unsubscribed from email).
pub fn cancel_unsent_email(
    conn: &mut DbConnection,
    client_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        deliveries::table
            .filter(deliveries::client_id.eq(client_id))
            .filter(deliveries::channel.eq(Channel::Email))
            .filter(deliveries::kind.ne(INVITATION_KIND))
            .filter(deliveries::status.eq_any(DeliveryStatus::UNSENT)),
    )
    .set((
        deliveries::status.eq(CANCELLED),
        deliveries::last_error.eq(reason),
        deliveries::updated_at.eq(now),
    ))
    .execute(conn)
}

/// Cancels the unsent email of earlier invitations (a new link replaces them).
pub fn cancel_unsent_invitations(
    conn: &mut DbConnection,
    client_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        deliveries::table
            .filter(deliveries::client_id.eq(client_id))
            .filter(deliveries::kind.eq(INVITATION_KIND))
            .filter(deliveries::status.eq_any(DeliveryStatus::UNSENT)),
    )
    .set((
        deliveries::status.eq(CANCELLED),
        deliveries::last_error.eq(reason),
        deliveries::updated_at.eq(now),
    ))
    .execute(conn)
}

/// Replaces a row's payload (an invitation's link is dropped once its email is
/// settled: the token is a capability and only its hash is kept).
pub fn replace_payload(conn: &mut DbConnection, id: &str, payload: &str) -> QueryResult<()> {
    diesel::update(deliveries::table.find(id))
        .set(deliveries::payload.eq(payload))
        .execute(conn)
        .map(|_| ())
}

/// Deletes settled rows older than `before` (the daily prune).
pub fn prune(conn: &mut DbConnection, before: NaiveDate) -> QueryResult<usize> {
    diesel::delete(
        deliveries::table
            .filter(deliveries::local_date.lt(before))
            .filter(deliveries::status.ne_all(DeliveryStatus::UNSETTLED)),
    )
    .execute(conn)
}
