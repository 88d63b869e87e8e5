//! The console's client pages: the list, onboarding, and a client's page (sessions,
//! timeline, reminders, notes, invitation, email, erasure). Each handler extracts the
//! form, calls one service and renders; a form that the service refuses comes back
//! with the error next to its field (422), never as a JSON body.
//!
//! - `list`: the clients list; `onboarding`: one new client;
//! - `page`: a client's page, with its paged reminders and notes;
//! - `sessions`: recording, changing and deleting sessions;
//! - `invitation`: a new invitation link and the email address;
//! - `notes`: notes on the client and "contacted" records;
//! - `erasure`: erasing the client; `confirm`: the "are you sure" page both ask with.

mod confirm;
mod erasure;
mod invitation;
mod list;
mod notes;
mod onboarding;
mod page;
mod sessions;

use actix_web::web;

pub use page::{human_date, short_time};
pub use sessions::on_the_date;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `new` and `import` before `{id}`, which would take them.
    cfg.service(list::list)
        .service(onboarding::new_form)
        .service(onboarding::create)
        .service(super::import::import_form)
        .service(super::import::import_upload)
        .service(page::show)
        .service(sessions::add_session)
        .service(sessions::edit_session)
        .service(sessions::confirm_delete_session)
        .service(sessions::delete_session)
        .service(invitation::resend_invitation)
        .service(invitation::change_email)
        .service(notes::add_note)
        .service(notes::mark_contacted)
        .service(erasure::confirm_erase)
        .service(erasure::erase);
}

/// Messages after a redirect, by a fixed code (never text from the URL).
fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "onboarded" => "Client onboarded; the invitation email is on its way.",
        "session_added" => "Session recorded; the client's reminders follow the new plan.",
        "session_saved" => "Session saved; the client's reminders follow the change.",
        "session_deleted" => "Session deleted.",
        "invitation_sent" => "A new invitation is on its way; the old link no longer works.",
        "email_changed" => "Email changed. Send a new invitation if the old address never got it.",
        "note_added" => "Note added.",
        "contacted" => "Marked as contacted.",
        "erased" => "The client was erased.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_come_from_codes_only() {
        assert!(notice(Some("onboarded")).is_some());
        assert!(notice(Some("<script>")).is_none());
        assert!(notice(None).is_none());
    }
}
