//! The one integration test binary: the real server, real databases, real peers.

mod helpers;

mod bad_input;
mod clients_api;
mod clinic_auth;
mod concurrency;
mod correction;
mod email;
mod engine;
mod faults;
mod foundation;
mod migrations;
mod onboarding;
mod peers;
mod preview;
mod push;
mod push_guard;
mod startup;
mod use_cases;
