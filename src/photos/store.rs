//! Where photos are kept: an `object_store` (a local folder, or an S3-compatible bucket
//! that every replica shares).
//!
//! Keys are `clinics/{clinic}/clients/{client}/{photo}/photo.jpg` (and `thumbnail.jpg`):
//! the photo id is random (122 bits from the OS's generator), never derived from what
//! the client sent, and everything of a client sits under one prefix, so erasing the
//! client is one listing and one batch of deletes.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use secrecy::ExposeSecret;

use super::{PhotoError, ProcessedPhoto};
use crate::config::{PhotoSettings, PhotoStoreKind, S3Settings};

/// A photo's id: 32 lowercase hex digits, random.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhotoId(String);

impl PhotoId {
    pub fn random() -> PhotoId {
        PhotoId(uuid::Uuid::new_v4().simple().to_string())
    }

    /// An id as a URL or a database row gives it back; anything else is no photo.
    pub fn parse(raw: &str) -> Option<PhotoId> {
        let valid = raw.len() == 32 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| PhotoId(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PhotoId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whose photos: a clinic's client. Both ids become key segments, so each must be a
/// plain identifier (letters, digits, `-`, `_`): no `/`, `..` or empty segment could
/// reach another client's prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoOwner {
    prefix: Path,
}

impl PhotoOwner {
    pub fn new(clinic_id: &str, client_id: &str) -> Result<PhotoOwner, PhotoError> {
        for (what, id) in [("clinic", clinic_id), ("client", client_id)] {
            let plain = !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !plain {
                return Err(PhotoError::InvalidOwner(format!("{what} id {id:?}")));
            }
        }
        let prefix = Path::from_iter(["clinics", clinic_id, "clients", client_id]);
        Ok(PhotoOwner { prefix })
    }

    /// Every object of this client is under this prefix.
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    fn key(&self, id: &PhotoId, variant: PhotoVariant) -> Path {
        self.prefix
            .clone()
            .join(id.as_str())
            .join(variant.file_name())
    }
}

/// The stored JPEGs of one photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoVariant {
    /// At most 2048 px on the long side.
    Photo,
    /// At most 320 px on the long side.
    Thumbnail,
}

impl PhotoVariant {
    fn file_name(self) -> &'static str {
        match self {
            PhotoVariant::Photo => "photo.jpg",
            PhotoVariant::Thumbnail => "thumbnail.jpg",
        }
    }
}

#[derive(Clone)]
pub struct PhotoStore {
    store: Arc<dyn ObjectStore>,
    description: String,
}

impl std::fmt::Debug for PhotoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

fn store_error(error: object_store::Error) -> PhotoError {
    match error {
        object_store::Error::NotFound { .. } => PhotoError::NotFound,
        other => PhotoError::Store(other.to_string()),
    }
}

impl PhotoStore {
    /// The store `[photos]` names.
    pub fn from_settings(settings: &PhotoSettings) -> Result<PhotoStore, PhotoError> {
        match settings.store {
            PhotoStoreKind::Local => PhotoStore::local(&settings.dir),
            PhotoStoreKind::S3 => PhotoStore::s3(&settings.s3),
        }
    }

    /// A folder on this machine, created if missing. Emptied folders are removed as
    /// their last photo is deleted, so an erased client leaves no folder named after them.
    pub fn local(dir: &std::path::Path) -> Result<PhotoStore, PhotoError> {
        let failed =
            |e: &dyn std::fmt::Display| PhotoError::Store(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(|e| failed(&e))?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| failed(&e))?
            .with_automatic_cleanup(true);
        Ok(PhotoStore {
            store: Arc::new(store),
            description: format!("local folder {}", dir.display()),
        })
    }

    /// An S3-compatible bucket, path-style, with the given keys. Nothing is read from
    /// the environment or an instance's metadata service: only what `[photos.s3]` says.
    pub fn s3(settings: &S3Settings) -> Result<PhotoStore, PhotoError> {
        let endpoint = settings.endpoint_url().map_err(PhotoError::Store)?;
        let secret = settings
            .secret_access_key
            .as_ref()
            .ok_or_else(|| PhotoError::Store("photos.s3.secret_access_key is not set".into()))?;
        let mut builder = AmazonS3Builder::new()
            .with_region(settings.region.trim())
            .with_bucket_name(settings.bucket.trim())
            .with_access_key_id(settings.access_key_id.trim())
            .with_secret_access_key(secret.expose_secret())
            // A store that is down answers within seconds (the request then fails with
            // 503), instead of the crate's default of retrying for three minutes.
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(15),
                ..RetryConfig::default()
            });
        let place = match &endpoint {
            Some(url) => {
                builder = builder
                    .with_endpoint(url.as_str().trim_end_matches('/'))
                    .with_allow_http(url.scheme() == "http");
                url.to_string()
            }
            None => format!("AWS {}", settings.region.trim()),
        };
        let store = builder.build().map_err(store_error)?;
        Ok(PhotoStore {
            store: Arc::new(store),
            description: format!("S3 bucket {} at {place}", settings.bucket.trim()),
        })
    }

    /// Says where photos go, for the start-up log (no secret in it).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Stores a processed photo under a new random id. Either both JPEGs are kept or,
    /// when the second fails, the first is deleted again.
    pub async fn put(
        &self,
        owner: &PhotoOwner,
        photo: &ProcessedPhoto,
    ) -> Result<PhotoId, PhotoError> {
        let id = PhotoId::random();
        let full = owner.key(&id, PhotoVariant::Photo);
        self.store
            .put(&full, PutPayload::from(photo.photo.clone()))
            .await
            .map_err(store_error)?;
        let thumbnail = owner.key(&id, PhotoVariant::Thumbnail);
        if let Err(e) = self
            .store
            .put(&thumbnail, PutPayload::from(photo.thumbnail.clone()))
            .await
        {
            if let Err(cleanup) = self.store.delete(&full).await {
                tracing::warn!(key = %full, error = %cleanup, "a half-stored photo was not deleted");
            }
            return Err(store_error(e));
        }
        Ok(id)
    }

    /// One stored JPEG; [`PhotoError::NotFound`] when this client has no such photo.
    pub async fn get(
        &self,
        owner: &PhotoOwner,
        id: &PhotoId,
        variant: PhotoVariant,
    ) -> Result<Bytes, PhotoError> {
        let found = self
            .store
            .get(&owner.key(id, variant))
            .await
            .map_err(store_error)?;
        found.bytes().await.map_err(store_error)
    }

    /// Deletes one photo (both JPEGs); a photo already gone is not an error.
    pub async fn delete(&self, owner: &PhotoOwner, id: &PhotoId) -> Result<(), PhotoError> {
        for variant in [PhotoVariant::Photo, PhotoVariant::Thumbnail] {
            match self.store.delete(&owner.key(id, variant)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(store_error(e)),
            }
        }
        Ok(())
    }

    /// The keys of every object stored for this client.
    pub async fn list_client(&self, owner: &PhotoOwner) -> Result<Vec<String>, PhotoError> {
        let mut keys: Vec<String> = self
            .store
            .list(Some(owner.prefix()))
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .map_err(store_error)?;
        keys.sort();
        Ok(keys)
    }

    /// Deletes every object under the client's prefix; returns how many were deleted.
    /// Safe to repeat: an erasure interrupted halfway finishes on the next call.
    pub async fn erase_client(&self, owner: &PhotoOwner) -> Result<usize, PhotoError> {
        let locations = self
            .store
            .list(Some(owner.prefix()))
            .map_ok(|meta| meta.location)
            .boxed();
        let mut deleted = self.store.delete_stream(locations);
        let mut count = 0;
        while let Some(result) = deleted.next().await {
            match result {
                Ok(_) => count += 1,
                // Deleted meanwhile (another replica erasing the same client).
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(store_error(e)),
            }
        }
        Ok(count)
    }
}
