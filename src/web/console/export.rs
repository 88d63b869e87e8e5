//! The console's downloads: the clients as CSV (the import's columns; any staff member,
//! as the clients list) and the audit log as CSV (owners, as its page). Each is a GET
//! that changes no data; the service records the export in the audit log.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

use super::{ConsoleSession, OwnerSession};
use crate::http::AppState;
use crate::service::export::{self, CsvFile};
use crate::web::pages::PageError;

fn download(file: CsvFile) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file.file_name),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(file.bytes)
}

/// GET /console/clients/export.csv
#[get("/clients/export.csv")]
pub async fn clients_csv(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> Result<HttpResponse, PageError> {
    Ok(download(
        export::clients_csv(&state.services, &session.clinic).await?,
    ))
}

/// GET /console/audit/export.csv
#[get("/audit/export.csv")]
pub async fn audit_csv(
    state: web::Data<AppState>,
    OwnerSession(session): OwnerSession,
) -> Result<HttpResponse, PageError> {
    Ok(download(
        export::audit_csv(&state.services, &session.clinic).await?,
    ))
}
