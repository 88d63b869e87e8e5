//! Helpers shared by the domain tests.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::domain::ids::RuleId;
use crate::domain::protocol::Protocol;
use crate::domain::timeline::{self, DayView, Plan, Session};

pub fn date(text: &str) -> NaiveDate {
    text.parse()
        .unwrap_or_else(|e| panic!("bad test date {text}: {e}"))
}

pub fn time(text: &str) -> NaiveTime {
    NaiveTime::parse_from_str(text, "%H:%M").unwrap_or_else(|e| panic!("bad test time {text}: {e}"))
}

pub fn utc(text: &str) -> DateTime<Utc> {
    text.parse()
        .unwrap_or_else(|e| panic!("bad test instant {text}: {e}"))
}

/// A plan with unmarked sessions on the given dates.
pub fn plan(planned: u32, dates: &[&str]) -> Plan {
    Plan::new(
        planned,
        dates.iter().map(|d| Session::on(date(d))).collect(),
    )
    .expect("valid test plan")
}

pub fn protocol() -> Protocol {
    Protocol::default_protocol()
}

pub fn view(plan: &Plan, on: &str) -> DayView {
    timeline::day(plan, &protocol(), date(on), "en")
}

pub fn rule_ids(view: &DayView) -> Vec<RuleId> {
    view.rules.iter().map(|r| r.id).collect()
}
