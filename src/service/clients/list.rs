//! The clinic's clients, a page at a time.

use super::super::client_record::ClientRecord;
use super::super::{ClientBundle, ClinicRef, Error, Services};
use crate::db::{self, clients, DbConnection};

/// One page of clients and the cursor of the next page.
pub struct ClientPage {
    pub items: Vec<ClientRecord>,
    pub next_cursor: Option<String>,
}

pub async fn page(
    s: &Services,
    clinic: &ClinicRef,
    limit: Option<u32>,
    cursor: Option<String>,
) -> Result<ClientPage, Error> {
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 200"));
    }
    let after = cursor.as_deref().map(decode_cursor).transpose()?;
    let clinic_id = clinic.id.clone();
    s.read(move |conn| read_page(conn, &clinic_id, after.as_deref(), limit))
        .await
}

/// [`page`]'s read: `limit` clients after `after` and their sessions, in one snapshot.
/// Public (`smp_aftercare::bench`) for the HTTP bench, which times this read on its own.
pub fn read_page(
    conn: &mut DbConnection,
    clinic_id: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<ClientPage, Error> {
    db::read_together(conn, |conn| {
        let mut rows = clients::page(conn, clinic_id, after, i64::from(limit) + 1)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = more
            .then(|| rows.last().map(|c| encode_cursor(&c.id)))
            .flatten();
        let bundles = ClientBundle::load_page(conn, clinic_id, rows)?;
        let items = bundles.into_iter().map(ClientRecord::from).collect();
        Ok(ClientPage { items, next_cursor })
    })
}

fn encode_cursor(id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

fn decode_cursor(cursor: &str) -> Result<String, Error> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Error::invalid("cursor", "not a cursor returned by this API"))
}
