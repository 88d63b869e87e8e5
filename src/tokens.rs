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

/// Every kind of token the service issues. One list, owned here: a token can only be
/// issued through a kind, and the log redaction (`http::logging::redact`) hides every
/// kind in [`TokenKind::ALL`], so a new kind cannot be issued yet left readable in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A clinic's API key.
    ClinicKey,
    /// A client's access token (the app's bearer).
    ClientAccess,
    /// An invitation link's token.
    Invitation,
    /// An unsubscribe link's capability.
    Unsubscribe,
    /// A calendar feed's capability.
    CalendarFeed,
    /// A staff member's emailed console sign-in link.
    SignIn,
    /// A console session (the cookie).
    Session,
}

impl TokenKind {
    pub const ALL: [TokenKind; 7] = [
        TokenKind::ClinicKey,
        TokenKind::ClientAccess,
        TokenKind::Invitation,
        TokenKind::Unsubscribe,
        TokenKind::CalendarFeed,
        TokenKind::SignIn,
        TokenKind::Session,
    ];

    /// The token's first word, before its `_`.
    pub const fn prefix(self) -> &'static str {
        match self {
            TokenKind::ClinicKey => "smpk",
            TokenKind::ClientAccess => "smpc",
            TokenKind::Invitation => "smpi",
            TokenKind::Unsubscribe => "smpu",
            TokenKind::CalendarFeed => "smpf",
            TokenKind::SignIn => "smpl",
            TokenKind::Session => "smps",
        }
    }
}

impl std::fmt::Display for TokenKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.prefix())
    }
}

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

pub fn issue(kind: TokenKind) -> IssuedToken {
    let mut id = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut id);
    issue_with_id(kind, &hex::encode(id))
}

/// A token with a new secret under an id already handed out (`id` as [`issue`] makes
/// them): an invitation's id is fixed when it is queued, its secret only when its
/// email is composed, so no readable link ever waits in the database.
pub fn issue_with_id(kind: TokenKind, id: &str) -> IssuedToken {
    let mut secret = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    let id = id.to_string();
    let token = format!("{kind}_{id}_{}", URL_SAFE_NO_PAD.encode(secret));
    let hash = hash(&token);
    IssuedToken { token, id, hash }
}

/// The public id of a well-formed token of `kind`, or None.
pub fn parse_id(kind: TokenKind, token: &str) -> Option<&str> {
    let rest = token.strip_prefix(kind.prefix())?.strip_prefix('_')?;
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
        let issued = issue(TokenKind::ClinicKey);
        assert_eq!(
            parse_id(TokenKind::ClinicKey, &issued.token),
            Some(issued.id.as_str())
        );
        assert!(verify(&issued.token, &issued.hash));
        assert!(!verify(&format!("{}x", issued.token), &issued.hash));
        assert_eq!(parse_id(TokenKind::ClientAccess, &issued.token), None);
        assert!(!format!("{issued:?}").contains(&issued.token));
        let again = issue_with_id(TokenKind::ClinicKey, &issued.id);
        assert_eq!(
            parse_id(TokenKind::ClinicKey, &again.token),
            Some(issued.id.as_str())
        );
        assert_ne!(again.hash, issued.hash);
        assert!(!verify(&issued.token, &again.hash));
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
            assert_eq!(parse_id(TokenKind::ClinicKey, bad), None, "{bad}");
        }
    }
}
