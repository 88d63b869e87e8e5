//! The HTTP client push requests go through, and a bounded read of an answer.

use std::time::Duration;

/// The settings both push clients share.
pub(super) fn http_client(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("smp-aftercare/", env!("CARGO_PKG_VERSION")))
        // A push endpoint answers itself; following a redirect would carry the VAPID
        // token (whose `aud` names this origin) somewhere else, past the guard's literal check.
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve and connect on our behalf, where the guard cannot see.
        .no_proxy()
        .connect_timeout(timeout)
}

/// Reads up to `cap` bytes of a body; a body that fails half-way keeps what arrived.
pub(super) async fn read_capped(mut response: reqwest::Response, cap: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < cap {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk[..chunk.len().min(cap - body.len())]),
            Ok(None) | Err(_) => break,
        }
    }
    body
}
