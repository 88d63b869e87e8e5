//! Localized texts of the protocol and the small template language they use.

use std::collections::BTreeMap;

/// One text in several locales, keyed by locale tag ("en", "fr", "pt-BR").
pub type LocalizedText = BTreeMap<String, String>;

/// Every text must exist in this locale; lookups fall back to it.
pub const FALLBACK_LOCALE: &str = "en";

/// The placeholders a protocol text may use; `fill` replaces them.
pub const PLACEHOLDERS: &[&str] = &["day", "session", "next_session", "window_end", "years"];

/// The text for `locale`: the exact tag, else its language ("pt-BR" -> "pt"), else
/// English. Tags compare case-insensitively and accept `_` for `-`, because clients send
/// whatever their platform reports. Returns "" only for a text that lacks English, which
/// validation rules out.
pub fn pick<'a>(text: &'a LocalizedText, locale: &str) -> &'a str {
    let wanted = locale.trim().replace('_', "-").to_ascii_lowercase();
    let language = wanted.split('-').next().unwrap_or_default();
    let find = |tag: &str| {
        text.iter()
            .find(|(key, _)| key.replace('_', "-").eq_ignore_ascii_case(tag))
            .map(|(_, value)| value.as_str())
    };
    find(&wanted)
        .or_else(|| find(language))
        .or_else(|| find(FALLBACK_LOCALE))
        .unwrap_or_default()
}

/// The `{name}` placeholders a template uses, in order of appearance. A `{` that does
/// not start `{lowercase_name}` is plain text.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(close) = rest.find('}') {
            let name = &rest[..close];
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                found.push(name);
                rest = &rest[close + 1..];
            }
        }
    }
    found
}

/// Replaces each `{name}` of `values` in `template`; other braces are left alone.
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}
