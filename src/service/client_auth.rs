//! A client's access token (`Authorization: Bearer`, from the invitation's accept):
//! the client behind it, read in one call, and nothing for an unknown, altered or
//! replaced token. The one place client tokens are authenticated, for the API and the
//! app's pages alike.

use super::invitations::CLIENT_TOKEN_KIND;
use super::{Error, Services};
use crate::db::bundle::DayBundle;
use crate::db::clients::{self, Client};
use crate::db::DbConnection;
use crate::domain::Zone;
use crate::tokens;

/// The client an access token authenticates: what a face holds and hands back to the
/// services that act for the client. Its row (with the token hashes) stays inside the
/// services; the faces read only what their pages need.
#[derive(Debug, Clone)]
pub struct Authenticated(Client);

impl Authenticated {
    pub fn id(&self) -> &str {
        &self.0.id
    }

    pub fn locale(&self) -> &str {
        &self.0.locale
    }

    pub fn timezone(&self) -> Zone {
        self.0.timezone
    }

    /// The row, for the services.
    pub(super) fn into_row(self) -> Client {
        self.0
    }
}

/// The client behind an access token, or None for an unknown or altered token.
pub async fn client_by_token(s: &Services, token: String) -> Result<Option<Authenticated>, Error> {
    if tokens::parse_id(CLIENT_TOKEN_KIND, &token).is_none() {
        return Ok(None);
    }
    let found = s.read(move |conn| client_of_token(conn, &token)).await?;
    Ok(found.map(Authenticated))
}

/// [`client_by_token`] on a connection.
fn client_of_token(conn: &mut DbConnection, token: &str) -> Result<Option<Client>, Error> {
    let Some(id) = tokens::parse_id(CLIENT_TOKEN_KIND, token) else {
        return Ok(None);
    };
    let found = clients::find_by_access_id(conn, id)?;
    Ok(found.filter(|client| holds_token(client.access_token_hash.as_deref(), token)))
}

/// The client of an access token with everything needed for their days, in one
/// statement ([`clients::find_day_by_access_id`]); None as for [`client_by_token`].
/// Public (`smp_aftercare::bench`) for the HTTP bench, which times this read on its own.
pub fn day_bundle_of_token(
    conn: &mut DbConnection,
    token: &str,
) -> Result<Option<DayBundle>, Error> {
    let Some(id) = tokens::parse_id(CLIENT_TOKEN_KIND, token) else {
        return Ok(None);
    };
    let Some(found) = clients::find_day_by_access_id(conn, id)? else {
        return Ok(None);
    };
    if !holds_token(found.client.access_token_hash.as_deref(), token) {
        return Ok(None);
    }
    Ok(Some(DayBundle::read(conn, found)?))
}

/// Whether `token` is the client's current access token (its secret matches the hash).
fn holds_token(access_token_hash: Option<&str>, token: &str) -> bool {
    access_token_hash.is_some_and(|hash| tokens::verify(token, hash))
}
