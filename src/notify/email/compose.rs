//! Builds a lettre [`Message`] from an [`OutgoingEmail`]: addresses, sender override,
//! headers and the multipart/alternative body.

use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};

use super::headers::{AutoSubmitted, ListUnsubscribe, ListUnsubscribePost};
use super::{OutgoingEmail, SendError};

/// Builds the message; returns it with its `Message-ID`.
pub(super) fn compose(
    from: &Mailbox,
    email: &OutgoingEmail,
) -> Result<(Message, String), SendError> {
    let to_address: Address = email.to.address.trim().parse().map_err(|e| {
        SendError::Permanent(format!(
            "invalid recipient address {:?}: {e}",
            email.to.address
        ))
    })?;
    let to = Mailbox::new(clean_name(email.to.name.as_deref()), to_address);

    let sender = match clean_name(email.sender_name.as_deref()) {
        Some(name) => Mailbox::new(Some(name), from.email.clone()),
        None => from.clone(),
    };

    let message_id = format!(
        "<{}@{}>",
        uuid::Uuid::new_v4().simple(),
        from.email.domain()
    );

    let mut builder = Message::builder()
        .from(sender)
        .to(to)
        .subject(single_line(&email.subject))
        .message_id(Some(message_id.clone()))
        .date_now()
        .header(AutoSubmitted::auto_generated());

    if let Some(reply_to) = email.reply_to.as_deref().filter(|r| !r.trim().is_empty()) {
        let reply_to = parse_mailbox_or_address(reply_to).map_err(|e| {
            SendError::Permanent(format!("invalid Reply-To address {reply_to:?}: {e}"))
        })?;
        builder = builder.reply_to(reply_to);
    }

    if let Some(url) = &email.list_unsubscribe {
        if !matches!(url.scheme(), "https" | "http") {
            return Err(SendError::Permanent(format!(
                "List-Unsubscribe must be an https URL for one-click unsubscribe, not {url}"
            )));
        }
        builder = builder
            .header(ListUnsubscribe(url.clone()))
            .header(ListUnsubscribePost);
    }

    let message = builder
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))?;
    Ok((message, message_id))
}

fn parse_mailbox_or_address(raw: &str) -> Result<Mailbox, String> {
    let raw = raw.trim();
    match raw.parse::<Mailbox>() {
        Ok(mailbox) => Ok(mailbox),
        Err(e) => raw
            .parse::<Address>()
            .map(Mailbox::from)
            .map_err(|_| e.to_string()),
    }
}

/// Display names come from clinics and clients: drop control characters (line breaks
/// above all) and collapse whitespace; lettre quotes or RFC 2047-encodes the rest.
fn clean_name(name: Option<&str>) -> Option<String> {
    let name = single_line(name?);
    (!name.is_empty()).then_some(name)
}

fn single_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
