//! The "are you sure" page before deleting a session or erasing a client.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use super::super::{render_status, ConsoleSession};
use crate::service::ClientBundle;

pub(super) fn confirm_page(
    session: &ConsoleSession,
    bundle: &ClientBundle,
    page: ConfirmPage<'_>,
) -> HttpResponse {
    let ctx = minijinja::context! {
        client => minijinja::context! { id => bundle.client.id, name => bundle.client.name },
        title => page.title,
        message => page.message,
        button => page.button,
        action => page.action,
        typed => page.typed,
        error => page.error,
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_status(status, "console/clients/confirm.html.j2", ctx, session)
}

pub(super) struct ConfirmPage<'a> {
    pub title: &'a str,
    pub message: String,
    pub button: &'a str,
    pub action: String,
    pub typed: bool,
    pub error: Option<&'a str>,
}
