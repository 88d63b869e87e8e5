//! Renews each client's stored standing (`domain::standing`) from their timeline: at
//! once for a client a change marked due, and on the planning tick for every client
//! whose standing has gone stale (a day passed on which it changes, or the clinic's
//! protocol changed). The console filters and groups clients by the stored standing.

use chrono::{DateTime, Duration, NaiveTime, Utc};

use crate::db::bundle::ClientBundle;
use crate::db::{self, clients, standing as stored, DbConnection, StoreError};
use crate::domain::schedule;
use crate::domain::standing::{next_change, standing};

/// When a client whose stored data cannot be read is looked at again.
const CORRUPT_RETRY: Duration = Duration::hours(1);

/// Renews the standing of `ids` as of `now` (an id erased meanwhile is skipped). One
/// client's unreadable data does not stop the others: it is looked at again later.
pub fn renew(conn: &mut DbConnection, ids: &[&str], now: DateTime<Utc>) -> Result<(), StoreError> {
    let bundles =
        clients::find_many(conn, ids).and_then(|found| ClientBundle::load_many(conn, found));
    let bundles = match bundles {
        Ok(bundles) => bundles,
        Err(StoreError::Corrupt(_)) if ids.len() > 1 => {
            for id in ids {
                renew(conn, &[*id], now)?;
            }
            return Ok(());
        }
        Err(StoreError::Corrupt(why)) => return retry_later(conn, ids, now, &why),
        Err(other) => return Err(other),
    };
    for bundle in &bundles {
        let plan = match bundle.plan() {
            Ok(plan) => plan,
            Err(StoreError::Corrupt(why)) => {
                retry_later(conn, &[bundle.client.id.as_str()], now, &why)?;
                continue;
            }
            Err(other) => return Err(other),
        };
        let today = bundle.today(now);
        let now_standing = standing(&plan, &bundle.protocol, today);
        let changes_on = next_change(&plan, &bundle.protocol, today);
        let until = schedule::local_instant(changes_on, NaiveTime::MIN, bundle.timezone());
        stored::write(conn, &bundle.client.id, &now_standing, until.naive_utc())?;
    }
    Ok(())
}

fn retry_later(
    conn: &mut DbConnection,
    ids: &[&str],
    now: DateTime<Utc>,
    why: &str,
) -> Result<(), StoreError> {
    for id in ids {
        tracing::error!(client = %id, error = %why, "cannot renew this client's standing; retrying in an hour");
        stored::renew_at(conn, id, (now + CORRUPT_RETRY).naive_utc())?;
    }
    Ok(())
}

/// Renews up to `batch` clients whose standing is stale at `now`, in one transaction;
/// returns how many it looked at.
pub fn renew_stale(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    batch: i64,
) -> Result<usize, StoreError> {
    db::write_transaction(conn, |conn| {
        let ids = stored::stale(conn, now.naive_utc(), batch)?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        renew(conn, &ids, now)?;
        Ok(ids.len())
    })
}
