//! Invitations: a single-use link, emailed to the client through the outbox (retried
//! like every reminder), exchanged for an access token shown once.

use crate::db;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::audit::{self, Action, Subject};
use super::{ClientBundle, ClinicRef, Error, Services};
use crate::db::deliveries::{self, Delivery, INVITATION_KIND};
use crate::db::{clients, DbConnection};
use crate::domain::{Channel, DeliveryStatus, InvitationStatus};
use crate::links::Links;
use crate::tokens;

/// Prefix of invitation tokens (in the emailed link).
pub const INVITATION_TOKEN_KIND: &str = "smpi";
/// Prefix of client access tokens.
pub const CLIENT_TOKEN_KIND: &str = "smpc";

/// What `issue` needs besides the connection.
pub struct Issue<'a> {
    pub links: &'a Links,
    pub valid_days: u32,
    pub now: DateTime<Utc>,
}

/// Issues a new invitation for `client_id` (the old link stops working) and queues
/// its email, in the caller's transaction: the client never exists without its
/// invitation on the way, and a failed send is retried, then shown to the clinic.
pub fn issue(conn: &mut DbConnection, client_id: &str, how: &Issue<'_>) -> Result<(), Error> {
    let now = how.now;
    let at = now.naive_utc();
    let client = clients::find(conn, client_id)?
        .ok_or_else(|| Error::NotFound(format!("no client {client_id}")))?;
    let token = tokens::issue(INVITATION_TOKEN_KIND);
    let expires = now + Duration::days(i64::from(how.valid_days));
    clients::set_invitation(
        conn,
        client_id,
        &token.id,
        &token.hash,
        expires.naive_utc(),
        at,
    )?;
    deliveries::cancel_unsent_invitations(conn, client_id, "replaced by a newer invitation", at)?;
    let payload = json!({
        "token_id": token.id,
        "link": how.links.invite(&token.token),
        "expires_at": expires,
    });
    let row = Delivery {
        id: uuid::Uuid::now_v7().to_string(),
        client_id: client_id.to_string(),
        local_date: now.with_timezone(&client.timezone.tz()).date_naive(),
        channel: Channel::Email,
        target: deliveries::invitation_target(&token.id),
        kind: INVITATION_KIND.to_string(),
        idempotency_key: format!("{client_id}:invitation:{}", token.id),
        title: "Your aftercare invitation".to_string(),
        body: String::new(),
        payload: payload.to_string(),
        send_at: at,
        // Worth sending for as long as the link works.
        stale_at: expires.naive_utc(),
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: at,
        lease_until: None,
        leased_by: None,
        last_error: None,
        sent_at: None,
        created_at: at,
        updated_at: at,
        correction: false,
    };
    deliveries::insert_if_absent(conn, &row)?;
    Ok(())
}

/// POST /v1/clients/{id}/invitation: a new link; the old one stops working.
pub async fn resend(
    s: &Services,
    clinic: &ClinicRef,
    client_id: String,
) -> Result<ClientBundle, Error> {
    let (actor, links, now) = (clinic.clone(), s.links.clone(), s.now());
    let valid_days = s.settings.invitations.valid_days;
    let bundle = s
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let before = super::clients::load_for_clinic(conn, &actor.id, &client_id)?;
                let how = Issue {
                    links: &links,
                    valid_days,
                    now,
                };
                issue(conn, &client_id, &how)?;
                let subject = Subject::client(&client_id, &before.client.name);
                let detail =
                    format!("a new link, valid {valid_days} days; the old one stops working");
                audit::record(
                    conn,
                    &actor,
                    Action::InvitationResent,
                    &subject,
                    &detail,
                    now,
                )?;
                super::clients::load_for_clinic(conn, &actor.id, &client_id)
            })
        })
        .await?;
    s.outbox.notify_one();
    Ok(bundle)
}

/// An accepted invitation: the access token (shown once) and the client.
pub struct Accepted {
    pub access_token: String,
    pub bundle: ClientBundle,
}

/// Exchanges an invitation token for an access token. Unknown, used and expired links
/// each say what to do.
pub async fn accept(s: &Services, token: String) -> Result<Accepted, Error> {
    let now = s.now();
    let unknown = || Error::NotFound("this invitation link is not valid".into());
    let token_id = tokens::parse_id(INVITATION_TOKEN_KIND, &token)
        .ok_or_else(unknown)?
        .to_string();
    let access = tokens::issue(CLIENT_TOKEN_KIND);
    let (access_id, access_hash) = (access.id.clone(), access.hash.clone());
    let bundle = s
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let client =
                    clients::find_by_invitation_id(conn, &token_id)?.ok_or_else(unknown)?;
                let stored = client
                    .invitation_token_hash
                    .as_deref()
                    .ok_or_else(unknown)?;
                if !tokens::verify(&token, stored) {
                    return Err(unknown());
                }
                if client.invitation_status == InvitationStatus::Accepted {
                    return Err(Error::Conflict(
                        "this invitation has already been accepted; ask your clinic for a new link"
                            .into(),
                    ));
                }
                if client
                    .invitation_expires_at
                    .is_some_and(|at| at.and_utc() <= now)
                {
                    return Err(Error::Gone(
                        "this invitation link has expired; ask your clinic for a new one".into(),
                    ));
                }
                let at = now.naive_utc();
                if !clients::accept_invitation(
                    conn,
                    &client.id,
                    &token_id,
                    (&access_id, &access_hash),
                    at,
                )? {
                    return Err(Error::Conflict(
                        "this invitation has already been accepted; ask your clinic for a new link"
                            .into(),
                    ));
                }
                let client = clients::find(conn, &client.id)?.ok_or_else(unknown)?;
                Ok(ClientBundle::load(conn, client)?)
            })
        })
        .await?;
    Ok(Accepted {
        access_token: access.token,
        bundle,
    })
}
