//! A client's delivery history, newest first, a page at a time.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::{Delivery, INVITATION_KIND};
use crate::db::schema::deliveries;
use crate::db::DbConnection;
use crate::domain::{Channel, DeliveryStatus};

/// Which of a client's reminders a history page shows.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    /// Any of these statuses (all when empty).
    pub statuses: Vec<DeliveryStatus>,
    pub channel: Option<Channel>,
    /// Local dates, both ends included.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The page starts after this row: (local date, id) of the previous page's last.
    pub after: Option<(NaiveDate, String)>,
}

/// One page of a client's reminder history, newest first: local date descending, then
/// id descending (ids are UUIDv7, so later rows of a day come first). Keyset paging on
/// that order (read by client and date from the unique key's leading columns), so a
/// row is never skipped or repeated while rows are added. Invitations are shown on the
/// client, not here.
pub fn history_page(
    conn: &mut DbConnection,
    client_id: &str,
    filter: &HistoryFilter,
    limit: i64,
) -> QueryResult<Vec<Delivery>> {
    let mut query = deliveries::table
        .filter(deliveries::client_id.eq(client_id))
        .filter(deliveries::kind.ne(INVITATION_KIND))
        .order((deliveries::local_date.desc(), deliveries::id.desc()))
        .limit(limit)
        .select(Delivery::as_select())
        .into_boxed();
    if !filter.statuses.is_empty() {
        query = query.filter(deliveries::status.eq_any(filter.statuses.clone()));
    }
    if let Some(channel) = filter.channel {
        query = query.filter(deliveries::channel.eq(channel));
    }
    if let Some(from) = filter.from {
        query = query.filter(deliveries::local_date.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(deliveries::local_date.le(to));
    }
    if let Some((date, id)) = &filter.after {
        query = query.filter(
            deliveries::local_date.lt(*date).or(deliveries::local_date
                .eq(*date)
                .and(deliveries::id.lt(id.clone()))),
        );
    }
    query.load(conn)
}
