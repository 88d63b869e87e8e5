//! A client's reminder history, for the client and for their clinic.

use super::clients::load_for_clinic;
use super::{ClinicRef, Error, Services};
use crate::db::deliveries::{self, Delivery};

/// Whose history.
pub enum Whose {
    Me(String),
    OfClinic(ClinicRef, String),
}

/// The newest `limit` (1-1000, default 100) reminders, newest first.
pub async fn recent(
    s: &Services,
    whose: Whose,
    limit: Option<u32>,
) -> Result<Vec<Delivery>, Error> {
    let limit = limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 1000"));
    }
    s.db(move |conn| {
        let client_id = match whose {
            Whose::Me(id) => id,
            Whose::OfClinic(clinic, id) => load_for_clinic(conn, &clinic.id, &id)?.client.id,
        };
        Ok(deliveries::history(conn, &client_id, i64::from(limit))?)
    })
    .await
}
