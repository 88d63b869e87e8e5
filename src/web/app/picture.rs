//! `/app/timeline.svg`: the signed-in client's timeline picture (the same drawing the
//! clinic console shows), for the app's timeline screen.

use actix_web::{get, http::header, web, HttpResponse};

use super::auth::SignedInClient;
use crate::http::AppState;
use crate::service::days::{self, Whose};
use crate::web::pages::PageError;
use crate::web::timeline;

#[get("/app/timeline.svg")]
pub async fn timeline_svg(
    state: web::Data<AppState>,
    client: SignedInClient,
) -> Result<HttpResponse, PageError> {
    let locale = client.0.locale().to_string();
    let zone = client.0.timezone().tz();
    let days = days::timeline(&state.services, Whose::Me(Box::new(client.0)), None, None).await?;
    let today = state.services.now().with_timezone(&zone).date_naive();
    let svg = timeline::svg(&days.days, Some(today), &locale, "timeline");
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(svg))
}
