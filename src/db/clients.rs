//! Client repository: plain functions on a connection. Every query that a clinic
//! drives is scoped by `clinic_id`, so one clinic can never reach another's clients.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{clients, idempotency_keys, sessions};
use super::DbConnection;

/// A client row. Preferences are columns; `muted` is a JSON array of reminder kinds.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable, AsChangeset)]
#[diesel(table_name = clients, treat_none_as_null = true)]
pub struct Client {
    pub id: String,
    pub clinic_id: String,
    pub email: String,
    pub name: String,
    pub timezone: String,
    pub locale: String,
    pub planned_sessions: i32,
    pub reminder_time: String,
    pub push_enabled: bool,
    pub email_enabled: bool,
    pub spf_reminders: String,
    pub muted: String,
    pub invitation_status: String,
    pub invitation_error: Option<String>,
    pub invitation_token_id: Option<String>,
    pub invitation_token_hash: Option<String>,
    pub invitation_expires_at: Option<NaiveDateTime>,
    pub access_token_id: Option<String>,
    pub access_token_hash: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub next_plan_at: Option<NaiveDateTime>,
    pub unsubscribe_token: Option<String>,
}

/// A treatment session row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable, AsChangeset)]
#[diesel(table_name = sessions, treat_none_as_null = true)]
pub struct SessionRow {
    pub id: String,
    pub client_id: String,
    pub date: chrono::NaiveDate,
    pub marked_final: bool,
    pub notes: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, client: &Client) -> QueryResult<()> {
    diesel::insert_into(clients::table)
        .values(client)
        .execute(conn)
        .map(|_| ())
}

/// Writes every column of the row back.
pub fn save(conn: &mut DbConnection, client: &Client) -> QueryResult<()> {
    diesel::update(clients::table.find(&client.id))
        .set(client)
        .execute(conn)
        .map(|_| ())
}

pub fn find_for_clinic(
    conn: &mut DbConnection,
    clinic_id: &str,
    id: &str,
) -> QueryResult<Option<Client>> {
    clients::table
        .filter(clients::id.eq(id))
        .filter(clients::clinic_id.eq(clinic_id))
        .select(Client::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Client>> {
    clients::table
        .find(id)
        .select(Client::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(
    conn: &mut DbConnection,
    clinic_id: &str,
    email: &str,
) -> QueryResult<Option<Client>> {
    clients::table
        .filter(clients::clinic_id.eq(clinic_id))
        .filter(clients::email.eq(email))
        .select(Client::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_invitation_id(
    conn: &mut DbConnection,
    token_id: &str,
) -> QueryResult<Option<Client>> {
    clients::table
        .filter(clients::invitation_token_id.eq(token_id))
        .select(Client::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_unsubscribe_token(
    conn: &mut DbConnection,
    token: &str,
) -> QueryResult<Option<Client>> {
    clients::table
        .filter(clients::unsubscribe_token.eq(token))
        .select(Client::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_access_id(conn: &mut DbConnection, token_id: &str) -> QueryResult<Option<Client>> {
    clients::table
        .filter(clients::access_token_id.eq(token_id))
        .select(Client::as_select())
        .first(conn)
        .optional()
}

/// One page of a clinic's clients in id order, starting after `after` (the cursor).
pub fn page(
    conn: &mut DbConnection,
    clinic_id: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Client>> {
    let mut query = clients::table
        .filter(clients::clinic_id.eq(clinic_id))
        .select(Client::as_select())
        .order(clients::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(clients::id.gt(after.to_string()));
    }
    query.load(conn)
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

pub fn sessions_of(conn: &mut DbConnection, client_id: &str) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::client_id.eq(client_id))
        .order(sessions::date.asc())
        .select(SessionRow::as_select())
        .load(conn)
}

pub fn insert_session(conn: &mut DbConnection, session: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)
        .map(|_| ())
}

pub fn save_session(conn: &mut DbConnection, session: &SessionRow) -> QueryResult<()> {
    diesel::update(sessions::table.find(&session.id))
        .set(session)
        .execute(conn)
        .map(|_| ())
}

pub fn delete_session(conn: &mut DbConnection, client_id: &str, id: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::client_id.eq(client_id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// A stored answer to an idempotent POST.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct StoredResponse {
    pub clinic_id: String,
    pub idempotency_key: String,
    pub request_fingerprint: String,
    pub response_status: i32,
    pub response_body: String,
    pub created_at: NaiveDateTime,
}

pub fn find_stored_response(
    conn: &mut DbConnection,
    clinic_id: &str,
    key: &str,
) -> QueryResult<Option<StoredResponse>> {
    idempotency_keys::table
        .find((clinic_id, key))
        .select(StoredResponse::as_select())
        .first(conn)
        .optional()
}

pub fn store_response(conn: &mut DbConnection, stored: &StoredResponse) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values(stored)
        .execute(conn)
        .map(|_| ())
}
