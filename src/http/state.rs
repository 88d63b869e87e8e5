//! The application state: registered once (`web::Data<AppState>`), reached the same
//! way by API handlers and pages.

use super::limit::PerAddress;
use crate::service::Services;

/// What every handler and page can reach.
pub struct AppState {
    pub services: Services,
    /// Invitation accepts per address.
    pub accept_limit: PerAddress,
    /// Console sign-in attempts per address (link requests and link uses).
    pub sign_in_limit: PerAddress,
}

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState {
            services,
            accept_limit: PerAddress::default(),
            sign_in_limit: PerAddress::default(),
        }
    }
}
