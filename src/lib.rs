//! smp-aftercare: aftercare backend for scalp micropigmentation clinics.
//!
//! Public are the modules the binary and the integration tests drive (`cli::main`, `app`,
//! the services and what they are built from); the HTTP faces and their plumbing are
//! the crate's own, so the compiler reports what nothing uses. The benches' extra reads
//! are in [`bench`], behind the `bench` feature.

pub(crate) mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub(crate) mod http;
pub mod jobs;
pub(crate) mod links;
pub mod metrics;
pub mod notify;
pub mod photos;
pub mod service;
pub(crate) mod telemetry;
pub mod tokens;
pub mod web;

/// What the benches time on its own beside the public API: the reads behind
/// `GET /v1/me/today` and `GET /v1/clients`, and the client view they build.
#[cfg(feature = "bench")]
pub mod bench {
    pub use crate::api::views::ClientView;
    pub use crate::service::client_auth::day_bundle_of_token;
    pub use crate::service::clients::list::read_page;
}
