//! Every text the web faces show a client comes from one file per locale,
//! `src/web/assets/locales/{locale}.json` (English now). The server reads it for the
//! pages it renders; the client app's script loads the same file as an asset. Texts of
//! the healing protocol (stages, rules, milestones) come from the protocol instead.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

/// The locale every text exists in, and the fallback for the others.
pub const FALLBACK: &str = "en";

fn catalogues() -> &'static HashMap<String, Value> {
    static ALL: OnceLock<HashMap<String, Value>> = OnceLock::new();
    ALL.get_or_init(|| {
        super::assets::paths()
            .filter_map(|path| {
                let locale = path
                    .strip_prefix("locales/")?
                    .strip_suffix(".json")?
                    .to_string();
                let asset = super::assets::get(&path)?;
                // Embedded at build time; `every_catalogue_parses` guards them.
                let value = serde_json::from_slice(&asset.bytes)
                    .unwrap_or_else(|e| panic!("locale file {path}: {e}"));
                Some((locale, value))
            })
            .collect()
    })
}

/// The catalogue's asset path for `locale` (the fallback's when there is none).
pub fn asset_path(locale: &str) -> String {
    let locale = if catalogues().contains_key(locale) {
        locale
    } else {
        FALLBACK
    };
    format!("locales/{locale}.json")
}

fn lookup<'a>(catalogue: &'a Value, key: &str) -> Option<&'a str> {
    key.split('.')
        .try_fold(catalogue, |node, part| match node {
            Value::Array(items) => items.get(part.parse::<usize>().ok()?),
            _ => node.get(part),
        })
        .and_then(Value::as_str)
}

/// The text at `key` (dotted: `invite.title`) in `locale`, else in English. A key that
/// does not exist is a bug: logged, and shown as the key itself.
pub fn text(locale: &str, key: &str) -> String {
    let all = catalogues();
    all.get(locale)
        .and_then(|c| lookup(c, key))
        .or_else(|| all.get(FALLBACK).and_then(|c| lookup(c, key)))
        .map(str::to_string)
        .unwrap_or_else(|| {
            tracing::error!(key, locale, "a text is missing from the locale files");
            key.to_string()
        })
}

/// `text` with `{name}` placeholders filled in.
pub fn text_with(locale: &str, key: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(text(locale, key), |out, (name, value)| {
        out.replace(&format!("{{{name}}}"), value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_parses_and_english_exists() {
        assert!(
            catalogues().contains_key(FALLBACK),
            "{:?}",
            catalogues().keys()
        );
    }

    #[test]
    fn placeholders_are_filled_and_unknown_keys_show_themselves() {
        assert_eq!(
            text_with("en", "timeline.session", &[("n", "2")]),
            "Session 2"
        );
        assert_eq!(text("xx", "timeline.today"), "Today");
        assert_eq!(text("en", "no.such.key"), "no.such.key");
    }
}
