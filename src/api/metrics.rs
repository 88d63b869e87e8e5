//! `GET /metrics`, served on the metrics listener only (`app::MetricsServer`), never on
//! the API's address.

use actix_web::{web, HttpResponse};

use crate::metrics::CONTENT_TYPE;
use crate::service::{self, Services};

pub async fn scrape(services: web::Data<Services>) -> HttpResponse {
    let body = service::metrics::scrape(&services).await;
    HttpResponse::Ok().content_type(CONTENT_TYPE).body(body)
}
