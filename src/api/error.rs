//! One error type for the HTTP API, rendered as `application/problem+json` (RFC 9457).
//!
//! Every kind has a stable `type` URI (`/problems/<slug>`, relative to the service) so
//! clients can branch on it without parsing English.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::echo;
use crate::service;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A field-level complaint inside a validation problem.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request could not be read: malformed JSON, wrong content type, bad path.
    #[error("{0}")]
    BadRequest(String),
    /// The request was read but a value is not acceptable.
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// A dependency (the database) is down; the request may be retried.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an unexpected failure. The detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A validation problem about a single field. Quoted input in the field or the
    /// message is cut (services cut what they echo; this also covers names the
    /// sender chose, such as a protocol entry's key).
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        let field = echo::cut_quoted(&field.into());
        let message = echo::cut_quoted(&message.into());
        ApiError::Validation {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError { field, message }],
        }
    }

    /// A validation problem about every field at fault; `detail` names them all.
    pub fn fields(errors: Vec<service::FieldError>) -> ApiError {
        let errors: Vec<FieldError> = errors
            .into_iter()
            .map(|e| FieldError {
                field: echo::cut_quoted(&e.field),
                message: echo::cut_quoted(&e.message),
            })
            .collect();
        let parts: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        ApiError::Validation {
            detail: parts.join("; "),
            errors,
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(error.to_string())
    }

    /// Stable slug of the problem type; part of the API contract.
    pub fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Validation { .. } => "validation-error",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed(_) => "method-not-allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::Gone(_) => "gone",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::TooManyRequests(_) => "too-many-requests",
            ApiError::Unavailable(_) => "service-unavailable",
            ApiError::Internal(_) => "internal-error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "The request could not be read",
            ApiError::Validation { .. } => "A value in the request is not valid",
            ApiError::Unauthorized(_) => "Authentication is required",
            ApiError::Forbidden(_) => "Not allowed",
            ApiError::NotFound(_) => "Not found",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::Conflict(_) => "Conflict with the current state",
            ApiError::Gone(_) => "No longer available",
            ApiError::PayloadTooLarge(_) => "Request body too large",
            ApiError::UnsupportedMediaType(_) => "Unsupported media type",
            ApiError::TooManyRequests(_) => "Too many requests",
            ApiError::Unavailable(_) => "Service temporarily unavailable",
            ApiError::Internal(_) => "Internal error",
        }
    }
}

/// The RFC 9457 body.
#[derive(Debug, Serialize)]
pub struct Problem<'a> {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: &'a str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<&'a [FieldError]>,
}

/// What an outage's caller is told: its first clause ("database unavailable", "database
/// does not accept writes"). The rest (the driver's message, with the database's host
/// and port) is for the log only.
fn public_reason(why: &str) -> String {
    let reason = why.split(':').next().unwrap_or(why).trim();
    format!("{reason}; try again shortly")
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            // Internal details go to the log, not to the caller.
            ApiError::Internal(why) => {
                tracing::error!(error = %why, "internal error");
                "An unexpected error occurred; it has been logged.".to_string()
            }
            ApiError::Unavailable(why) => {
                tracing::warn!(error = %why, "dependency unavailable");
                public_reason(why)
            }
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::Validation { errors, .. } => Some(errors.as_slice()),
            _ => None,
        };
        let body = Problem {
            problem_type: format!("/problems/{}", self.slug()),
            title: self.title(),
            status: status.as_u16(),
            detail,
            errors,
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if matches!(self, ApiError::Unauthorized(_)) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        match self {
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::TooManyRequests(_) => {
                response.insert_header(crate::http::limit::retry_after());
            }
            _ => {}
        }
        response.body(serde_json::to_string(&body).unwrap_or_default())
    }
}

impl From<service::Error> for ApiError {
    fn from(error: service::Error) -> Self {
        match error {
            service::Error::Invalid { field, message } => ApiError::invalid(field, message),
            service::Error::Fields(errors) => ApiError::fields(errors),
            service::Error::NotFound(why) => ApiError::NotFound(why),
            service::Error::Forbidden(why) => ApiError::Forbidden(why),
            service::Error::Conflict(why) => ApiError::Conflict(why),
            service::Error::Gone(why) => ApiError::Gone(why),
            service::Error::Unavailable(why) => ApiError::Unavailable(why),
            service::Error::Internal(why) => ApiError::Internal(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_tells_the_caller_no_address() {
        let why = "database unavailable: connection to server at \"db.internal\" (10.0.0.5), port 5432 failed";
        assert_eq!(
            public_reason(why),
            "database unavailable; try again shortly"
        );
        assert_eq!(
            public_reason("database does not accept writes: read-only transaction"),
            "database does not accept writes; try again shortly"
        );
    }
}
