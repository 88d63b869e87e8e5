//! What both HTTP faces (the API under `/v1` and the web pages) share, so neither
//! reaches into the other: the state registered once with the server, the client's
//! address, the per-address limit and its 429, the one `Authorization: Bearer`
//! parser, and the redacted request log.

pub mod bearer;
pub mod client_ip;
pub mod limit;
pub mod logging;
pub mod state;

pub use state::AppState;
