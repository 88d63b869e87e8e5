//! The console's reads of a clinic's clients. The list and Today read one page at a
//! time: filtered by each client's stored standing (see `domain::standing`) and found
//! by an index on name and email, so a page costs the same in a clinic of 50,000 as in
//! one of 1,000. The exports read the whole clinic, in one statement per table.

use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::clients::{self as client_rows, Client, SessionRow};
use super::deliveries::{Delivery, INVITATION_KIND};
use super::schema::{clients, deliveries, sessions};
use super::{read_error, DbConnection, MultiBackend, StoreError};
use crate::domain::standing::Booking;
use crate::domain::{DeliveryKind, DeliveryStatus, InvitationStatus, Stage};

/// A search shorter than this finds no trigram (three characters) in an index and
/// reads the clinic's clients instead.
const INDEXED_SEARCH_CHARS: usize = 3;

/// Which of the clinic's clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slice {
    All,
    /// Invited, not accepted yet: the email is queued, retried or sent.
    Invited,
    InvitationFailed,
    /// Between sessions: the current session is not the final one.
    InSeries,
    /// After the final session, before the healed stage.
    Healing,
    Healed,
    /// The client's last reminder (the rows, one per channel and device, with the
    /// latest send time at or before now; invitations and rows a re-plan cancelled are
    /// not reminders) has a row that failed. Read from the failing rows.
    RemindersFailing,
    /// The next session needs booking (see `domain::standing::Booking`).
    Booking(Booking),
    /// Not accepted, and the current invitation expires at or before this instant.
    InvitationExpiresBy(NaiveDateTime),
}

/// What a page of the list asks for.
#[derive(Debug, Clone, Copy)]
pub struct Criteria<'a> {
    pub clinic_id: &'a str,
    pub search: Option<&'a str>,
    pub slice: Slice,
    /// Reminders count as sent from their send time on.
    pub now: NaiveDateTime,
}

enum Bind {
    Text(String),
    Timestamp(NaiveDateTime),
    BigInt(i64),
}

/// SQL text with numbered parameters in the backend's own form, and their values.
/// Written by hand, not with diesel's query builder: a count of at most N rows needs
/// a subquery in `FROM`, which the builder does not have.
struct Sql {
    sqlite: bool,
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    fn new(conn: &DbConnection) -> Sql {
        Sql {
            sqlite: matches!(conn, DbConnection::Sqlite(_)),
            text: String::new(),
            binds: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    fn bind(&mut self, value: Bind) -> &mut Sql {
        self.binds.push(value);
        let mark = if self.sqlite { '?' } else { '$' };
        self.text.push_str(&format!("{mark}{}", self.binds.len()));
        self
    }

    fn query(self) -> BoxedSqlQuery<'static, MultiBackend, SqlQuery> {
        let mut query = diesel::sql_query(self.text).into_boxed();
        for value in self.binds {
            query = match value {
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::Timestamp(v) => query.bind::<Timestamp, _>(v),
                Bind::BigInt(v) => query.bind::<BigInt, _>(v),
            };
        }
        query
    }
}

/// `'a', 'b'`: stored ids of our own enums, never user input.
fn quoted(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `%` and `_` are wildcards of `LIKE`: a search for "50%_off" means those characters.
fn like_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// ` AND <the criteria>` (the clinic, the slice, the search) on `clients`.
fn push_criteria(sql: &mut Sql, criteria: &Criteria<'_>) {
    sql.push(" WHERE clients.clinic_id = ")
        .bind(Bind::Text(criteria.clinic_id.to_string()));
    let invitations = |statuses: &[InvitationStatus]| {
        quoted(&statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>())
    };
    let healed = Stage::Healed.as_str();
    match criteria.slice {
        Slice::All => {}
        Slice::Invited => {
            let open = invitations(&[InvitationStatus::Pending, InvitationStatus::Sent]);
            sql.push(&format!(" AND clients.invitation_status IN ({open})"));
        }
        Slice::InvitationFailed => {
            let failed = invitations(&[InvitationStatus::Failed]);
            sql.push(&format!(" AND clients.invitation_status IN ({failed})"));
        }
        Slice::InSeries => {
            sql.push(" AND clients.in_series = TRUE");
        }
        Slice::Healing => {
            sql.push(&format!(
                " AND clients.final_session = TRUE AND clients.stage <> '{healed}'"
            ));
        }
        Slice::Healed => {
            sql.push(&format!(" AND clients.stage = '{healed}'"));
        }
        Slice::Booking(booking) => {
            sql.push(&format!(" AND clients.booking = '{}'", booking.as_str()));
        }
        Slice::InvitationExpiresBy(at) => {
            let open = invitations(&[
                InvitationStatus::Pending,
                InvitationStatus::Sent,
                InvitationStatus::Failed,
            ]);
            sql.push(&format!(" AND clients.invitation_status IN ({open})"))
                .push(" AND clients.invitation_expires_at <= ")
                .bind(Bind::Timestamp(at));
        }
        Slice::RemindersFailing => {
            let failing = quoted(&DeliveryStatus::FAILING.map(|s| s.as_str()));
            let (invitation, cancelled) = (
                DeliveryKind::INVITATION_ID,
                DeliveryStatus::Cancelled.as_str(),
            );
            sql.push(&format!(
                " AND clients.id IN (SELECT d.client_id FROM deliveries d \
                 WHERE d.status IN ({failing}) AND d.kind <> '{invitation}' AND d.send_at <= "
            ))
            .bind(Bind::Timestamp(criteria.now))
            .push(&format!(
                " AND NOT EXISTS (SELECT 1 FROM deliveries n WHERE n.client_id = d.client_id \
                 AND n.kind <> '{invitation}' AND n.status <> '{cancelled}' AND n.send_at <= "
            ))
            .bind(Bind::Timestamp(criteria.now))
            .push(" AND n.send_at > d.send_at))");
        }
    }
    let Some(search) = criteria.search.map(str::trim).filter(|s| !s.is_empty()) else {
        return;
    };
    // Name or email contains the search, any case. SQLite finds it in the
    // `clients_search` trigram table (FTS5); PostgreSQL's trigram indexes serve
    // `lower(...) LIKE` itself.
    if sql.sqlite && search.chars().count() >= INDEXED_SEARCH_CHARS {
        // A quoted FTS5 phrase: any text, its quotes doubled, with no query syntax.
        let phrase = format!("\"{}\"", search.replace('"', "\"\""));
        sql.push(
            " AND clients.id IN (SELECT client_id FROM clients_search WHERE clients_search MATCH ",
        )
        .bind(Bind::Text(phrase))
        .push(")");
    } else {
        let pattern = like_pattern(search);
        sql.push(" AND (lower(clients.name) LIKE ")
            .bind(Bind::Text(pattern.clone()))
            .push(" ESCAPE '\\' OR lower(clients.email) LIKE ")
            .bind(Bind::Text(pattern))
            .push(" ESCAPE '\\')");
    }
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The clients matching `criteria`, by name, `limit` from `offset` on.
pub fn page(
    conn: &mut DbConnection,
    criteria: &Criteria<'_>,
    offset: i64,
    limit: i64,
) -> Result<Vec<Client>, StoreError> {
    let mut sql = Sql::new(conn);
    sql.push("SELECT clients.id FROM clients");
    push_criteria(&mut sql, criteria);
    // Without statistics SQLite would walk the whole clinic in name order and test each
    // row against a short list (a search's matches, failing reminders, open
    // invitations): `+name` is not an indexed term, so it reads the list's rows and
    // sorts only those. Equality filters keep the index's name order.
    let walk_by_name = criteria.search.is_none()
        && matches!(
            criteria.slice,
            Slice::All | Slice::InSeries | Slice::Healing | Slice::Healed | Slice::Booking(_)
        );
    let name = if sql.sqlite && !walk_by_name {
        "+clients.name"
    } else {
        "clients.name"
    };
    sql.push(&format!(" ORDER BY {name}, clients.id LIMIT "))
        .bind(Bind::BigInt(limit))
        .push(" OFFSET ")
        .bind(Bind::BigInt(offset));
    let failed = |e| read_error("a page of clients", criteria.clinic_id, e);
    let ids: Vec<IdRow> = sql.query().load(conn).map_err(failed)?;
    let ids: Vec<&str> = ids.iter().map(|row| row.id.as_str()).collect();
    let mut found = client_rows::find_many(conn, &ids)?;
    found.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
    Ok(found)
}

/// How many clients match `criteria`, counting no further than `limit`: the cost of
/// a count is bounded like the page's, whatever the size of the clinic.
pub fn count_up_to(
    conn: &mut DbConnection,
    criteria: &Criteria<'_>,
    limit: i64,
) -> QueryResult<usize> {
    let mut sql = Sql::new(conn);
    sql.push("SELECT COUNT(*) AS n FROM (SELECT clients.id FROM clients");
    push_criteria(&mut sql, criteria);
    sql.push(" LIMIT ")
        .bind(Bind::BigInt(limit))
        .push(") AS matching");
    let row: CountRow = sql.query().get_result(conn)?;
    Ok(row.n as usize)
}

/// The clinic has at least one client.
pub fn has_clients(conn: &mut DbConnection, clinic_id: &str) -> QueryResult<bool> {
    diesel::select(exists(
        clients::table.filter(clients::clinic_id.eq(clinic_id)),
    ))
    .get_result(conn)
}

/// Every client of the clinic, by name (the exports; the import's duplicate check).
pub fn clients_of(conn: &mut DbConnection, clinic_id: &str) -> Result<Vec<Client>, StoreError> {
    clients::table
        .filter(clients::clinic_id.eq(clinic_id))
        .select(Client::as_select())
        .order((clients::name.asc(), clients::id.asc()))
        .load(conn)
        .map_err(|e| read_error("clients of clinic", clinic_id, e))
}

/// Every session of the clinic's clients, by client and date.
pub fn sessions_of_clinic(
    conn: &mut DbConnection,
    clinic_id: &str,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .inner_join(clients::table)
        .filter(clients::clinic_id.eq(clinic_id))
        .order((sessions::client_id.asc(), sessions::date.asc()))
        .select(SessionRow::as_select())
        .load(conn)
}

/// The last reminder of each of `client_ids`: the rows (one per channel and device)
/// with the latest send time at or before `now`. Invitations and rows a re-plan
/// cancelled are not reminders the client got.
pub fn last_reminders(
    conn: &mut DbConnection,
    client_ids: &[&str],
    now: NaiveDateTime,
) -> QueryResult<Vec<Delivery>> {
    if client_ids.is_empty() {
        return Ok(Vec::new());
    }
    let newer = diesel::alias!(deliveries as newer);
    deliveries::table
        .filter(deliveries::client_id.eq_any(client_ids))
        .filter(deliveries::kind.ne(INVITATION_KIND))
        .filter(deliveries::status.ne(DeliveryStatus::Cancelled))
        .filter(deliveries::send_at.le(now))
        .filter(not(exists(
            newer
                .filter(newer.field(deliveries::client_id).eq(deliveries::client_id))
                .filter(newer.field(deliveries::kind).ne(INVITATION_KIND))
                .filter(
                    newer
                        .field(deliveries::status)
                        .ne(DeliveryStatus::Cancelled),
                )
                .filter(newer.field(deliveries::send_at).le(now))
                .filter(newer.field(deliveries::send_at).gt(deliveries::send_at)),
        )))
        .select(Delivery::as_select())
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_plain_characters() {
        assert_eq!(like_pattern("50%_Off"), "%50\\%\\_off%");
    }
}
