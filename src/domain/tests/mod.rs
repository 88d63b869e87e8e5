//! Unit tests of the domain core, one file per concern.

mod calendar;
mod check_in_invalid;
mod check_in_levels;
mod check_in_photos;
mod correction;
mod ids;
mod properties;
mod protocol_default;
mod protocol_invalid;
mod protocol_overrides;
mod reminders;
mod schedule_dst;
mod support;
mod timeline_edges;
mod timeline_table;
mod worked_example;
