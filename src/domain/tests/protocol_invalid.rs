//! Invalid protocol files and override documents are refused with an error that names
//! the offending entry.

use crate::domain::protocol::{Protocol, ProtocolError, ProtocolOverrides};

pub(super) const DEFAULT_TOML: &str = include_str!("../../../config/protocol.toml");

/// The default file with one passage replaced; panics if the passage is not there, so
/// a test cannot pass by editing nothing.
pub(super) fn edited(from: &str, to: &str) -> String {
    assert!(
        DEFAULT_TOML.contains(from),
        "passage not in protocol.toml: {from}"
    );
    DEFAULT_TOML.replacen(from, to, 1)
}

pub(super) fn file_error(text: &str) -> String {
    Protocol::from_toml_str(text)
        .expect_err("the protocol must be refused")
        .to_string()
}

pub(super) fn override_error(toml_text: &str) -> String {
    let overrides = ProtocolOverrides::from_toml_str(toml_text).expect("well-formed TOML");
    Protocol::default_protocol()
        .with_overrides(&overrides)
        .expect_err("the override must be refused")
        .to_string()
}

const RULE_IDS: &str = "no_washing, no_heavy_sweating, no_swimming, gentle_washing_ok, \
                        avoid_sun, daily_spf, no_pools_saunas_heavy_exercise";

#[test]
fn overlapping_stages_are_refused() {
    let text = edited(
        "[stages.fresh]\nscope = \"every_session\"\nfrom = 1\nto = 3",
        "[stages.fresh]\nscope = \"every_session\"\nfrom = 1\nto = 4",
    );
    assert_eq!(
        file_error(&text),
        "stages \"fresh\" and \"settling\": ranges 1-4 and 4-6 overlap on day 4 after a \
         non-final session"
    );
}

#[test]
fn a_stage_gap_is_refused() {
    let text = edited(
        "[stages.healing]\nscope = \"final_session\"\nfrom = 7\nto = 29",
        "[stages.healing]\nscope = \"final_session\"\nfrom = 7\nto = 28",
    );
    assert_eq!(
        file_error(&text),
        "stages: no stage covers day 29 after the final session"
    );
}

#[test]
fn an_empty_range_is_refused() {
    let text = edited(
        "[rules.avoid_sun]\nscope = \"every_session\"\nfrom = 0\nto = 10",
        "[rules.avoid_sun]\nscope = \"every_session\"\nfrom = 12\nto = 10",
    );
    assert_eq!(
        file_error(&text),
        "rule \"avoid_sun\": range 12-10 is empty"
    );
}

#[test]
fn an_unknown_rule_is_refused() {
    let text = edited("[rules.no_swimming]", "[rules.no_swim]");
    assert_eq!(
        file_error(&text),
        format!("rule \"no_swim\": unknown rule; expected one of: {RULE_IDS}")
    );
}

#[test]
fn an_unknown_stage_is_refused() {
    let text = edited("[stages.settled]", "[stages.setled]");
    assert_eq!(
        file_error(&text),
        "stage \"setled\": unknown stage; expected one of: pre_treatment, session_day, \
         fresh, settling, settled, healing, healed"
    );
}

#[test]
fn a_missing_text_is_refused() {
    let text = edited("text.en = \"Do not swim.\"\n", "");
    assert_eq!(file_error(&text), "rule \"no_swimming\": missing text");
}

#[test]
fn a_text_without_english_is_refused() {
    let text = edited("text.en = \"Do not swim.\"", "text.fr = \"Ne nagez pas.\"");
    assert_eq!(
        file_error(&text),
        "rule \"no_swimming\": text has no \"en\" text"
    );
}

#[test]
fn a_missing_stage_is_refused() {
    let mut source = Protocol::default_protocol().source().clone();
    source.stages.remove("healed");
    let error = Protocol::from_source(source).unwrap_err();
    assert_eq!(error.to_string(), "stage \"healed\": is missing");
}

#[test]
fn a_missing_reminder_text_is_refused() {
    let mut source = Protocol::default_protocol().source().clone();
    source.reminders.remove("touch_up_due");
    let error = Protocol::from_source(source).unwrap_err();
    assert_eq!(error.to_string(), "reminder \"touch_up_due\": is missing");
}

#[test]
fn an_unknown_field_is_refused_by_the_parser() {
    let text = edited(
        "[rules.no_swimming]\n",
        "[rules.no_swimming]\ncolour = \"red\"\n",
    );
    let error = Protocol::from_toml_str(&text).unwrap_err();
    assert!(matches!(error, ProtocolError::Syntax(_)), "{error:?}");
    assert!(
        error.to_string().contains("unknown field `colour`"),
        "{error}"
    );
}

#[test]
fn broken_toml_is_a_syntax_error() {
    let error = Protocol::from_toml_str("rules = [").unwrap_err();
    assert!(matches!(error, ProtocolError::Syntax(_)), "{error:?}");
}

// The override files under tests/fixtures/protocols/ (usable with `preview --protocol`).

#[test]
fn override_file_with_overlapping_rules_is_refused() {
    let text = include_str!("../../../tests/fixtures/protocols/invalid_overlap.toml");
    assert_eq!(
        override_error(text),
        "rules \"no_washing\" and \"gentle_washing_ok\": ranges 0-6 and 5+ overlap on day 5 \
         after a non-final session"
    );
}

#[test]
fn override_file_with_an_empty_range_is_refused() {
    let text = include_str!("../../../tests/fixtures/protocols/invalid_empty_range.toml");
    assert_eq!(
        override_error(text),
        "rule \"avoid_sun\": range 12-10 is empty"
    );
}

#[test]
fn override_file_with_an_unknown_rule_is_refused() {
    let text = include_str!("../../../tests/fixtures/protocols/invalid_unknown_rule.toml");
    assert_eq!(
        override_error(text),
        format!("rule \"no_wash\": unknown rule; expected one of: {RULE_IDS}")
    );
}

#[test]
fn override_file_with_an_empty_text_is_refused() {
    let text = include_str!("../../../tests/fixtures/protocols/invalid_missing_text.toml");
    assert_eq!(
        override_error(text),
        "rule \"avoid_sun\": text is empty in \"en\""
    );
}

#[test]
fn rule_references_are_checked() {
    assert_eq!(
        override_error("rules.gentle_washing_ok.from = \"no_washing\""),
        "rule \"no_washing\": range refers back to itself through \"no_washing\" -> \
         \"gentle_washing_ok\""
    );
    assert_eq!(
        override_error("rules.daily_spf.from = \"avoid_sunn\""),
        format!(
            "rule \"daily_spf\": from names unknown rule \"avoid_sunn\"; expected a day \
             number, \"for_good\" or one of: {RULE_IDS}"
        )
    );
    assert_eq!(
        override_error("rules.avoid_sun.to = \"for_good\""),
        "rule \"daily_spf\": from refers to \"avoid_sun\", which never ends"
    );
    assert_eq!(
        override_error("rules.avoid_sun.from = \"for_good\""),
        "rule \"avoid_sun\": from cannot be \"for_good\""
    );
    assert_eq!(
        override_error("stages.fresh.from = \"avoid_sun\""),
        "stage \"fresh\": from must be a day number, not \"avoid_sun\""
    );
}

#[test]
fn numbers_out_of_range_are_refused() {
    assert_eq!(
        override_error("touch_up_after_years = 6"),
        "touch_up_after_years: 6 is outside 3-5"
    );
    assert_eq!(
        override_error("touch_up_after_years = 2"),
        "touch_up_after_years: 2 is outside 3-5"
    );
    assert_eq!(
        override_error("planned_sessions = 0"),
        "planned_sessions: 0 is outside 1-10"
    );
    assert_eq!(
        override_error("next_session_window.to = 5"),
        "next_session_window: range 7-5 is empty"
    );
    assert_eq!(
        override_error("rules.avoid_sun.to = 400"),
        "rule \"avoid_sun\": range 0-400 goes beyond day 365; use to = \"for_good\""
    );
}

#[test]
fn unknown_scopes_and_placeholders_are_refused() {
    assert_eq!(
        override_error("rules.avoid_sun.scope = \"always\""),
        "rule \"avoid_sun\": unknown scope \"always\"; expected one of: every_session, \
         non_final_session, final_session"
    );
    assert_eq!(
        override_error("reminders.touch_up_due.text.en = \"{yeras} years on\""),
        "reminder \"touch_up_due\": text \"en\" uses unknown placeholder {yeras}; known: \
         day, session, next_session, window_end, years"
    );
    assert_eq!(
        override_error("stages.pre_treatment.from = 0"),
        "stage \"pre_treatment\": takes no scope, from or to: it is the time before the \
         first session"
    );
}

#[test]
fn json_overrides_refuse_unknown_fields() {
    let error =
        ProtocolOverrides::from_json_str(r#"{"rules":{"avoid_sun":{"form":3}}}"#).unwrap_err();
    assert!(matches!(error, ProtocolError::Syntax(_)), "{error:?}");
    assert!(
        error.to_string().contains("unknown field `form`"),
        "{error}"
    );
}

/// A line break in any text would open a property of its own in the calendar feed
/// (and a header in an email): refused with the entry at fault, in every locale.
#[test]
fn control_characters_in_texts_are_refused() {
    for (toml_text, entry) in [
        (
            "[rules.no_washing]\ntext.en = \"Do not wash\\r\\nBEGIN:VALARM\"\n",
            "no_washing",
        ),
        (
            "[stages.fresh]\ntitle.en = \"Fresh\"\ntitle.es = \"Fresco\\nX\"\n",
            "fresh",
        ),
        (
            "[phrases]\nsession_tomorrow.en = \"Tomorrow\\tsession\"\n",
            "session_tomorrow",
        ),
    ] {
        let error = override_error(toml_text);
        assert!(error.contains(entry), "{entry}: {error}");
        assert!(error.contains("control character"), "{error}");
    }
}
