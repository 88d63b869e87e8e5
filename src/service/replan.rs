//! The one place that says "this client's reminders must be worked out again": every
//! change that can affect what or when we remind (sessions, zone, reminder time,
//! channels, muted kinds, devices, the clinic's protocol) ends here, in the same
//! transaction as the change. The next planner tick re-plans the client, rewriting
//! or cancelling unsent reminders that no longer apply. The client's stored standing
//! (what the console filters by) is renewed here at once; a clinic's clients on the
//! planning tick (a protocol change reaches every client of the clinic).

use chrono::{DateTime, Utc};

use super::Error;
use crate::db::{clients, standing, DbConnection};
use crate::jobs::standing::renew;

/// What a change touched.
pub enum Affected<'a> {
    Client(&'a str),
    /// Every client of the clinic (its protocol changed).
    Clinic(&'a str),
}

/// Marks the affected clients due for planning at `now`.
pub fn mark_due(
    conn: &mut DbConnection,
    affected: Affected<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let at = now.naive_utc();
    match affected {
        Affected::Client(id) => {
            clients::mark_due(conn, &[id], at)?;
            renew(conn, &[id], now)?;
        }
        Affected::Clinic(id) => {
            clients::mark_clinic_due(conn, id, at)?;
            standing::mark_clinic_stale(conn, id, at)?;
        }
    };
    Ok(())
}
