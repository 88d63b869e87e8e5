//! smp-aftercare: aftercare backend for scalp micropigmentation clinics.

pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod links;
pub mod metrics;
pub mod notify;
pub mod photos;
pub mod service;
pub mod telemetry;
pub mod tokens;
pub mod web;
