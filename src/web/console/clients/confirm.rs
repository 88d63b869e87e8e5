//! The "are you sure" page before deleting a session or erasing a client.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use serde::Serialize;

use super::super::{render_status, ConsoleSession};
use crate::service::ClientRecord;
use crate::web::pages::View;

pub(super) fn confirm_page(
    session: &ConsoleSession,
    bundle: &ClientRecord,
    page: ConfirmPage<'_>,
) -> HttpResponse {
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = ConfirmView {
        client: ClientName {
            id: &bundle.client.id,
            name: &bundle.client.name,
        },
        page,
    };
    render_status(status, &view, session)
}

#[derive(Serialize)]
struct ConfirmView<'a> {
    client: ClientName<'a>,
    #[serde(flatten)]
    page: ConfirmPage<'a>,
}

impl View for ConfirmView<'_> {
    const TEMPLATE: &'static str = "console/clients/confirm.html.j2";
}

#[derive(Serialize)]
struct ClientName<'a> {
    id: &'a str,
    name: &'a str,
}

/// What is asked, and where the button posts.
#[derive(Serialize)]
pub(super) struct ConfirmPage<'a> {
    pub title: &'a str,
    pub message: String,
    pub button: &'a str,
    pub action: String,
    pub typed: bool,
    pub error: Option<&'a str>,
}
