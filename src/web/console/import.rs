//! GET/POST /console/clients/import: a CSV file in, a preview with each row's problems,
//! then the import. The file travels back with the preview (in the form, byte for
//! byte), so nothing is kept on the server between the two steps, and the import
//! checks it again.

mod upload;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::{render_status, ConsoleSession};
use crate::http::AppState;
use crate::service::import::{self, DateOrder, ImportPlan, MAX_IMPORT_ROWS};
use crate::service::{clinics, Error};
use crate::web::pages::{PageError, View};
use upload::Refusal;

/// What the page needs besides the plan.
#[derive(Debug, Clone, Serialize)]
struct Defaults {
    timezone: String,
    /// How the clinic writes 14 March 2026 ("14/03/2026 (day/month/year) or 2026-03-14").
    date_format: &'static str,
}

async fn defaults(state: &AppState, session: &ConsoleSession) -> Result<Defaults, PageError> {
    let settings = clinics::settings(&state.services, &session.clinic).await?;
    let timezone = settings.timezone.name().to_string();
    let date_format = DateOrder::of_zone(&timezone).how_to_write();
    Ok(Defaults {
        timezone,
        date_format,
    })
}

/// One page of the import: the form, a preview, or what an import did.
#[derive(Default)]
struct Shown<'a> {
    plan: Option<&'a ImportPlan>,
    result: bool,
    /// The file, carried on by the preview's form.
    copy: String,
    file_name: String,
    error: Option<String>,
}

fn import_page(
    status: StatusCode,
    session: &ConsoleSession,
    defaults: &Defaults,
    shown: Shown<'_>,
) -> HttpResponse {
    let view = ImportView {
        plan: shown.plan,
        result: shown.result.then_some(shown.plan).flatten(),
        file_data: shown.copy,
        file_name: shown.file_name,
        error: shown.error,
        default_timezone: &defaults.timezone,
        date_format: defaults.date_format,
        max_rows: MAX_IMPORT_ROWS,
    };
    render_status(status, &view, session)
}

/// The import page: the form, a preview (`plan`), or what an import did (`result`).
#[derive(Serialize)]
struct ImportView<'a> {
    plan: Option<&'a ImportPlan>,
    result: Option<&'a ImportPlan>,
    /// The file, carried on by the preview's form.
    file_data: String,
    file_name: String,
    error: Option<String>,
    default_timezone: &'a str,
    date_format: &'static str,
    max_rows: usize,
}

impl View for ImportView<'_> {
    const TEMPLATE: &'static str = "console/clients/import.html.j2";
}

/// GET /console/clients/import: the upload form.
#[get("/clients/import")]
pub async fn import_form(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> Result<HttpResponse, PageError> {
    let defaults = defaults(&state, &session).await?;
    Ok(import_page(
        StatusCode::OK,
        &session,
        &defaults,
        Shown::default(),
    ))
}

/// POST /console/clients/import: `step=preview` shows what would happen; `step=import`
/// does it. An upload over its bounds is refused as soon as that shows (413), a broken
/// one with 400, a file that is not a client list with 422; each page says why at the
/// file field.
#[post("/clients/import")]
pub async fn import_upload(
    state: web::Data<AppState>,
    session: ConsoleSession,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let defaults = defaults(&state, &session).await?;
    let refused = |status: StatusCode, message: String| {
        let shown = Shown {
            error: Some(message),
            ..Shown::default()
        };
        import_page(status, &session, &defaults, shown)
    };
    let upload = match upload::read(request.headers(), payload).await {
        Ok(upload) => upload,
        Err(refusal) => {
            let status = match refusal {
                Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                Refusal::NotOurForm | Refusal::Broken => StatusCode::BAD_REQUEST,
            };
            return Ok(refused(status, refusal.message()));
        }
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if upload.csv.is_empty() {
        return Ok(refused(unprocessable, "choose a CSV file to import".into()));
    }
    let (s, clinic, zone) = (&state.services, &session.clinic, &defaults.timezone);
    let importing = upload.step == "import";
    let file_name = import::file_label(&upload.file_name);
    let outcome = if importing {
        import::import(s, clinic, &file_name, &upload.csv, zone).await
    } else {
        import::preview(s, clinic, &upload.csv, zone).await
    };
    match outcome {
        Ok(plan) => {
            let shown = Shown {
                plan: Some(&plan),
                result: importing,
                copy: upload::copy_of(&upload.csv),
                file_name,
                error: None,
            };
            Ok(import_page(StatusCode::OK, &session, &defaults, shown))
        }
        Err(Error::Invalid { message, .. }) => Ok(refused(unprocessable, message)),
        Err(e) => Err(e.into()),
    }
}
