//! The pure domain core: the aftercare protocol, the healing timeline, the reminders
//! due on a day and the time-zone arithmetic behind them.
//!
//! Nothing here performs I/O or reads a clock: every function takes the dates and
//! instants it needs, so the same inputs always give the same answer.

pub mod calendar;
pub mod correction;
pub mod echo;
pub mod email;
pub mod ids;
pub mod local;
pub mod protocol;
pub mod reminders;
pub mod schedule;
pub mod standing;
pub mod text;
pub mod timeline;

#[cfg(test)]
mod tests;

pub use email::EmailAddress;
pub use ids::{
    Channel, DeliveryKind, DeliveryStatus, InvitationStatus, ReminderKind, RuleId, Scope,
    SpfFrequency, StaffRole, Stage, UnknownId,
};
pub use local::{ReminderTime, Zone};
pub use protocol::{Protocol, ProtocolError, ProtocolOverrides};
pub use reminders::{Channels, PlannedReminder, Preferences};
pub use timeline::{DayView, Plan, PlanError, Session};
