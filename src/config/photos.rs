//! `[photos]`: where clients' photos are kept and how many are processed at once.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

/// Which object store holds the photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum PhotoStoreKind {
    /// A folder on this machine (`photos.dir`): one replica, or a shared mount.
    Local,
    /// An S3-compatible bucket (`[photos.s3]`), shared by every replica.
    S3,
}

choice!(PhotoStoreKind { Local => "local", S3 => "s3" });

/// `[photos]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoSettings {
    pub store: PhotoStoreKind,
    /// The folder of the local store; relative paths resolve against the base directory.
    pub dir: PathBuf,
    /// Photos decoded at once per replica; 0 means one per core. Each holds a decoded
    /// photo (up to a few hundred MB) and a core, so more than the cores only queues.
    pub processing_concurrency: usize,
    pub s3: S3Settings,
}

/// `[photos.s3]`: any S3-compatible service (AWS, MinIO, Ceph, R2, ...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// The service's base URL; blank for AWS itself (the region's endpoint). Requests
    /// are path-style (`{endpoint}/{bucket}/{key}`), which every compatible service takes.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: Option<SecretString>,
}

impl PhotoSettings {
    /// Processing slots: `processing_concurrency`, or the number of cores when 0.
    pub fn concurrency(&self) -> usize {
        match self.processing_concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.processing_concurrency > 256 {
            return Err(
                "photos.processing_concurrency: must be at most 256 (0 = one per core)".into(),
            );
        }
        match self.store {
            PhotoStoreKind::Local if self.dir.as_os_str().is_empty() => {
                Err("photos.dir: must name a folder (e.g. data/photos)".into())
            }
            PhotoStoreKind::Local => Ok(()),
            PhotoStoreKind::S3 => self.s3.validate(),
        }
    }
}

impl S3Settings {
    /// The endpoint as a URL, or None for AWS's own.
    pub fn endpoint_url(&self) -> Result<Option<url::Url>, String> {
        let raw = self.endpoint.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let url = url::Url::parse(raw).map_err(|e| {
            format!(
                "photos.s3.endpoint: {:?} is not a URL ({e})",
                super::redact_url(raw)
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(
                "photos.s3.endpoint: must be an http:// or https:// URL with a host".into(),
            );
        }
        if !url.username().is_empty() || url.password().is_some() {
            // A URL's credentials would be printed wherever the endpoint is.
            return Err(
                "photos.s3.endpoint: must not carry credentials (use access_key_id and secret_access_key)".into(),
            );
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("photos.s3.endpoint: must not have a query or fragment".into());
        }
        Ok(Some(url))
    }

    fn validate(&self) -> Result<(), String> {
        self.endpoint_url()?;
        let required = [
            ("region", self.region.trim().is_empty()),
            ("bucket", self.bucket.trim().is_empty()),
            ("access_key_id", self.access_key_id.trim().is_empty()),
            ("secret_access_key", self.secret_access_key.is_none()),
        ];
        match required.iter().find(|(_, missing)| *missing) {
            Some((key, _)) => Err(format!(
                "photos.s3.{key}: required when photos.store = \"s3\""
            )),
            None => Ok(()),
        }
    }
}
