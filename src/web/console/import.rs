//! GET/POST /console/clients/import: a CSV file in, a preview with each row's problems,
//! then the import. The file travels back with the preview (in the form), so nothing
//! is kept on the server between the two steps, and the import checks it again.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use futures_util::StreamExt;

use super::{render, render_status, ConsoleSession};
use crate::api::AppState;
use crate::service::import::{self, ImportPlan, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS};
use crate::service::{clinics, Error};
use crate::web::pages::PageError;

/// Form fields besides the file are a few bytes ("preview"); the CSV echoed back in
/// the preview form is at most a file's size.
const MAX_FIELD_BYTES: usize = MAX_IMPORT_BYTES;

/// The upload as sent.
#[derive(Default)]
struct Upload {
    step: String,
    /// The chosen file, or the CSV carried by the preview's form.
    csv: Vec<u8>,
}

/// Reads the multipart form, refusing anything larger than a file may be.
async fn read_upload(mut form: Multipart) -> Result<Upload, Error> {
    let too_large = || {
        Error::invalid(
            "file",
            format!(
                "the file is larger than {} KB; split it in parts",
                MAX_IMPORT_BYTES / 1024
            ),
        )
    };
    let mut upload = Upload::default();
    while let Some(field) = form.next().await {
        let mut field =
            field.map_err(|e| Error::invalid("file", format!("the upload broke off: {e}")))?;
        let name = field.name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|e| Error::invalid("file", format!("the upload broke off: {e}")))?;
            if bytes.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "step" => upload.step = String::from_utf8_lossy(&bytes).into_owned(),
            "file" | "csv" if !bytes.is_empty() => upload.csv = bytes,
            _ => {}
        }
    }
    Ok(upload)
}

async fn default_timezone(state: &AppState, session: &ConsoleSession) -> Result<String, PageError> {
    let settings = clinics::settings(&state.services, &session.clinic).await?;
    Ok(settings.timezone.name().to_string())
}

fn import_page(
    status: StatusCode,
    session: &ConsoleSession,
    default_timezone: &str,
    plan: Option<&ImportPlan>,
    result: bool,
    csv: &str,
    error: Option<String>,
) -> HttpResponse {
    let ctx = minijinja::context! {
        plan => plan,
        result => result.then_some(plan).flatten(),
        csv => csv,
        error => error,
        default_timezone => default_timezone,
        max_rows => MAX_IMPORT_ROWS,
    };
    render_status(status, "console/clients/import.html.j2", ctx, session)
}

/// GET /console/clients/import: the upload form.
#[get("/clients/import")]
pub async fn import_form(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> Result<HttpResponse, PageError> {
    let zone = default_timezone(&state, &session).await?;
    let ctx = minijinja::context! {
        plan => None::<ImportPlan>,
        result => None::<ImportPlan>,
        csv => "",
        error => None::<String>,
        default_timezone => zone,
        max_rows => MAX_IMPORT_ROWS,
    };
    Ok(render("console/clients/import.html.j2", ctx, &session))
}

/// POST /console/clients/import: `step=preview` shows what would happen; `step=import`
/// does it.
#[post("/clients/import")]
pub async fn import_upload(
    state: web::Data<AppState>,
    session: ConsoleSession,
    form: Multipart,
) -> Result<HttpResponse, PageError> {
    let zone = default_timezone(&state, &session).await?;
    let refused = |e: String| {
        import_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &session,
            &zone,
            None,
            false,
            "",
            Some(e),
        )
    };
    let upload = match read_upload(form).await {
        Ok(upload) => upload,
        Err(Error::Invalid { message, .. }) => return Ok(refused(message)),
        Err(e) => return Err(e.into()),
    };
    if upload.csv.is_empty() {
        return Ok(refused("choose a CSV file to import".into()));
    }
    let (s, clinic) = (&state.services, &session.clinic);
    let importing = upload.step == "import";
    let outcome = if importing {
        import::import(s, clinic, &upload.csv, &zone).await
    } else {
        import::preview(s, clinic, &upload.csv, &zone).await
    };
    match outcome {
        Ok(plan) => {
            // The form carries the file on as text (it parsed, so it is UTF-8).
            let csv = String::from_utf8_lossy(&upload.csv);
            Ok(import_page(
                StatusCode::OK,
                &session,
                &zone,
                Some(&plan),
                importing,
                &csv,
                None,
            ))
        }
        Err(Error::Invalid { message, .. }) => Ok(refused(message)),
        Err(e) => Err(e.into()),
    }
}
