//! The deployment's VAPID key pair (RFC 8292, P-256): kept in the database (one row,
//! `app::load_vapid_keys`), or given by configuration as a base64url scalar. A PEM file
//! from before keys lived in the database is imported once.
//!
//! A file that exists but cannot be read as a P-256 private key is an error naming the
//! path; it is never imported or replaced, because every browser subscription is bound
//! to the public key and a silent new key would orphan them all.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use p256::SecretKey;

#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    #[error("VAPID key file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "VAPID key file {path} is not a P-256 private key in PEM ({reason}); \
         restore the original file or remove it to generate a new key \
         (existing push subscriptions will then stop working)"
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error("VAPID private key: {0}")]
    InvalidKey(String),
}

/// The VAPID key pair. `Debug` shows the public key only.
#[derive(Clone)]
pub struct VapidKeys {
    secret: SecretKey,
    /// 65-byte uncompressed SEC1 point.
    public: Vec<u8>,
}

impl fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VapidKeys")
            .field("public_key", &self.public_key_base64url())
            .field("private_key", &"[REDACTED]")
            .finish()
    }
}

impl PartialEq for VapidKeys {
    fn eq(&self, other: &Self) -> bool {
        self.public == other.public
    }
}

impl Eq for VapidKeys {}

impl VapidKeys {
    /// A fresh random key pair (OS randomness).
    pub fn generate() -> VapidKeys {
        VapidKeys::from_secret(SecretKey::random(&mut rand::rngs::OsRng))
    }

    /// The key in the PEM file at `path`, or None when there is no such file.
    pub fn from_file(path: &Path) -> Result<Option<VapidKeys>, VapidError> {
        match std::fs::read(path) {
            Ok(bytes) => VapidKeys::from_file_contents(path, &bytes).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(VapidError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// A key given by configuration: the 32-byte private scalar, base64url (padding
    /// optional), as printed by `private_key_base64url` or other VAPID tools.
    pub fn from_base64url_private(encoded: &str) -> Result<VapidKeys, VapidError> {
        let trimmed = encoded.trim().trim_end_matches('=');
        let bytes = URL_SAFE_NO_PAD
            .decode(trimmed)
            .map_err(|e| VapidError::InvalidKey(format!("not base64url: {e}")))?;
        if bytes.len() != 32 {
            return Err(VapidError::InvalidKey(format!(
                "expected a 32-byte P-256 private key, got {} bytes",
                bytes.len()
            )));
        }
        let secret = SecretKey::from_slice(&bytes).map_err(|_| {
            VapidError::InvalidKey("not a valid P-256 private key (zero or out of range)".into())
        })?;
        Ok(VapidKeys::from_secret(secret))
    }

    /// Parses a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1
    /// (`BEGIN EC PRIVATE KEY`, as `openssl ecparam -genkey` writes).
    pub fn from_pem(pem: &str) -> Result<VapidKeys, VapidError> {
        let secret = SecretKey::from_pkcs8_pem(pem)
            .or_else(|pkcs8| SecretKey::from_sec1_pem(pem).map_err(|_| pkcs8))
            .map_err(|e| VapidError::InvalidKey(e.to_string()))?;
        Ok(VapidKeys::from_secret(secret))
    }

    fn from_file_contents(path: &Path, bytes: &[u8]) -> Result<VapidKeys, VapidError> {
        let corrupt = |reason: String| VapidError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        warn_if_readable_by_others(path);
        let text = std::str::from_utf8(bytes).map_err(|_| corrupt("not UTF-8 text".into()))?;
        if text.trim().is_empty() {
            return Err(corrupt("the file is empty".into()));
        }
        VapidKeys::from_pem(text).map_err(|e| match e {
            VapidError::InvalidKey(reason) => corrupt(reason),
            other => other,
        })
    }

    fn from_secret(secret: SecretKey) -> VapidKeys {
        let public = secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        VapidKeys { secret, public }
    }

    /// The 65-byte uncompressed public point, base64url without padding: the browser's
    /// `applicationServerKey`.
    pub fn public_key_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.public)
    }

    /// The 65-byte uncompressed public point.
    pub fn public_key_bytes(&self) -> &[u8] {
        &self.public
    }

    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`), for `web_push::VapidSignatureBuilder::from_pem`.
    pub fn private_key_pem(&self) -> String {
        self.secret
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.as_str().to_owned())
            // Encoding a valid P-256 key into PKCS#8 cannot fail.
            .expect("encode a P-256 key as PKCS#8")
    }

    /// The 32-byte private scalar, base64url without padding
    /// (for `web_push::VapidSignatureBuilder::from_base64`).
    pub fn private_key_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.secret.to_bytes())
    }
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), mode = format!("{:o}", meta.permissions().mode() & 0o777),
                    "the VAPID private key file is accessible to other users; chmod 600 it");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

pub use crate::config::push::validate_subject;

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn generated_keys_have_the_web_push_shapes() {
        let keys = VapidKeys::generate();
        let public = URL_SAFE_NO_PAD.decode(keys.public_key_base64url()).unwrap();
        assert_eq!(public.len(), 65);
        assert_eq!(public[0], 0x04, "uncompressed point");
        assert!(!keys.public_key_base64url().contains('='));
        let private = URL_SAFE_NO_PAD
            .decode(keys.private_key_base64url())
            .unwrap();
        assert_eq!(private.len(), 32);
        assert!(keys
            .private_key_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_ne!(keys, VapidKeys::generate());
    }

    #[test]
    fn round_trips_through_pem_and_base64url() {
        let keys = VapidKeys::generate();
        let from_pem = VapidKeys::from_pem(&keys.private_key_pem()).unwrap();
        assert_eq!(
            from_pem.private_key_base64url(),
            keys.private_key_base64url()
        );
        let from_b64 = VapidKeys::from_base64url_private(&keys.private_key_base64url()).unwrap();
        assert_eq!(from_b64.public_key_base64url(), keys.public_key_base64url());
        // Padded input is accepted too.
        let padded = format!("{}=", keys.private_key_base64url());
        assert_eq!(VapidKeys::from_base64url_private(&padded).unwrap(), keys);
    }

    #[test]
    fn known_vector() {
        // RFC 8291 Appendix A: the application server's key pair.
        let keys = VapidKeys::from_base64url_private("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")
            .unwrap();
        assert_eq!(
            keys.public_key_base64url(),
            "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
        );
    }

    #[test]
    fn config_keys_of_the_wrong_shape_are_refused() {
        for bad in [
            "",
            "not base64!!",
            "AAAA",
            &URL_SAFE_NO_PAD.encode([0u8; 32]),
            &URL_SAFE_NO_PAD.encode([0xffu8; 32]),
            &URL_SAFE_NO_PAD.encode([1u8; 33]),
        ] {
            let err = VapidKeys::from_base64url_private(bad).unwrap_err();
            assert!(matches!(err, VapidError::InvalidKey(_)), "{bad:?}: {err:?}");
        }
    }

    #[test]
    fn accepts_sec1_pem_too() {
        let keys = VapidKeys::generate();
        let sec1 = keys.secret.to_sec1_pem(LineEnding::LF).unwrap();
        assert!(sec1.starts_with("-----BEGIN EC PRIVATE KEY-----"));
        assert_eq!(VapidKeys::from_pem(&sec1).unwrap(), keys);
    }

    #[test]
    fn debug_hides_the_private_key() {
        let keys = VapidKeys::generate();
        let shown = format!("{keys:?}");
        assert!(shown.contains(&keys.public_key_base64url()));
        assert!(!shown.contains(&keys.private_key_base64url()), "{shown}");
        assert!(!shown.contains("PRIVATE KEY"));
    }

    #[test]
    fn a_file_is_read_when_there_is_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vapid.pem");
        assert!(VapidKeys::from_file(&path).unwrap().is_none());
        let keys = VapidKeys::generate();
        std::fs::write(&path, keys.private_key_pem()).unwrap();
        assert_eq!(VapidKeys::from_file(&path).unwrap(), Some(keys));
    }

    #[test]
    fn corrupt_files_are_errors_naming_the_path_and_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        for (name, contents) in [
            ("empty.pem", &b""[..]),
            ("garbage.pem", &b"hello, I am not a key\n"[..]),
            ("binary.pem", &[0xff, 0xfe, 0x00][..]),
            (
                "truncated.pem",
                &b"-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n"
                    [..],
            ),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, contents).unwrap();
            let err = VapidKeys::from_file(&path).unwrap_err();
            assert!(matches!(err, VapidError::Corrupt { .. }), "{name}: {err:?}");
            assert!(
                err.to_string().contains(&path.display().to_string()),
                "{err}"
            );
            assert_eq!(
                std::fs::read(&path).unwrap(),
                contents,
                "{name} was modified"
            );
        }
        // A key of another curve is refused as well.
        let path = dir.path().join("ed25519.pem");
        let ed = concat!(
            "-----BEGIN PRIVATE KEY-----\n",
            "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n",
            "-----END PRIVATE KEY-----\n"
        );
        std::fs::write(&path, ed).unwrap();
        assert!(matches!(
            VapidKeys::from_file(&path).unwrap_err(),
            VapidError::Corrupt { .. }
        ));
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_locations_are_io_errors_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        let path = blocker.join("vapid.pem");
        let err = VapidKeys::from_file(&path).unwrap_err();
        assert!(matches!(err, VapidError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains(&path.display().to_string()));
    }

    #[test]
    fn web_push_accepts_our_keys_and_signs_verifiably() {
        let keys = VapidKeys::generate();
        let info = web_push::SubscriptionInfo::new(
            "https://push.test:8443/push/abc",
            "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8",
            "xS03Fi5ErfTNH_l9WHE9Ig",
        );
        let from_pem =
            web_push::VapidSignatureBuilder::from_pem_no_sub(keys.private_key_pem().as_bytes())
                .unwrap();
        assert_eq!(from_pem.get_public_key(), keys.public_key_bytes());
        let from_b64 =
            web_push::VapidSignatureBuilder::from_base64_no_sub(&keys.private_key_base64url())
                .unwrap();
        assert_eq!(from_b64.get_public_key(), keys.public_key_bytes());

        let signature = from_pem.add_sub_info(&info).build().unwrap();
        assert_eq!(signature.auth_k, keys.public_key_bytes());
        let (signed, sig) = signature.auth_t.rsplit_once('.').unwrap();
        let sig =
            p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(sig).unwrap()).unwrap();
        let verifying =
            p256::ecdsa::VerifyingKey::from_sec1_bytes(keys.public_key_bytes()).unwrap();
        verifying.verify(signed.as_bytes(), &sig).unwrap();
    }

    #[test]
    fn subjects() {
        for ok in [
            "mailto:ops@hairline-studio.co.uk",
            "MAILTO:Push.Admin+vapid@clinic.de",
            "https://hairline-studio.co.uk/contact",
            "https://push-contact.smp-aftercare.app",
        ] {
            assert_eq!(validate_subject(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "mailto:ops@smp.test",
            "https://push.smp.localhost/contact",
            "ops@clinic.de",
            "mailto:",
            "mailto:ops",
            "mailto:@clinic.de",
            "mailto:ops@clinic",
            "mailto:o ps@clinic.de",
            "mailto:admin@example.com",
            "mailto:admin@push.example.org",
            "mailto:admin@example.net",
            "mailto:admin@localhost",
            "mailto:admin@localhost.localdomain",
            "mailto:operator@smp-aftercare.invalid",
            "mailto:ops@clinic.example",
            "https://clinic.invalid/contact",
            "https://example.com/contact",
            "https://www.example.org",
            "http://clinic.de/contact",
            "https://",
            "https:nohost",
            "https://user:pw@clinic.de",
            "ftp://clinic.de",
        ] {
            assert!(validate_subject(bad).is_err(), "{bad:?} accepted");
        }
    }
}
