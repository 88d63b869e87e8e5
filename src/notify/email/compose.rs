//! Builds a lettre [`Message`] from an [`OutgoingEmail`]: addresses, sender override,
//! headers and the multipart/alternative body.

use lettre::message::header::ContentTransferEncoding;
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
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
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(readable_text(&email.text)))
                .singlepart(SinglePart::html(email.html.clone())),
        )
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

/// The plain-text part as it stands: 7bit (ASCII) or 8bit (UTF-8), never
/// quoted-printable, so a link copied out of a mail file (the file transport) or a raw
/// message works as written. Left to itself lettre soft-wraps every line longer than 76
/// characters with `=` line ends, which cuts links. Lines may be 998 octets (RFC 5322);
/// a text with a longer line, or a NUL, gets lettre's choice.
fn readable_text(text: &str) -> Body {
    let crlf = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n");
    let fits = !crlf.contains('\0') && crlf.split("\r\n").all(|line| line.len() <= 998);
    if !fits {
        return Body::new(text.to_string());
    }
    let encoding = if crlf.is_ascii() {
        ContentTransferEncoding::SevenBit
    } else {
        ContentTransferEncoding::EightBit
    };
    Body::dangerous_pre_encoded(crlf.into_bytes(), encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_with_text(text: &str) -> String {
        let email = OutgoingEmail {
            to: super::super::Recipient::new("Ana", "ana@client.test"),
            sender_name: None,
            reply_to: None,
            subject: "Sign in".to_string(),
            text: text.to_string(),
            html: format!("<p>{text}</p>"),
            list_unsubscribe: None,
        };
        let from: Mailbox = "SMP Aftercare <no-reply@care.test>".parse().unwrap();
        let (message, _) = compose(&from, &email).unwrap();
        String::from_utf8(message.formatted()).unwrap()
    }

    fn text_part(raw: &str) -> &str {
        let start = raw.find("Content-Type: text/plain").expect("a text part");
        let end = raw[start..].find("Content-Type: text/html").unwrap() + start;
        &raw[start..end]
    }

    #[test]
    fn a_long_link_stays_whole_in_the_text_part() {
        let link = format!(
            "http://127.0.0.1:8080/console/sign-in/smpl_{}_{}?next=%2Fconsole%2Fclients",
            "a".repeat(26),
            "b".repeat(43)
        );
        let raw = raw_with_text(&format!(
            "Here is your link to sign in to Northside SMP's aftercare console, valid for 15 minutes:\n\n{link}\n"
        ));
        let part = text_part(&raw);
        assert!(part.contains("Content-Transfer-Encoding: 7bit"), "{part}");
        assert!(part.contains(&format!("\r\n{link}\r\n")), "{part}");
        assert!(!part.contains("=\r\n"), "soft line breaks: {part}");
    }

    #[test]
    fn non_ascii_text_is_8bit_not_quoted_printable() {
        let raw =
            raw_with_text("Hi Zoë, your link: http://127.0.0.1:8080/console/sign-in/smpl_x_y");
        let part = text_part(&raw);
        assert!(part.contains("Content-Transfer-Encoding: 8bit"), "{part}");
        assert!(part.contains("Hi Zoë, your link: http://127.0.0.1:8080/console/sign-in/smpl_x_y"));
    }

    #[test]
    fn a_line_too_long_for_smtp_falls_back_to_an_encoding() {
        let raw = raw_with_text(&"x".repeat(1200));
        let part = text_part(&raw);
        assert!(!part.contains("Content-Transfer-Encoding: 7bit"), "{part}");
        assert!(part.lines().all(|line| line.len() <= 998));
    }
}
