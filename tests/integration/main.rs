//! The one integration test binary: the real server, real databases, real peers.

mod browser;
mod helpers;

mod app_links;
mod bad_input;
mod calendar;
mod client_app;
mod clients_api;
mod clinic_auth;
mod concurrency;
mod correction;
mod docs;
mod email;
mod engine;
mod faults;
mod foundation;
mod history;
mod limits;
mod logs;
mod metrics;
mod migrations;
mod onboarding;
mod peers;
mod preview;
mod push;
mod push_guard;
mod push_subscriptions;
mod queue_status;
mod read_only;
mod startup;
mod unsubscribe;
mod use_cases;
mod web_foundation;
