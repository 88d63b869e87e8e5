//! Invitations: a single-use link, emailed to the client through the outbox (retried
//! like every reminder), exchanged for an access token shown once.

use crate::db;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::audit::{self, Action, Subject};
use super::{ClientBundle, ClientRecord, ClinicRef, Error, Services};
use crate::db::deliveries::{self, Delivery, INVITATION_KIND};
use crate::db::{clients, DbConnection};
use crate::domain::{Channel, DeliveryStatus, InvitationStatus};
use crate::metrics::InvitationOutcome;
use crate::tokens::{self, TokenKind};

/// Prefix of invitation tokens (in the emailed link).
pub const INVITATION_TOKEN_KIND: TokenKind = TokenKind::Invitation;
/// Prefix of client access tokens.
pub const CLIENT_TOKEN_KIND: TokenKind = TokenKind::ClientAccess;

/// What `issue` needs besides the connection.
pub struct Issue {
    pub valid_days: u32,
    pub now: DateTime<Utc>,
}

/// Issues a new invitation for `client_id` (the old link stops working) and queues
/// its email, in the caller's transaction: the client never exists without its
/// invitation on the way, and a failed send is retried, then shown to the clinic.
pub fn issue(conn: &mut DbConnection, client_id: &str, how: &Issue) -> Result<(), Error> {
    let now = how.now;
    let at = now.naive_utc();
    let client = clients::find(conn, client_id)?
        .ok_or_else(|| Error::NotFound(format!("no client {client_id}")))?;
    // The id is fixed now; the secret is minted when the email is composed
    // (`jobs::invitation`). Until then the stored hash is of a token nobody holds.
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
        "expires_at": expires,
    });
    let row = Delivery {
        id: uuid::Uuid::now_v7().to_string(),
        client_id: client_id.to_string(),
        local_date: now.with_timezone(&client.timezone.tz()).date_naive(),
        channel: Channel::Email,
        target: deliveries::invitation_target(&token.id),
        kind: INVITATION_KIND,
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
) -> Result<ClientRecord, Error> {
    let (actor, now) = (clinic.clone(), s.now());
    let valid_days = s.settings.invitations.valid_days;
    let bundle = s
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let before = super::clients::load_for_clinic(conn, &actor.id, &client_id)?;
                let how = Issue { valid_days, now };
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
    s.metrics.invitation(InvitationOutcome::Issued);
    s.outbox.notify_one();
    Ok(bundle.into())
}

/// An accepted invitation: the access token (shown once) and the client.
pub struct Accepted {
    pub access_token: String,
    pub bundle: ClientRecord,
}

/// Exchanges an invitation token for an access token. Unknown, used and expired links
/// each say what to do; each outcome is counted in the metrics.
pub async fn accept(s: &Services, token: String) -> Result<Accepted, Error> {
    let accepted = exchange(s, token).await;
    let outcome = match &accepted {
        Ok(_) => Some(InvitationOutcome::Accepted),
        Err(Error::NotFound(_)) => Some(InvitationOutcome::Invalid),
        Err(Error::Conflict(_)) => Some(InvitationOutcome::AlreadyAccepted),
        Err(Error::Gone(_)) => Some(InvitationOutcome::Expired),
        Err(_) => None,
    };
    if let Some(outcome) = outcome {
        s.metrics.invitation(outcome);
    }
    accepted
}

async fn exchange(s: &Services, token: String) -> Result<Accepted, Error> {
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
        bundle: bundle.into(),
    })
}

/// What an invitation link is, as its landing page tells it. Never changes anything:
/// mail scanners open links, and only the accept (a POST) spends the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvitationState {
    /// Valid until `expires_at`: the page offers the button that accepts it.
    Open {
        client_name: String,
        clinic_name: String,
        expires_at: DateTime<Utc>,
    },
    /// Accepted already (on this device or another).
    Accepted { clinic_name: String },
    /// Past its lifetime: the clinic can send a new one.
    Expired {
        clinic_name: String,
        clinic_email: String,
    },
    /// Not a link we issued, or one replaced by a newer invitation.
    Unknown,
}

/// Looks an invitation link up without spending it.
pub async fn inspect(s: &Services, token: String) -> Result<InvitationState, Error> {
    let now = s.now();
    let Some(token_id) = tokens::parse_id(INVITATION_TOKEN_KIND, &token).map(str::to_string) else {
        return Ok(InvitationState::Unknown);
    };
    s.db(move |conn| {
        let Some(client) = clients::find_by_invitation_id(conn, &token_id)? else {
            return Ok(InvitationState::Unknown);
        };
        let genuine = client
            .invitation_token_hash
            .as_deref()
            .is_some_and(|stored| tokens::verify(&token, stored));
        if !genuine {
            return Ok(InvitationState::Unknown);
        }
        let clinic = crate::db::clinics::find(conn, &client.clinic_id)?
            .ok_or_else(|| Error::internal(format!("clinic of client {} is missing", client.id)))?;
        let expires_at = client.invitation_expires_at.map(|at| at.and_utc());
        Ok(match (client.invitation_status, expires_at) {
            (InvitationStatus::Accepted, _) => InvitationState::Accepted {
                clinic_name: clinic.name,
            },
            (_, Some(at)) if at <= now => InvitationState::Expired {
                clinic_name: clinic.name,
                clinic_email: clinic.email,
            },
            (_, Some(expires_at)) => InvitationState::Open {
                client_name: client.name,
                clinic_name: clinic.name,
                expires_at,
            },
            (_, None) => InvitationState::Unknown,
        })
    })
    .await
}
