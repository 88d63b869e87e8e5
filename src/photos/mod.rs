//! Clients' photos: health data. An upload is checked and cleaned ([`process`]), then
//! kept in an object store ([`store`]) under a random key grouped by clinic and client,
//! so erasing a client erases their photos. Services use this; faces never do.
//!
//! ```text
//! let photos = Photos::from_settings(&settings.photos)?;
//! let owner = PhotoOwner::new(&clinic_id, &client_id)?;
//! let stored = photos.accept(&owner, upload).await?;      // refused input: PhotoError
//! let jpeg = photos.store().get(&owner, &stored.id, PhotoVariant::Thumbnail).await?;
//! photos.store().erase_client(&owner).await?;              // objects deleted
//! ```

pub mod process;
pub mod store;

use bytes::Bytes;

pub use process::{PhotoProcessor, ProcessedPhoto};
pub use store::{PhotoId, PhotoOwner, PhotoStore, PhotoVariant};

use crate::config::PhotoSettings;

/// Why a photo was refused or could not be kept. The input variants are the uploader's
/// to fix ([`PhotoError::is_input`]); the service names the field they belong to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("is empty; choose a photo")]
    Empty,
    #[error("is {bytes} bytes; a photo may be at most 10 MB")]
    TooLarge { bytes: usize },
    #[error("is not a JPEG, PNG or WebP photo")]
    NotAnImage,
    #[error("is a {0} file; send a JPEG, PNG or WebP photo")]
    UnsupportedFormat(&'static str),
    #[error(
        "is a HEIC photo, which is not accepted; send it as JPEG (on an iPhone: Settings, \
         Camera, Formats, Most Compatible), or upload it from the app, which converts it"
    )]
    Heic,
    #[error("{}", too_many_pixels(*.width, *.height))]
    TooManyPixels {
        width: Option<u32>,
        height: Option<u32>,
    },
    #[error("cannot be read as an image ({0})")]
    Unreadable(String),
    /// No such photo for this client (or it was erased).
    #[error("photo not found")]
    NotFound,
    /// An owner's id that cannot be part of a key: a bug, never user input.
    #[error("invalid photo owner: {0}")]
    InvalidOwner(String),
    /// The store did not answer or refused; retrying later may work.
    #[error("photo store unavailable: {0}")]
    Store(String),
    #[error("photo processing failed: {0}")]
    Internal(String),
}

fn too_many_pixels(width: Option<u32>, height: Option<u32>) -> String {
    let limit = format!(
        "at most {} megapixels and {} pixels a side",
        process::MAX_PIXELS / 1_000_000,
        process::MAX_SIDE
    );
    match (width, height) {
        (Some(w), Some(h)) => format!("is {w}x{h} pixels; a photo may be {limit}"),
        _ => format!("is too large to decode; a photo may be {limit}"),
    }
}

impl PhotoError {
    /// Whether the upload itself is at fault (a 4xx naming its field).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            PhotoError::Empty
                | PhotoError::TooLarge { .. }
                | PhotoError::NotAnImage
                | PhotoError::UnsupportedFormat(_)
                | PhotoError::Heic
                | PhotoError::TooManyPixels { .. }
                | PhotoError::Unreadable(_)
        )
    }

    /// A stable id for the refusal, for a face that words it from its locale catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::Empty => "photo_empty",
            PhotoError::TooLarge { .. } => "photo_too_large",
            PhotoError::NotAnImage => "photo_not_an_image",
            PhotoError::UnsupportedFormat(_) => "photo_unsupported_format",
            PhotoError::Heic => "photo_heic",
            PhotoError::TooManyPixels { .. } => "photo_too_many_pixels",
            PhotoError::Unreadable(_) => "photo_unreadable",
            PhotoError::NotFound => "photo_not_found",
            PhotoError::InvalidOwner(_) => "photo_invalid_owner",
            PhotoError::Store(_) => "photo_store_unavailable",
            PhotoError::Internal(_) => "photo_internal",
        }
    }
}

/// What [`Photos::accept`] kept: the new photo's id and its stored size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhoto {
    pub id: PhotoId,
    pub width: u32,
    pub height: u32,
}

/// The photo layer as services hold it: processing slots and the store.
#[derive(Clone)]
pub struct Photos {
    processor: PhotoProcessor,
    store: PhotoStore,
}

impl Photos {
    pub fn new(processor: PhotoProcessor, store: PhotoStore) -> Photos {
        Photos { processor, store }
    }

    /// The store `[photos]` names (a local folder is created if missing) and
    /// `photos.processing_concurrency` slots.
    pub fn from_settings(settings: &PhotoSettings) -> Result<Photos, PhotoError> {
        Ok(Photos::new(
            PhotoProcessor::new(settings.concurrency()),
            PhotoStore::from_settings(settings)?,
        ))
    }

    /// Checks and cleans `upload`, then stores it (photo and thumbnail) under a new id.
    /// Refused input is stored nowhere.
    pub async fn accept(
        &self,
        owner: &PhotoOwner,
        upload: Bytes,
    ) -> Result<StoredPhoto, PhotoError> {
        let processed = self.processor.process(upload).await?;
        let id = self.store.put(owner, &processed).await?;
        Ok(StoredPhoto {
            id,
            width: processed.width,
            height: processed.height,
        })
    }

    pub fn processor(&self) -> &PhotoProcessor {
        &self.processor
    }

    pub fn store(&self) -> &PhotoStore {
        &self.store
    }
}
