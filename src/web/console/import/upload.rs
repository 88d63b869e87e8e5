//! Reading the import form's multipart body, bounded as a whole: every byte of it (the
//! file, the preview's copy of it, the other fields, the framing) and its number of
//! fields, refused as soon as it goes over. A body that ends without its closing
//! boundary is an error of the multipart reader (actix-multipart 0.8.2 and later; up
//! to 0.8.1 it waited for more bytes forever and the request got no answer).

use std::cell::Cell;
use std::rc::Rc;
use std::task::Poll;

use actix_multipart::Multipart;
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderMap, CONTENT_LENGTH};
use actix_web::web::{self, Bytes};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures_util::{Stream, StreamExt};

use crate::service::import::MAX_IMPORT_BYTES;

/// The preview's copy of the file (base64: a third larger than the file).
const MAX_COPY_BYTES: usize = MAX_IMPORT_BYTES.div_ceil(3) * 4;
/// The whole body: the larger of the file and its copy, plus the short fields and the
/// framing around each.
pub const MAX_UPLOAD_BYTES: usize = MAX_COPY_BYTES + 16 * 1024;
/// The forms send two fields (step, file) or three (step, and the file's name and copy).
pub const MAX_FIELDS: usize = 8;
/// A field other than the file and its copy ("preview", a file name).
const MAX_SHORT_FIELD_BYTES: usize = 1024;

/// The upload as sent.
#[derive(Debug, Default)]
pub struct Upload {
    pub step: String,
    /// The chosen file, or the copy the preview's form carries on.
    pub csv: Vec<u8>,
    /// The chosen file's name, as the browser sent it.
    pub file_name: String,
}

/// Why an upload is refused before its file is read as CSV.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Over [`MAX_UPLOAD_BYTES`] in all, or the file over [`MAX_IMPORT_BYTES`] (413).
    TooLarge,
    /// More than [`MAX_FIELDS`] fields, or a short field too long: not our form (400).
    NotOurForm,
    /// Cut off, or not multipart at all (400).
    Broken,
}

impl Refusal {
    /// What the page says at the file field.
    pub fn message(&self) -> String {
        match self {
            Refusal::TooLarge => format!(
                "the file is larger than {} KB: split it in parts (up to {} clients each) \
                 and import them one after another",
                MAX_IMPORT_BYTES / 1024,
                crate::service::import::MAX_IMPORT_ROWS,
            ),
            Refusal::NotOurForm => {
                "the form sent was not this page's form: choose the file here and send it again"
                    .to_string()
            }
            Refusal::Broken => {
                "the upload broke off before its end: choose the file and send it again".to_string()
            }
        }
    }
}

/// The body as its `Content-Length` announces it: over the bound is refused before a
/// byte is read.
pub fn announced_too_large(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|len| len > MAX_UPLOAD_BYTES as u64)
}

/// The request body, counted: past [`MAX_UPLOAD_BYTES`] it fails (and sets `over`),
/// whatever the framing says (a chunked body has no length to check first).
fn counted(
    mut payload: web::Payload,
    over: Rc<Cell<bool>>,
) -> impl Stream<Item = Result<Bytes, PayloadError>> {
    let mut read = 0usize;
    futures_util::stream::poll_fn(move |cx| match payload.poll_next_unpin(cx) {
        Poll::Ready(Some(Ok(chunk))) => {
            read += chunk.len();
            if read > MAX_UPLOAD_BYTES {
                over.set(true);
                Poll::Ready(Some(Err(PayloadError::Overflow)))
            } else {
                Poll::Ready(Some(Ok(chunk)))
            }
        }
        other => other,
    })
}

/// Reads the form, refusing it as soon as it goes over a bound.
pub async fn read(headers: &HeaderMap, payload: web::Payload) -> Result<Upload, Refusal> {
    if announced_too_large(headers) {
        return Err(Refusal::TooLarge);
    }
    let over = Rc::new(Cell::new(false));
    let mut form = Multipart::new(headers, counted(payload, over.clone()));
    let mut upload = Upload::default();
    let mut copy = Vec::new();
    let mut fields = 0;
    let broken = || {
        if over.get() {
            Refusal::TooLarge
        } else {
            Refusal::Broken
        }
    };
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| broken())?;
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(Refusal::NotOurForm);
        }
        let name = field.name().unwrap_or_default().to_string();
        let (limit, too_long) = match name.as_str() {
            "file" => (MAX_IMPORT_BYTES, Refusal::TooLarge),
            "file_data" => (MAX_COPY_BYTES, Refusal::TooLarge),
            _ => (MAX_SHORT_FIELD_BYTES, Refusal::NotOurForm),
        };
        if name == "file" {
            let chosen = field.content_disposition().and_then(|d| d.get_filename());
            upload.file_name = chosen.unwrap_or_default().to_string();
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| broken())?;
            if bytes.len() + chunk.len() > limit {
                return Err(too_long);
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "step" => upload.step = String::from_utf8_lossy(&bytes).into_owned(),
            "file" if !bytes.is_empty() => upload.csv = bytes,
            "file_data" => copy = bytes,
            "file_name" if upload.file_name.is_empty() => {
                upload.file_name = String::from_utf8_lossy(&bytes).into_owned();
            }
            _ => {}
        }
    }
    if upload.csv.is_empty() && !copy.is_empty() {
        let text: Vec<u8> = copy
            .into_iter()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        upload.csv = STANDARD.decode(text).map_err(|_| Refusal::NotOurForm)?;
    }
    Ok(upload)
}

/// The file as the preview's form carries it on, byte for byte (a textarea would
/// turn its line endings into CRLF and drop a leading blank line).
pub fn copy_of(csv: &[u8]) -> String {
    STANDARD.encode(csv)
}
