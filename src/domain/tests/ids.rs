//! The stable identifiers are a public contract: serde, `as_str` and `FromStr` agree.

use std::str::FromStr;

use crate::domain::ids::{Channel, ReminderKind, RuleId, Scope, SpfFrequency, Stage};

fn assert_round_trips<T>(all: &[T], ids: &[&str])
where
    T: Copy + std::fmt::Debug + PartialEq + serde::Serialize + serde::de::DeserializeOwned,
    T: FromStr<Err = crate::domain::ids::UnknownId> + std::fmt::Display,
{
    assert_eq!(all.len(), ids.len());
    for (value, id) in all.iter().zip(ids) {
        assert_eq!(value.to_string(), *id);
        assert_eq!(serde_json::to_string(value).unwrap(), format!("\"{id}\""));
        assert_eq!(
            serde_json::from_str::<T>(&format!("\"{id}\"")).unwrap(),
            *value
        );
        assert_eq!(T::from_str(id).unwrap(), *value);
    }
}

#[test]
fn ids_are_the_snake_case_names_of_domain_md() {
    assert_round_trips(
        Stage::ALL,
        &[
            "pre_treatment",
            "session_day",
            "fresh",
            "settling",
            "settled",
            "healing",
            "healed",
        ],
    );
    assert_round_trips(
        RuleId::ALL,
        &[
            "no_washing",
            "no_heavy_sweating",
            "no_swimming",
            "gentle_washing_ok",
            "avoid_sun",
            "daily_spf",
            "no_pools_saunas_heavy_exercise",
        ],
    );
    assert_round_trips(
        ReminderKind::ALL,
        &[
            "daily_aftercare",
            "gentle_washing_allowed",
            "sun_avoidance_over",
            "next_session_window_open",
            "next_session_overdue",
            "healing_complete",
            "touch_up_due",
            "plan_changed",
        ],
    );
    assert_round_trips(Channel::ALL, &["push", "email"]);
    assert_round_trips(SpfFrequency::ALL, &["daily", "weekly", "off"]);
    assert_round_trips(
        Scope::ALL,
        &["every_session", "non_final_session", "final_session"],
    );
}

#[test]
fn an_unknown_id_names_itself_and_the_known_ones() {
    let error = RuleId::from_str("no_wash").unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown rule \"no_wash\"; expected one of: no_washing, no_heavy_sweating, \
         no_swimming, gentle_washing_ok, avoid_sun, daily_spf, no_pools_saunas_heavy_exercise"
    );
}

#[test]
fn stages_are_ordered_as_a_session_goes_through_them() {
    assert!(Stage::SessionDay < Stage::Fresh);
    assert!(Stage::Fresh < Stage::Settling);
    assert!(Stage::Settling < Stage::Settled);
    assert!(Stage::Settling < Stage::Healing);
    assert!(Stage::Healing < Stage::Healed);
}
