//! Client repository: plain functions on a connection. Every query that a clinic
//! drives is scoped by `clinic_id`, so one clinic can never reach another's clients.
//!
//! Writes are targeted: each use case updates only the columns it owns, so two
//! requests that touch different things (a preferences change and a one-click
//! unsubscribe, an invitation accept and a planner claim) never undo each other.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::columns::MutedKinds;
use super::schema::{clients, clinics, sessions};
use super::stored_time::{StoredDate, StoredOptionalTimestamp, StoredTimestamp};
use super::{read_error, DbConnection, StoreError};
use crate::domain::{InvitationStatus, ReminderKind, ReminderTime, SpfFrequency, Zone};

mod idempotency;
mod invitation_rows;
mod session_rows;

pub use idempotency::{find_stored_response, store_response, StoredResponse};
pub use invitation_rows::{
    accept_invitation, arm_invitation, record_invitation_outcome, set_invitation,
};
pub use session_rows::{
    delete_session, insert_session, save_session, sessions_of, sessions_of_many, sessions_of_page,
};

/// A client row, its preferences typed.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = clients)]
pub struct Client {
    pub id: String,
    pub clinic_id: String,
    pub email: String,
    pub name: String,
    pub timezone: Zone,
    pub locale: String,
    pub planned_sessions: i32,
    pub reminder_time: ReminderTime,
    pub push_enabled: bool,
    pub email_enabled: bool,
    pub spf_reminders: SpfFrequency,
    pub muted: MutedKinds,
    pub invitation_status: InvitationStatus,
    pub invitation_error: Option<String>,
    pub invitation_token_id: Option<String>,
    pub invitation_token_hash: Option<String>,
    #[diesel(deserialize_as = StoredOptionalTimestamp)]
    pub invitation_expires_at: Option<NaiveDateTime>,
    pub access_token_id: Option<String>,
    pub access_token_hash: Option<String>,
    #[diesel(deserialize_as = StoredTimestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTimestamp)]
    pub updated_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredOptionalTimestamp)]
    pub next_plan_at: Option<NaiveDateTime>,
}

/// A new client: defaults for everything the client chooses later.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = clients)]
pub struct NewClient {
    pub id: String,
    pub clinic_id: String,
    pub email: String,
    pub name: String,
    pub timezone: Zone,
    pub locale: String,
    pub planned_sessions: i32,
    pub reminder_time: String,
    pub push_enabled: bool,
    pub email_enabled: bool,
    pub spf_reminders: SpfFrequency,
    pub muted: String,
    pub invitation_status: InvitationStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub next_plan_at: Option<NaiveDateTime>,
}

/// A treatment session row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable, AsChangeset)]
#[diesel(table_name = sessions, treat_none_as_null = true)]
pub struct SessionRow {
    pub id: String,
    pub client_id: String,
    #[diesel(deserialize_as = StoredDate)]
    pub date: NaiveDate,
    pub marked_final: bool,
    pub notes: Option<String>,
    #[diesel(deserialize_as = StoredTimestamp)]
    pub created_at: NaiveDateTime,
}

/// What the clinic may change about a client (None: unchanged).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = clients)]
pub struct ProfileChange {
    pub email: Option<String>,
    pub name: Option<String>,
    pub timezone: Option<Zone>,
    pub locale: Option<String>,
    pub planned_sessions: Option<i32>,
}

/// What the client may change about their reminders (None: unchanged).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = clients)]
pub struct PreferencesChange {
    pub timezone: Option<Zone>,
    /// "HH:MM".
    pub reminder_time: Option<String>,
    pub push_enabled: Option<bool>,
    pub email_enabled: Option<bool>,
    pub spf_reminders: Option<SpfFrequency>,
    pub locale: Option<String>,
    /// A JSON array of reminder kind ids.
    pub muted: Option<String>,
}

impl PreferencesChange {
    pub fn muted_kinds(mut self, kinds: Option<&[ReminderKind]>) -> Self {
        self.muted = kinds.map(MutedKinds::to_json);
        self
    }
}

pub fn insert(conn: &mut DbConnection, client: &NewClient) -> QueryResult<()> {
    diesel::insert_into(clients::table)
        .values(client)
        .execute(conn)
        .map(|_| ())
}

fn one(
    conn: &mut DbConnection,
    what: &str,
    query: clients::BoxedQuery<'_, super::MultiBackend>,
) -> Result<Option<Client>, StoreError> {
    query
        .select(Client::as_select())
        .first(conn)
        .optional()
        .map_err(|e| read_error("client", what, e))
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Client>, StoreError> {
    one(
        conn,
        id,
        clients::table.filter(clients::id.eq(id)).into_boxed(),
    )
}

/// The clients with these ids, in one query (an id without one is left out). An
/// unreadable row fails the whole read as `Corrupt`; read one by one to find it.
pub fn find_many(conn: &mut DbConnection, ids: &[&str]) -> Result<Vec<Client>, StoreError> {
    super::on_backend!(conn, |c| clients::table
        .filter(clients::id.eq_any(ids))
        .select(Client::as_select())
        .load(c))
    .map_err(|e| match e {
        diesel::result::Error::DeserializationError(why) => {
            StoreError::Corrupt(format!("a client among {} read together: {why}", ids.len()))
        }
        other => StoreError::Query(other),
    })
}

/// The clients due for planning at `now` (id, `next_plan_at`), earliest first, at most
/// `limit`, for a writing transaction. PostgreSQL locks them until it ends and skips
/// those another planner holds, so racing planners take disjoint batches; SQLite's
/// writing transaction holds the database's write lock, so no other planner runs.
pub fn claim_due_for_planning(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    let due = clients::table
        .filter(clients::next_plan_at.le(now))
        .order(clients::next_plan_at.asc())
        .limit(limit)
        .select((clients::id, clients::next_plan_at.assume_not_null()));
    match conn {
        DbConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg),
        DbConnection::Sqlite(lite) => due.load(lite),
    }
}

/// Locks the client's row until the transaction ends, so two changes to its sessions
/// that each check a limit (at most 20 sessions, one per date) run one after the
/// other. On SQLite the writing transaction (`BEGIN IMMEDIATE`) already serialises
/// every writer.
pub fn lock(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    if let DbConnection::Postgresql(pg) = conn {
        clients::table
            .find(id)
            .select(clients::id)
            .for_update()
            .load::<String>(pg)?;
    }
    Ok(())
}

pub fn find_for_clinic(
    conn: &mut DbConnection,
    clinic_id: &str,
    id: &str,
) -> Result<Option<Client>, StoreError> {
    let query = clients::table
        .filter(clients::id.eq(id))
        .filter(clients::clinic_id.eq(clinic_id))
        .into_boxed();
    one(conn, id, query)
}

pub fn email_taken(
    conn: &mut DbConnection,
    clinic_id: &str,
    email: &str,
    except_id: Option<&str>,
) -> QueryResult<bool> {
    let found: Option<String> = clients::table
        .filter(clients::clinic_id.eq(clinic_id))
        .filter(clients::email.eq(email))
        .select(clients::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some_and(|id| Some(id.as_str()) != except_id))
}

pub fn find_by_invitation_id(
    conn: &mut DbConnection,
    token_id: &str,
) -> Result<Option<Client>, StoreError> {
    let query = clients::table
        .filter(clients::invitation_token_id.eq(token_id))
        .into_boxed();
    one(conn, &format!("with invitation {token_id}"), query)
}

/// The client of an access token.
pub fn find_by_access_id(
    conn: &mut DbConnection,
    token_id: &str,
) -> Result<Option<Client>, StoreError> {
    super::on_backend!(conn, |c| clients::table
        .filter(clients::access_token_id.eq(token_id))
        .select(Client::as_select())
        .first(c)
        .optional())
    .map_err(|e| read_error("client", &format!("with access token {token_id}"), e))
}

/// What a client's days need of their row: the zone, the language and the plan's size,
/// with the access token's hash to check ([`find_day_by_access_id`]).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clients)]
pub struct DayClient {
    pub id: String,
    pub clinic_id: String,
    pub timezone: Zone,
    pub locale: String,
    pub planned_sessions: i32,
    pub access_token_hash: Option<String>,
}

/// What a plan needs of a session: its date and whether the clinic marked it final.
#[derive(Debug, Clone, Copy, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionDate {
    #[diesel(deserialize_as = StoredDate)]
    pub date: NaiveDate,
    pub marked_final: bool,
}

/// The client of an access token with their clinic's `protocol_version` and their
/// sessions in date order, in one statement (one row per session, or one without):
/// what every client's phone asks for first thing, `GET /v1/me/today`. One statement
/// reads one snapshot without a transaction, where a read of the client and then of
/// the sessions needed `BEGIN` and `COMMIT` around them on SQLite (7% of its CPU) and
/// a second round trip on PostgreSQL. Only the columns a day needs: the join repeats
/// the client's columns on every session's row, and decoding the whole client row
/// (with its four timestamps) and every session's columns for each was a third of the
/// statement's cost.
pub fn find_day_by_access_id(
    conn: &mut DbConnection,
    token_id: &str,
) -> Result<Option<DayClientWithSessions>, StoreError> {
    let rows: Vec<(DayClient, Option<String>, Option<SessionDate>)> =
        super::on_backend!(conn, |c| clients::table
            .inner_join(clinics::table)
            .left_join(sessions::table)
            .filter(clients::access_token_id.eq(token_id))
            .order(sessions::date.asc())
            .select((
                DayClient::as_select(),
                clinics::protocol_version,
                Option::<SessionDate>::as_select(),
            ))
            .load(c))
        .map_err(|e| read_error("client", &format!("with access token {token_id}"), e))?;
    let mut rows = rows.into_iter();
    let Some((client, version, first)) = rows.next() else {
        return Ok(None);
    };
    let sessions = first
        .into_iter()
        .chain(rows.filter_map(|(_, _, session)| session))
        .collect();
    Ok(Some(DayClientWithSessions {
        client,
        protocol_version: version,
        sessions,
    }))
}

/// A client's day columns with their clinic's `protocol_version` and their sessions
/// in date order.
#[derive(Debug)]
pub struct DayClientWithSessions {
    pub client: DayClient,
    pub protocol_version: Option<String>,
    pub sessions: Vec<SessionDate>,
}

/// One page of a clinic's clients in id order, starting after `after` (the cursor).
pub fn page(
    conn: &mut DbConnection,
    clinic_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Client>, StoreError> {
    // One query shape with or without a cursor (every id sorts after ""), so it is
    // prepared once and run on the backend's own connection.
    let after = after.unwrap_or("");
    super::on_backend!(conn, |c| clients::table
        .filter(clients::clinic_id.eq(clinic_id))
        .filter(clients::id.gt(after))
        .select(Client::as_select())
        .order(clients::id.asc())
        .limit(limit)
        .load(c))
    .map_err(|e| read_error("clients of clinic", clinic_id, e))
}

/// Applies the clinic's changes; true when the client exists.
pub fn update_profile(
    conn: &mut DbConnection,
    id: &str,
    change: &ProfileChange,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(clients::table.find(id))
        .set((change, clients::updated_at.eq(at)))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Applies the client's preference changes; true when the client exists.
pub fn update_preferences(
    conn: &mut DbConnection,
    id: &str,
    change: &PreferencesChange,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(clients::table.find(id))
        .set((change, clients::updated_at.eq(at)))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Turns email reminders off (one-click unsubscribe). True when they were on.
pub fn disable_email(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        clients::table
            .filter(clients::id.eq(id))
            .filter(clients::email_enabled.eq(true)),
    )
    .set((clients::email_enabled.eq(false), clients::updated_at.eq(at)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Moves each client's `next_plan_at` to its own instant, in one statement.
pub fn set_next_plan_at(
    conn: &mut DbConnection,
    next: &[(String, NaiveDateTime)],
) -> QueryResult<usize> {
    use diesel::sql_types::{Text, Timestamp};
    let mut updated = 0;
    for chunk in next.chunks(500) {
        let values = (0..chunk.len())
            .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        // `VALUES` names its columns column1, column2 on both backends.
        let (id, at) = match conn {
            DbConnection::Postgresql(_) => ("v.column1", "v.column2::timestamp"),
            DbConnection::Sqlite(_) => ("v.column1", "v.column2"),
        };
        let mut sql = format!(
            "UPDATE clients SET next_plan_at = {at} FROM (VALUES {values}) AS v \
             WHERE clients.id = {id}"
        );
        if matches!(conn, DbConnection::Sqlite(_)) {
            // SQLite numbers `$N` by first appearance; `?N` is its explicit index.
            sql = sql.replace('$', "?");
        }
        let mut query = diesel::sql_query(sql).into_boxed();
        for (id, at) in chunk {
            query = query.bind::<Text, _>(id).bind::<Timestamp, _>(*at);
        }
        updated += query.execute(conn)?;
    }
    Ok(updated)
}

/// Marks clients for planning at `at` (the next planner tick re-plans them).
pub fn mark_due(conn: &mut DbConnection, ids: &[&str], at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(clients::table.filter(clients::id.eq_any(ids)))
        .set(clients::next_plan_at.eq(Some(at)))
        .execute(conn)
}

/// Marks every client of a clinic for planning (the clinic changed its protocol).
pub fn mark_clinic_due(
    conn: &mut DbConnection,
    clinic_id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(clients::table.filter(clients::clinic_id.eq(clinic_id)))
        .set(clients::next_plan_at.eq(Some(at)))
        .execute(conn)
}

/// Erases the client: the row, and through ON DELETE CASCADE its sessions, push
/// subscriptions and reminders. Returns false when the clinic has no such client.
pub fn delete_for_clinic(conn: &mut DbConnection, clinic_id: &str, id: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(
        clients::table
            .filter(clients::id.eq(id))
            .filter(clients::clinic_id.eq(clinic_id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}
