//! The `Topic` header (RFC 8030 §5.4): checking and sanitizing a topic.

use super::MAX_TOPIC_LEN;

/// True when `topic` can be sent as a `Topic` header as it is: 1 to 32 characters of the
/// base64url alphabet (`A-Z a-z 0-9 - _`).
pub fn is_valid_topic(topic: &str) -> bool {
    !topic.is_empty()
        && topic.len() <= MAX_TOPIC_LEN
        && topic
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Makes a valid `Topic` out of any string: leading and trailing whitespace dropped, every
/// other character outside the base64url alphabet replaced by `-`, cut to 32 characters.
/// `None` when nothing usable is left (empty, or only replaced characters).
pub fn sanitize_topic(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut usable = false;
    for c in raw.trim().chars().take(MAX_TOPIC_LEN) {
        if c.is_ascii_alphanumeric() || c == '_' {
            usable = true;
            out.push(c);
        } else if c == '-' {
            out.push(c);
        } else {
            out.push('-');
        }
    }
    if usable {
        debug_assert!(is_valid_topic(&out));
        Some(out)
    } else {
        None
    }
}
