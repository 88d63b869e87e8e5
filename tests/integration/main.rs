//! The one integration test binary: the real server, real databases, real peers.

mod helpers;

mod bad_input;
mod clients_api;
mod clinic_auth;
mod email;
mod foundation;
mod migrations;
mod onboarding;
mod peers;
mod preview;
mod startup;
