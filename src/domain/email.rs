//! `EmailAddress`: the one check of an email address, for the API, the CLI and the
//! console. Backed by `lettre::Address` (RFC 5321/5322 syntax, the same parser that
//! will later put the address on the envelope), so whatever we accept we can send to.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::echo;

/// A syntactically valid address with a dotted domain, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromStr for EmailAddress {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{} is not an email address", echo::quoted(value));
        let normalized = value.trim().to_lowercase();
        if normalized.len() > 254
            || normalized
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad());
        }
        let address = lettre::Address::from_str(&normalized).map_err(|_| bad())?;
        // lettre accepts a dotless domain ("a@localhost"); no clinic client has one, and
        // it is almost always a typo for a real address.
        let domain = address.domain();
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(bad());
        }
        Ok(EmailAddress(normalized))
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for EmailAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_addresses_and_rejects_junk() {
        assert_eq!(
            " Front@Northside.Example "
                .parse::<EmailAddress>()
                .unwrap()
                .as_str(),
            "front@northside.example"
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@b.c",
            "a b@c.d",
            "a@.c",
            "a@c.",
            "a@b.c\r\nBcc: x@y.z",
        ] {
            assert!(bad.parse::<EmailAddress>().is_err(), "{bad:?}");
        }
    }
}
