//! The protocol's texts: an English text where one is required, known placeholders,
//! one line each.

use super::ProtocolError;
use crate::domain::text::{placeholders, LocalizedText, FALLBACK_LOCALE, PLACEHOLDERS};

pub(super) fn required_text(
    entry: &str,
    field: &str,
    text: &Option<LocalizedText>,
) -> Result<LocalizedText, ProtocolError> {
    let text = text
        .as_ref()
        .ok_or_else(|| ProtocolError::invalid(entry, format!("missing {field}")))?;
    check_text(entry, field, text)?;
    if text[FALLBACK_LOCALE].trim().is_empty() {
        return Err(ProtocolError::invalid(
            entry,
            format!("{field} is empty in \"{FALLBACK_LOCALE}\""),
        ));
    }
    Ok(text.clone())
}

/// An optional text whose English is empty means "nothing to say" in every locale, so
/// an override can switch a sentence off with `starts_tomorrow.en = ""`.
pub(super) fn optional_text(
    entry: &str,
    field: &str,
    text: &Option<LocalizedText>,
) -> Result<Option<LocalizedText>, ProtocolError> {
    let Some(text) = text else {
        return Ok(None);
    };
    check_text(entry, field, text)?;
    Ok(Some(text.clone()).filter(|t| !t[FALLBACK_LOCALE].trim().is_empty()))
}

fn check_text(entry: &str, field: &str, text: &LocalizedText) -> Result<(), ProtocolError> {
    if !text.contains_key(FALLBACK_LOCALE) {
        return Err(ProtocolError::invalid(
            entry,
            format!("{field} has no \"{FALLBACK_LOCALE}\" text"),
        ));
    }
    for (locale, value) in text {
        // Texts reach calendar feeds, email headers and push payloads: a CR or LF
        // would start a new line (an iCalendar property, a header) there.
        if value.chars().any(char::is_control) {
            return Err(ProtocolError::invalid(
                entry,
                format!(
                    "{field} \"{locale}\" contains a control character (a line break or tab); \
                     write it on one line"
                ),
            ));
        }
        if let Some(bad) = placeholders(value)
            .into_iter()
            .find(|p| !PLACEHOLDERS.contains(p))
        {
            return Err(ProtocolError::invalid(
                entry,
                format!(
                    "{field} \"{locale}\" uses unknown placeholder {{{bad}}}; known: {}",
                    PLACEHOLDERS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// A required text shown as written: check-in texts sit beside what the client
/// reported, where no day, session or year is worked out, so a placeholder would reach
/// the client as `{day}`.
pub(super) fn required_plain_text(
    entry: &str,
    field: &str,
    text: &Option<LocalizedText>,
) -> Result<LocalizedText, ProtocolError> {
    let text = required_text(entry, field, text)?;
    for (locale, value) in &text {
        if let Some(name) = placeholders(value).first() {
            return Err(ProtocolError::invalid(
                entry,
                format!(
                    "{field} \"{locale}\" uses placeholder {{{name}}}; check-in texts are \
                     shown as written and take no placeholders"
                ),
            ));
        }
    }
    Ok(text)
}
