//! One delivery on its channel: a push to a subscription, a reminder email.

use chrono::{DateTime, Duration, Utc};

use super::{
    done, retry, settled, Channels, DispatchPolicy, Settled, CANCELLED, FAILED,
    PUSH_NOT_CONFIGURED, SENT,
};
use crate::db::deliveries::Delivery;
use crate::db::push_subscriptions::PushSubscription;
use crate::db::{self, clients, clinics, DbPool, StoreError};
use crate::notify::email::{OutgoingEmail, Recipient, SendError};
use crate::notify::push::{PushMessage, PushOutcome, PushTarget, PushUrgency};
use crate::notify::templates::{self, ReminderEmail};

pub(super) async fn send_push(
    channels: &Channels,
    policy: &DispatchPolicy,
    delivery: &Delivery,
    subscription: Option<PushSubscription>,
    now: DateTime<Utc>,
) -> Settled {
    let Some(sender) = &channels.push else {
        return settled(retry(
            policy,
            delivery,
            now,
            PUSH_NOT_CONFIGURED.into(),
            Some(Duration::minutes(15)),
            true,
        ));
    };
    let Some(subscription) = subscription.filter(|s| s.disabled_at.is_none()) else {
        return settled(done(
            CANCELLED,
            Some("push subscription removed".into()),
            None,
        ));
    };
    let stale_in = (delivery.stale_at.and_utc() - now).num_seconds().max(0);
    let message = PushMessage {
        payload: delivery.payload.clone().into_bytes(),
        ttl_secs: u32::try_from(stale_in).unwrap_or(u32::MAX),
        urgency: PushUrgency::Normal,
        topic: Some(delivery.kind.as_str().replace('_', "-")),
    };
    let target = PushTarget {
        endpoint: subscription.endpoint,
        p256dh: subscription.p256dh,
        auth: subscription.auth,
    };
    match channels.push(sender, &target, &message).await {
        PushOutcome::Sent { .. } => settled(done(SENT, None, Some(now.naive_utc()))),
        PushOutcome::Gone { status, reason } => {
            let why = format!("push service says the subscription is gone ({status}): {reason}");
            Settled {
                settlement: done(FAILED, Some(why.clone()), None),
                disable_subscription: Some(why),
            }
        }
        // The sender has already logged it loudly.
        PushOutcome::Permanent { status, reason } => settled(done(
            FAILED,
            Some(format!("push rejected ({status:?}): {reason}")),
            None,
        )),
        PushOutcome::RetryAfter { after, reason } => settled(retry(
            policy,
            delivery,
            now,
            format!("push service asked to wait: {reason}"),
            Some(Duration::from_std(after).unwrap_or(Duration::minutes(1))),
            true,
        )),
        PushOutcome::Transient { status, reason } => settled(retry(
            policy,
            delivery,
            now,
            format!("push failed ({status:?}): {reason}"),
            None,
            false,
        )),
    }
}

pub(super) async fn send_email(
    pool: &DbPool,
    channels: &Channels,
    policy: &DispatchPolicy,
    delivery: &Delivery,
    now: DateTime<Utc>,
) -> Result<Settled, StoreError> {
    let client_id = delivery.client_id.clone();
    let found = db::run(pool, move |conn| -> Result<_, StoreError> {
        let Some(client) = clients::find(conn, &client_id)? else {
            return Ok(None);
        };
        let clinic = clinics::find(conn, &client.clinic_id)?;
        Ok(Some((client, clinic)))
    })
    .await?;
    let Some((client, clinic)) = found else {
        return Ok(settled(done(CANCELLED, Some("client erased".into()), None)));
    };
    if !client.email_enabled {
        return Ok(settled(done(
            CANCELLED,
            Some("email reminders are turned off".into()),
            None,
        )));
    }
    let clinic_name = clinic.as_ref().map(|c| c.name.clone()).unwrap_or_default();
    let unsubscribe_url = policy.links.unsubscribe(
        &db::unsubscribe_tokens::issue_for_email(pool, &client.id, now.naive_utc()).await?,
    );
    let rendered = match templates::render_reminder(&ReminderEmail {
        client_name: client.name.clone(),
        clinic_name: clinic_name.clone(),
        title: delivery.title.clone(),
        body: delivery.body.clone(),
        day_url: policy.links.day(delivery.local_date),
        unsubscribe_url: unsubscribe_url.clone(),
    }) {
        Ok(rendered) => rendered,
        Err(e) => return Ok(settled(done(FAILED, Some(format!("template: {e}")), None))),
    };
    let email = OutgoingEmail {
        to: Recipient::new(client.name, client.email),
        sender_name: Some(clinic_name).filter(|n| !n.is_empty()),
        reply_to: clinic.map(|c| c.reply_address().to_string()),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        list_unsubscribe: url::Url::parse(&unsubscribe_url).ok(),
    };
    Ok(match channels.email(&email).await {
        Ok(_) => settled(done(SENT, None, Some(now.naive_utc()))),
        Err(SendError::Permanent(reason)) => {
            tracing::error!(delivery = %delivery.id, %reason, "email rejected permanently");
            settled(done(
                FAILED,
                Some(format!("email rejected: {reason}")),
                None,
            ))
        }
        Err(SendError::Transient(reason)) => settled(retry(
            policy,
            delivery,
            now,
            format!("email failed: {reason}"),
            None,
            false,
        )),
    })
}
