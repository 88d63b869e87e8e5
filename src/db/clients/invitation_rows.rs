//! The invitation columns of a client: issued, armed as its email goes out, settled,
//! accepted.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::clients;
use crate::db::DbConnection;
use crate::domain::InvitationStatus;

/// A newly issued invitation: its token replaces any earlier one.
pub fn set_invitation(
    conn: &mut DbConnection,
    id: &str,
    token_id: &str,
    token_hash: &str,
    expires_at: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(clients::table.find(id))
        .set((
            clients::invitation_token_id.eq(Some(token_id)),
            clients::invitation_token_hash.eq(Some(token_hash)),
            clients::invitation_expires_at.eq(Some(expires_at)),
            clients::invitation_status.eq(InvitationStatus::Pending),
            clients::invitation_error.eq(None::<String>),
            clients::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Stores the hash of invitation `token_id`'s freshly minted secret, unless a newer
/// invitation replaced it or the client accepted meanwhile. Whether it was stored.
pub fn arm_invitation(
    conn: &mut DbConnection,
    id: &str,
    token_id: &str,
    token_hash: &str,
) -> QueryResult<bool> {
    let updated = diesel::update(
        clients::table
            .find(id)
            .filter(clients::invitation_token_id.eq(token_id))
            .filter(clients::invitation_status.ne(InvitationStatus::Accepted)),
    )
    .set(clients::invitation_token_hash.eq(Some(token_hash)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Records how the email of invitation `token_id` went, unless a newer invitation has
/// replaced it or the client accepted meanwhile.
pub fn record_invitation_outcome(
    conn: &mut DbConnection,
    id: &str,
    token_id: &str,
    status: InvitationStatus,
    error: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        clients::table
            .filter(clients::id.eq(id))
            .filter(clients::invitation_token_id.eq(token_id))
            .filter(clients::invitation_status.ne(InvitationStatus::Accepted)),
    )
    .set((
        clients::invitation_status.eq(status),
        clients::invitation_error.eq(error),
        clients::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Spends the invitation `token_id` and installs the access token. Guarded by the
/// token id, so of two racing accepts exactly one wins.
pub fn accept_invitation(
    conn: &mut DbConnection,
    id: &str,
    token_id: &str,
    access: (&str, &str),
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        clients::table
            .filter(clients::id.eq(id))
            .filter(clients::invitation_token_id.eq(token_id))
            .filter(clients::invitation_status.ne(InvitationStatus::Accepted)),
    )
    .set((
        clients::invitation_status.eq(InvitationStatus::Accepted),
        clients::invitation_error.eq(None::<String>),
        clients::access_token_id.eq(Some(access.0)),
        clients::access_token_hash.eq(Some(access.1)),
        clients::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}
