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
    // Compared in place: every text of every day and reminder is picked here, and
    // normalising each tag into a new string was a visible share of planning.
    let wanted = locale.trim();
    let language = wanted.split(['-', '_']).next().unwrap_or_default();
    let find = |tag: &str| {
        text.iter()
            .find(|(key, _)| same_tag(key, tag))
            .map(|(_, value)| value.as_str())
    };
    find(wanted)
        .or_else(|| find(language))
        .or_else(|| find(FALLBACK_LOCALE))
        .unwrap_or_default()
}

/// Locale tags compared case-insensitively, `_` the same as `-`.
fn same_tag(a: &str, b: &str) -> bool {
    let norm = |c: u8| {
        if c == b'_' {
            b'-'
        } else {
            c.to_ascii_lowercase()
        }
    };
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| norm(x) == norm(y))
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
/// One pass over the template: a value is never searched for placeholders itself.
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (v, close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_known_placeholders_once_and_leaves_other_braces() {
        let values = [("day", "3".to_string()), ("session", "{day}".to_string())];
        assert_eq!(fill("Day {day} of {day}", &values), "Day 3 of 3");
        // A value is not searched again; unknown names and stray braces stay as written.
        assert_eq!(fill("{session}/{years}", &values), "{day}/{years}");
        assert_eq!(fill("a { b } {day", &values), "a { b } {day");
        assert_eq!(fill("{{day}}", &values), "{3}");
        assert_eq!(fill("", &values), "");
        assert_eq!(fill("é {day} ü", &values), "é 3 ü");
    }

    #[test]
    fn pick_matches_tags_loosely_and_falls_back() {
        let text: LocalizedText = [
            ("en", "hello"),
            ("pt", "olá"),
            ("pt-BR", "oi"),
            ("fr_CA", "allo"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(pick(&text, "pt-BR"), "oi");
        assert_eq!(pick(&text, " pt_br "), "oi");
        assert_eq!(pick(&text, "PT-PT"), "olá");
        assert_eq!(pick(&text, "fr-ca"), "allo");
        assert_eq!(pick(&text, "fr"), "hello");
        assert_eq!(pick(&text, "de"), "hello");
        assert_eq!(pick(&text, ""), "hello");
    }
}
