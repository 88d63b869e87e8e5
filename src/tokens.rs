//! Bearer tokens (clinic API keys, client access tokens, invitation tokens) and the
//! capabilities in unsubscribe links.
//!
//! A token reads `{kind}_{id}_{secret}`: the `id` is public and indexed, so a lookup
//! is one equality on a unique column; the secret is 32 random bytes. Only the
//! SHA-256 of the whole token is stored, and the comparison is constant-time so a
//! response's timing says nothing about how much of a guess was right.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A freshly issued token: show `token` once, store `id` and `hash`.
#[derive(Clone)]
pub struct IssuedToken {
    pub token: String,
    pub id: String,
    pub hash: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

pub fn issue(kind: &str) -> IssuedToken {
    let mut rng = rand::thread_rng();
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut id);
    rng.fill_bytes(&mut secret);
    let id = hex::encode(id);
    let token = format!("{kind}_{id}_{}", URL_SAFE_NO_PAD.encode(secret));
    let hash = hash(&token);
    IssuedToken { token, id, hash }
}

/// The public id of a well-formed token of `kind`, or None.
pub fn parse_id<'a>(kind: &str, token: &'a str) -> Option<&'a str> {
    let rest = token.strip_prefix(kind)?.strip_prefix('_')?;
    let (id, secret) = rest.split_once('_')?;
    let well_formed = id.len() == 16
        && id.bytes().all(|b| b.is_ascii_hexdigit())
        && secret.len() == 43
        && URL_SAFE_NO_PAD.decode(secret).is_ok();
    well_formed.then_some(id)
}

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time check of a presented token against a stored hash.
pub fn verify(token: &str, stored_hash: &str) -> bool {
    hash(token).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_parse_and_verify() {
        let issued = issue("smpk");
        assert_eq!(parse_id("smpk", &issued.token), Some(issued.id.as_str()));
        assert!(verify(&issued.token, &issued.hash));
        assert!(!verify(&format!("{}x", issued.token), &issued.hash));
        assert_eq!(parse_id("smpc", &issued.token), None);
        assert!(!format!("{issued:?}").contains(&issued.token));
    }

    #[test]
    fn malformed_tokens_have_no_id() {
        for bad in [
            "",
            "smpk",
            "smpk_",
            "smpk_zz_abc",
            "smpk_0123456789abcdef_short",
        ] {
            assert_eq!(parse_id("smpk", bad), None, "{bad}");
        }
    }
}
