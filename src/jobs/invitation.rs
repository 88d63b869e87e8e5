//! Invitation emails, sent through the same outbox as reminders: claimed, retried
//! with backoff, settled. Their outcome is also written on the client (the status the
//! clinic sees), and the link leaves the outbox row once it is settled.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::dispatcher::{done, retry, settled, Channels, DispatchPolicy, Settled};
use crate::db::bundle::ClientBundle;
use crate::db::deliveries::{self, Delivery, Settlement};
use crate::db::{self, clients, clinics, DbConnection, StoreError};
use crate::domain::{DeliveryStatus, InvitationStatus};
use crate::notify::email::{OutgoingEmail, Recipient, SendError};
use crate::notify::templates::{self, InvitationEmail};
use crate::service::invitations::INVITATION_TOKEN_KIND;
use crate::tokens;

/// What the outbox row carries besides its target: the invitation's public id, never
/// its link (the secret is minted as the email is composed).
#[derive(Debug, serde::Deserialize)]
struct Payload {
    token_id: String,
    expires_at: DateTime<Utc>,
}

fn payload_of(delivery: &Delivery) -> Result<Payload, String> {
    serde_json::from_str(&delivery.payload).map_err(|e| format!("invitation payload: {e}"))
}

pub(super) async fn send(
    pool: &db::DbPool,
    channels: &Channels,
    policy: &DispatchPolicy,
    delivery: &Delivery,
    now: DateTime<Utc>,
) -> Result<Settled, StoreError> {
    let payload = match payload_of(delivery) {
        Ok(payload) => payload,
        Err(why) => return Ok(settled(done(DeliveryStatus::Failed, Some(why), None))),
    };
    let client_id = delivery.client_id.clone();
    let found = db::run(pool, move |conn| -> Result<_, StoreError> {
        let Some(client) = clients::find(conn, &client_id)? else {
            return Ok(None);
        };
        let clinic = clinics::find(conn, &client.clinic_id)?;
        Ok(Some((ClientBundle::load(conn, client)?, clinic)))
    })
    .await?;
    let Some((bundle, clinic)) = found else {
        return Ok(settled(done(
            DeliveryStatus::Cancelled,
            Some("client erased".into()),
            None,
        )));
    };
    let replaced = || {
        let why = "replaced by a newer invitation";
        Ok(settled(done(
            DeliveryStatus::Cancelled,
            Some(why.into()),
            None,
        )))
    };
    let Some(clinic) = clinic else {
        return Ok(settled(done(
            DeliveryStatus::Failed,
            Some("the clinic is gone".into()),
            None,
        )));
    };
    if bundle.client.invitation_token_id.as_deref() != Some(payload.token_id.as_str()) {
        return replaced();
    }
    // The link's secret, minted now and kept only as a hash. A retry mints another:
    // a link from an attempt that reached the client after all stops working, and the
    // newest email's link is the one that works.
    let token = tokens::issue_with_id(INVITATION_TOKEN_KIND, &payload.token_id);
    let (client_id, token_id, hash) = (
        delivery.client_id.clone(),
        payload.token_id.clone(),
        token.hash.clone(),
    );
    let armed = db::run(pool, move |conn| -> Result<bool, StoreError> {
        Ok(clients::arm_invitation(conn, &client_id, &token_id, &hash)?)
    })
    .await?;
    if !armed {
        return replaced();
    }
    let link = policy.links.invite(&token.token);
    let today = bundle.today(now);
    let rendered = templates::render_invitation(&InvitationEmail {
        client_name: bundle.client.name.clone(),
        clinic_name: clinic.name.clone(),
        clinic_email: clinic.reply_address().to_string(),
        accept_link: link,
        expires_on: payload
            .expires_at
            .with_timezone(&bundle.timezone())
            .date_naive(),
        first_session_on: bundle.sessions.iter().map(|s| s.date).find(|d| *d >= today),
    });
    let rendered = match rendered {
        Ok(rendered) => rendered,
        Err(e) => {
            return Ok(settled(done(
                DeliveryStatus::Failed,
                Some(format!("template: {e}")),
                None,
            )))
        }
    };
    let email = OutgoingEmail {
        to: Recipient::new(bundle.client.name.clone(), bundle.client.email.clone()),
        reply_to: Some(clinic.reply_address().to_string()),
        sender_name: Some(clinic.name),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        list_unsubscribe: None,
    };
    Ok(match channels.email(&email).await {
        Ok(_) => settled(done(DeliveryStatus::Sent, None, Some(now.naive_utc()))),
        Err(SendError::Permanent(reason)) => {
            tracing::warn!(client = %bundle.client.id, %reason, "invitation email refused");
            settled(done(DeliveryStatus::Failed, Some(reason), None))
        }
        Err(SendError::Transient(reason)) => {
            settled(retry(policy, delivery, now, reason, None, false))
        }
    })
}

/// Writes the invitation's status on the client (unless a newer invitation replaced
/// it), and drops the link from a settled row: only the token's hash is kept.
pub(super) fn record_outcome(
    conn: &mut DbConnection,
    delivery: &Delivery,
    settlement: &Settlement,
    at: NaiveDateTime,
) -> Result<(), StoreError> {
    let Ok(payload) = payload_of(delivery) else {
        return Ok(());
    };
    let error = settlement.last_error.as_deref();
    let status = match settlement.status {
        DeliveryStatus::Sent => InvitationStatus::Sent,
        DeliveryStatus::Failed | DeliveryStatus::Dead => InvitationStatus::Failed,
        // Still on its way: the clinic sees why it is late.
        DeliveryStatus::Retry => InvitationStatus::Pending,
        _ => return Ok(()),
    };
    let id = &delivery.client_id;
    clients::record_invitation_outcome(conn, id, &payload.token_id, status, error, at)?;
    if status != InvitationStatus::Pending {
        // Rows queued before links were minted at send time carried the link itself.
        let kept =
            serde_json::json!({ "token_id": payload.token_id, "expires_at": payload.expires_at });
        deliveries::replace_payload(conn, &delivery.id, &kept.to_string())?;
    }
    Ok(())
}
