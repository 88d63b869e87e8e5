//! The client's app: an installable web app on our origin. The server renders the
//! invitation landing page and a short app shell; the shell's scripts read the
//! client's days from the API with the access token the device keeps (IndexedDB,
//! shared with the service worker), and the service worker shows the reminders, opens
//! the right day and keeps the next 40 days for when there is no signal.
//!
//! Routes: `/invite/{token}` (landing: never accepts on GET), `/`, `/today`,
//! `/days/{date}`, `/timeline`, `/settings` (the shell), `/sw.js` (the service worker,
//! at the root so its scope is the whole app), `/manifest.webmanifest`, and
//! `/app/timeline.svg` (the picture, for the signed-in client), and the reminder
//! emails' `/unsubscribe/{token}`.

mod auth;
mod invite;
mod picture;
mod shell;
mod unsubscribe;
mod worker;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(invite::landing)
        .service(shell::home)
        .service(shell::today)
        .service(shell::day)
        .service(shell::timeline)
        .service(shell::settings)
        .service(worker::service_worker)
        .service(worker::manifest)
        .service(picture::timeline_svg)
        .service(unsubscribe::confirm)
        .service(unsubscribe::unsubscribe);
}
