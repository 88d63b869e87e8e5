//! The one integration test binary: the real server, real databases, real peers.

mod helpers;

mod clinic_auth;
mod foundation;
mod migrations;
mod preview;
mod startup;
