//! GET /console: "Today at the clinic", what needs someone this week.

use actix_web::{get, web, HttpResponse};

use super::{render, ConsoleSession};
use crate::api::AppState;
use crate::service::roster;
use crate::web::pages::PageError;

#[get("")]
pub async fn today(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> Result<HttpResponse, PageError> {
    let today = roster::today(&state.services, &session.clinic).await?;
    Ok(render(
        "console/today.html.j2",
        minijinja::context! { today => today },
        &session,
    ))
}
