//! The console's view of a whole clinic: every client with their sessions and the
//! last reminder each got, in a fixed number of statements (one per table), never
//! one per client. The services compute each client's day from these rows.

use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;

use super::clients::{Client, SessionRow};
use super::deliveries::{Delivery, INVITATION_KIND};
use super::schema::{clients, deliveries, sessions};
use super::{read_error, DbConnection, StoreError};
use crate::domain::DeliveryStatus;

diesel::define_sql_function! {
    /// SQL `lower`, for case-insensitive search on both backends (PostgreSQL's `LIKE`
    /// is case-sensitive; SQLite's only for non-ASCII letters, which `lower` leaves).
    fn lower(value: diesel::sql_types::Text) -> diesel::sql_types::Text;
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

/// The clinic's clients whose name or email contains `search` (any case), by name.
pub fn clients_of(
    conn: &mut DbConnection,
    clinic_id: &str,
    search: Option<&str>,
) -> Result<Vec<Client>, StoreError> {
    let mut query = clients::table
        .filter(clients::clinic_id.eq(clinic_id))
        .select(Client::as_select())
        .order((clients::name.asc(), clients::id.asc()))
        .into_boxed();
    if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = like_pattern(search);
        query = query.filter(
            lower(clients::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(clients::email).like(pattern).escape('\\')),
        );
    }
    query
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

/// Each client's last reminder: the rows (one per channel and device) with the latest
/// send time at or before `now`. Invitations and rows a re-plan cancelled are not
/// reminders the client got.
pub fn last_reminders(
    conn: &mut DbConnection,
    clinic_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<Delivery>> {
    let newer = diesel::alias!(deliveries as newer);
    let of_clinic = clients::table
        .filter(clients::clinic_id.eq(clinic_id))
        .select(clients::id);
    deliveries::table
        .filter(deliveries::client_id.eq_any(of_clinic))
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
