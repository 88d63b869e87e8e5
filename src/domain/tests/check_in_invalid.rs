//! A `check_in` section with a gap, an overlap, a missing English text, a control
//! character or an unknown name is refused with a message naming the entry.

use crate::domain::ids::{CheckInLevel, Symptom};
use crate::domain::protocol::{Protocol, ProtocolOverrides};

// The same edit-and-refuse helpers as the rules' invalid-protocol tests.
use super::protocol_invalid::{edited, file_error, override_error, DEFAULT_TOML};

#[test]
fn a_gap_at_the_start_is_refused() {
    let text = edited(
        "  { from = 0, to = 2, level = \"watch\" },\n  { from = 3, to = 10, level = \"expected\" },",
        "  { from = 3, to = 10, level = \"expected\" },",
    );
    assert_eq!(
        file_error(&text),
        "symptom \"itching\": no level covers day 0 after a non-final session"
    );
}

#[test]
fn a_gap_in_the_middle_is_refused() {
    let error = override_error(
        "[check_in.symptoms.flaking]\n\
         days = [{ from = 0, to = 3, level = \"watch\" }, { from = 5, to = \"for_good\", level = \"watch\" }]",
    );
    assert_eq!(
        error,
        "symptom \"flaking\": no level covers day 4 after a non-final session"
    );
}

#[test]
fn a_symptom_that_ends_is_refused_after_the_final_session_too() {
    let error = override_error(
        "[check_in.symptoms.swelling]\n\
         days = [{ from = 0, to = 3, level = \"expected\" }, { from = 4, to = 60, level = \"watch\" }]",
    );
    assert_eq!(
        error,
        "symptom \"swelling\": no level covers day 61 after a non-final session"
    );
    // Covered after non-final sessions only: the final session (up to healed and
    // after) has a gap.
    let error = override_error(
        "[check_in.symptoms.redness]\n\
         days = [\n\
           { from = 0, to = 3, level = \"expected\" },\n\
           { from = 4, to = \"for_good\", level = \"watch\", scope = \"non_final_session\" },\n\
           { from = 4, to = 29, level = \"watch\", scope = \"final_session\" },\n\
         ]",
    );
    assert_eq!(
        error,
        "symptom \"redness\": no level covers day 30 after the final session"
    );
}

#[test]
fn overlapping_days_are_refused() {
    let error = override_error(
        "[check_in.symptoms.itching]\n\
         days = [{ from = 0, to = 3, level = \"expected\" }, { from = 3, to = \"for_good\", level = \"watch\" }]",
    );
    assert_eq!(
        error,
        "symptom \"itching\": days 0-3 (expected) and 3+ (watch) overlap on day 3 after a \
         non-final session"
    );
    // After an open-ended range nothing else fits.
    let error = override_error(
        "[check_in.symptoms.discharge]\n\
         days = [{ from = 0, to = \"for_good\", level = \"urgent\" }, \
                 { from = 40, to = 50, level = \"urgent\", scope = \"final_session\" }]",
    );
    assert_eq!(
        error,
        "symptom \"discharge\": days 0+ (urgent) and 40-50 (urgent) overlap on day 40 after \
         the final session"
    );
}

#[test]
fn a_level_without_an_english_text_is_refused() {
    // Bumps now expected on days 0-1, but there is no reassurance to read.
    let error = override_error(
        "[check_in.symptoms.bumps_or_rash]\n\
         days = [{ from = 0, to = 1, level = \"expected\" }, { from = 2, to = \"for_good\", level = \"watch\" }]",
    );
    assert_eq!(error, "symptom \"bumps_or_rash\": missing expected");
    let error = override_error(
        "[check_in.symptoms.bumps_or_rash]\n\
         days = [{ from = 0, to = 1, level = \"expected\" }, { from = 2, to = \"for_good\", level = \"watch\" }]\n\
         expected.fr = \"Normal.\"",
    );
    assert_eq!(
        error,
        "symptom \"bumps_or_rash\": expected has no \"en\" text"
    );
    let text = edited("label.en = \"Redness\"", "label.fr = \"Rougeur\"");
    assert_eq!(
        file_error(&text),
        "symptom \"redness\": label has no \"en\" text"
    );
    let error = override_error("check_in.photo_requests.healed_result.text.en = \" \"");
    assert_eq!(
        error,
        "photo request \"healed_result\": text is empty in \"en\""
    );
}

#[test]
fn control_characters_and_placeholders_are_refused() {
    let error = override_error("check_in.symptoms.swelling.watch.en = \"Call us.\\nToday.\"");
    assert_eq!(
        error,
        "symptom \"swelling\": watch \"en\" contains a control character (a line break or \
         tab); write it on one line"
    );
    let error = override_error("check_in.symptoms.swelling.label.de = \"Schwellung\\t\"");
    assert!(
        error.starts_with("symptom \"swelling\": label \"de\" contains a control character"),
        "{error}"
    );
    let error = override_error("check_in.photo_requests.fade_record.title.en = \"Year {years}\"");
    assert_eq!(
        error,
        "photo request \"fade_record\": title \"en\" uses placeholder {years}; check-in texts \
         are shown as written and take no placeholders"
    );
}

#[test]
fn unknown_names_and_bad_values_name_their_entry() {
    let error = override_error("check_in.symptoms.hair_loss.label.en = \"Hair loss\"");
    assert!(
        error.starts_with("symptom \"hair_loss\": unknown symptom; expected one of: redness,"),
        "{error}"
    );
    let error = override_error(
        "check_in.symptoms.itching.days = [{ from = 0, to = \"for_good\", level = \"fine\" }]",
    );
    assert_eq!(
        error,
        "symptom \"itching\", days entry 1: unknown check-in level; expected one of: \
         expected, watch, urgent"
    );
    let error = override_error(
        "check_in.symptoms.itching.days = [{ from = 0, to = \"avoid_sun\", level = \"watch\" }]",
    );
    assert_eq!(
        error,
        "symptom \"itching\", days entry 1: to must be a day number or \"for_good\", not \
         \"avoid_sun\""
    );
    let error = override_error(
        "check_in.symptoms.itching.days = [{ from = 0, to = \"for_good\", level = \"watch\", \
         scope = \"sometimes\" }]",
    );
    assert!(
        error.starts_with("symptom \"itching\", days entry 1: unknown scope \"sometimes\""),
        "{error}"
    );
    let error = override_error("check_in.symptoms.itching.days = []");
    assert_eq!(error, "symptom \"itching\": missing days");
    let error = override_error("check_in.symptoms.itching.icon = \"Itch <b>\"");
    assert!(
        error.starts_with("symptom \"itching\": icon \"Itch <b>\" must be a name"),
        "{error}"
    );
    let error = override_error("check_in.photo_requests.selfie.day = 3");
    assert!(
        error.starts_with("photo request \"selfie\": unknown photo request; expected one of"),
        "{error}"
    );
    let error = override_error("check_in.photo_requests.plan_next_session.day = 0");
    assert_eq!(
        error,
        "photo request \"plan_next_session\": day 0 is outside 1-365"
    );
    let error = override_error("check_in.photo_requests.fade_record.day = 400");
    assert_eq!(
        error,
        "photo request \"fade_record\": takes every_months, not day: it repeats after the \
         final session"
    );
    let error = override_error("check_in.photo_requests.fade_record.every_months = 0");
    assert_eq!(
        error,
        "photo request \"fade_record\": every_months 0 is outside 1-60"
    );
}

#[test]
fn a_protocol_without_its_check_in_is_refused() {
    let start = DEFAULT_TOML
        .find(
            "# -------------------------------------------------------------------------- check-in",
        )
        .expect("the check-in section's heading");
    assert_eq!(file_error(&DEFAULT_TOML[..start]), "check_in: is missing");
    let text = DEFAULT_TOML.replacen(
        "[check_in.symptoms.fever_or_unwell]",
        "[check_in.symptoms.fever_x]",
        1,
    );
    assert!(
        file_error(&text).starts_with("symptom \"fever_x\": unknown symptom"),
        "{}",
        file_error(&text)
    );
    let text = edited(
        "[check_in.photo_requests.healed_result]\nday = 30\n",
        "[check_in.photo_requests.healed_result]\n",
    );
    assert_eq!(
        file_error(&text),
        "photo request \"healed_result\": missing day"
    );
}

#[test]
fn a_valid_override_of_the_days_is_applied_whole() {
    let overrides = ProtocolOverrides::from_toml_str(
        "check_in.symptoms.itching.days = [\n\
           { from = 0, to = 14, level = \"expected\" },\n\
           { from = 15, to = \"for_good\", level = \"watch\" },\n\
         ]\n\
         check_in.symptoms.itching.expected.fr = \"Normal.\"",
    )
    .unwrap();
    let protocol = Protocol::default_protocol()
        .with_overrides(&overrides)
        .unwrap();
    let check_in = protocol.check_in();
    assert_eq!(
        check_in.level(Symptom::Itching, 1, false),
        Some(CheckInLevel::Expected)
    );
    assert_eq!(
        check_in.level(Symptom::Itching, 15, true),
        Some(CheckInLevel::Watch)
    );
    assert_eq!(check_in.symptom(Symptom::Itching).days.len(), 2);
    // Texts merge per locale: the English stays, French is added.
    assert_eq!(
        check_in.text(Symptom::Itching, CheckInLevel::Expected, "fr"),
        "Normal."
    );
    assert_eq!(
        check_in.text(Symptom::Itching, CheckInLevel::Expected, "en"),
        Protocol::default_protocol().check_in().text(
            Symptom::Itching,
            CheckInLevel::Expected,
            "en"
        )
    );
}
