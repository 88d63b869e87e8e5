//! The pure domain core: the aftercare protocol, the healing timeline, the reminders
//! due on a day and the time-zone arithmetic behind them.
//!
//! Nothing here performs I/O or reads a clock: every function takes the dates and
//! instants it needs, so the same inputs always give the same answer.

pub(crate) mod calendar;
pub mod check_in;
pub(crate) mod correction;
pub(crate) mod echo;
pub(crate) mod email;
pub mod ids;
pub(crate) mod local;
pub mod protocol;
pub(crate) mod reminders;
pub(crate) mod schedule;
pub mod standing;
pub(crate) mod text;
pub(crate) mod timeline;

#[cfg(test)]
mod tests;

pub use email::EmailAddress;
pub use ids::{
    Channel, CheckInLevel, DeliveryKind, DeliveryStatus, InvitationStatus, PhotoRequestKind,
    ReminderKind, RuleId, Scope, SpfFrequency, StaffRole, Stage, Symptom, UnknownId,
};
pub use local::{ReminderTime, Zone};
pub use protocol::{Protocol, ProtocolError, ProtocolOverrides};
pub use reminders::{Channels, PlannedReminder, Preferences};
pub use timeline::{DayView, Plan, PlanError, Session};
