//! Readiness: does the database answer?

use std::time::Duration;

use super::{Error, Services};
use crate::db;

/// Ok when the database answers a trivial query within the connect timeout (+1 s).
pub async fn ready(s: &Services) -> Result<(), Error> {
    let limit = Duration::from_secs(s.settings.database.connect_timeout_secs + 1);
    match tokio::time::timeout(limit, s.db(|conn| Ok(db::ping(conn)?))).await {
        Ok(answer) => answer,
        Err(_) => Err(Error::Unavailable(
            "database did not answer in time".to_string(),
        )),
    }
}
