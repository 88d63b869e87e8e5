//! smp-aftercare: aftercare backend for scalp micropigmentation clinics.

pub mod api;
pub mod app;
pub mod bundle;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod notify;
pub mod preview;
pub mod telemetry;
pub mod tokens;
