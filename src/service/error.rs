//! The services' error: what went wrong, in terms any face (HTTP, CLI, console) can
//! render. No HTTP here; `api::ApiError` maps it to a status and a problem body.

use serde::Serialize;

use crate::db::{StoreError, StoreFailure};
use crate::photos::PhotoError;

/// One field at fault and why; `field` names it as the caller sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Error {
        Error::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value is not acceptable; `field` names it as the caller sent it.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Several values are not acceptable: every field at fault, in the order sent.
    #[error("{}", fields_text(.0))]
    Fields(Vec<FieldError>),
    #[error("{0}")]
    NotFound(String),
    /// The actor may not do this (a staff member at an owner's page).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// It existed, and no longer does (an expired link).
    #[error("{0}")]
    Gone(String),
    /// A dependency (the database) is down; the request may be retried.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or unreadable stored data. The detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> Error {
        Error::Internal(error.to_string())
    }

    /// Every field at fault (one error, or none): `Invalid` when there is one.
    pub fn fields(mut errors: Vec<FieldError>) -> Error {
        match errors.len() {
            1 => errors.remove(0).into(),
            _ => Error::Fields(errors),
        }
    }

    /// The fields at fault, when this is about input; any other error as it is.
    pub fn into_fields(self) -> Result<Vec<FieldError>, Error> {
        match self {
            Error::Invalid { field, message } => Ok(vec![FieldError { field, message }]),
            Error::Fields(errors) => Ok(errors),
            other => Err(other),
        }
    }
}

/// "name: must not be empty; email: ...".
fn fields_text(errors: &[FieldError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    parts.join("; ")
}

impl Error {
    /// A photo's failure as the services answer it: a refused upload names `field` (as
    /// the caller sent it, e.g. `photos[1]`); a store that is down may be retried.
    pub fn photo(field: impl Into<String>, error: PhotoError) -> Error {
        match error {
            refused if refused.is_input() => Error::invalid(field, refused.to_string()),
            PhotoError::NotFound => Error::NotFound("photo not found".to_string()),
            unavailable @ PhotoError::Store(_) => Error::Unavailable(unavailable.to_string()),
            other => Error::internal(other),
        }
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(why) => {
                Error::Unavailable(format!("database unavailable: {why}"))
            }
            StoreError::Query(e) => e.into(),
            read_only @ StoreError::ReadOnly(_) => Error::Unavailable(read_only.to_string()),
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as Diesel};
        match error {
            Diesel::NotFound => Error::NotFound("not found".to_string()),
            Diesel::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Error::Conflict(format!("already exists ({})", info.message()))
            }
            // A database that turned read-only (a failover to a standby, a read-only
            // file) refuses writes: an outage to retry later, not a bug of ours.
            Diesel::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, info) => {
                Error::Unavailable(format!(
                    "database does not accept writes: {}",
                    info.message()
                ))
            }
            Diesel::DatabaseError(_, info) if info.message().contains("readonly database") => {
                Error::Unavailable(format!(
                    "database does not accept writes: {}",
                    info.message()
                ))
            }
            Diesel::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Error::Unavailable(format!("database connection lost: {}", info.message()))
            }
            other => Error::Internal(format!("database: {other}")),
        }
    }
}

impl StoreFailure for Error {
    fn is_store_failure(&self) -> bool {
        matches!(self, Error::Internal(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_photo_names_its_field_and_a_store_outage_may_be_retried() {
        let refused = Error::photo("photos[1]", PhotoError::TooLarge { bytes: 11_000_000 });
        let Error::Invalid { field, message } = refused else {
            panic!("a refused upload is invalid input");
        };
        assert_eq!(field, "photos[1]");
        assert!(message.contains("10 MB"), "{message}");
        assert!(matches!(
            Error::photo("photos[0]", PhotoError::NotFound),
            Error::NotFound(_)
        ));
        let down = Error::photo("photos[0]", PhotoError::Store("connection refused".into()));
        assert!(matches!(down, Error::Unavailable(_)));
        let bug = Error::photo(
            "photos[0]",
            PhotoError::InvalidOwner("client id \"\"".into()),
        );
        assert!(matches!(bug, Error::Internal(_)));
    }
}
