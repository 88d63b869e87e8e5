//! The one integration test binary: the real server, real databases, real peers.

mod browser;
mod helpers;

mod bad_input;
mod clients_api;
mod clinic_auth;
mod concurrency;
mod console_access;
mod console_admin;
mod console_browser;
mod console_clients_browser;
mod console_pages;
mod console_services;
mod console_support;
mod correction;
mod email;
mod engine;
mod faults;
mod foundation;
mod limits;
mod logs;
mod migrations;
mod onboarding;
mod peers;
mod preview;
mod push;
mod push_guard;
mod push_subscriptions;
mod read_only;
mod startup;
mod unsubscribe;
mod use_cases;
mod web_foundation;
