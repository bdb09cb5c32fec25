//! Keyed digests of generated secrets (HMAC-SHA-256) and constant-time comparison.
//!
//! Refresh tokens, codes and keys are stored only as `HMAC(key, secret)`. A database dump
//! alone therefore yields nothing usable, and lookups stay one indexed read.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// A 256-bit key for one purpose. Separate purposes use separate derived keys.
#[derive(Clone)]
pub struct DigestKey([u8; 32]);

impl DigestKey {
    /// Wraps raw key material.
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// Derives a key for `purpose` from this one, so that one master secret can serve several
    /// independent uses.
    pub fn derive(&self, purpose: &str) -> DigestKey {
        DigestKey(self.mac(&[b"frontdesk derive ", purpose.as_bytes()]))
    }

    /// HMAC-SHA-256 over the concatenation of `parts`.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// The stored form of a generated secret.
    pub fn digest(&self, secret: &str) -> Vec<u8> {
        self.mac(&[secret.as_bytes()]).to_vec()
    }
}

impl std::fmt::Debug for DigestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DigestKey(<redacted>)")
    }
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_differ_by_purpose() {
        let root = DigestKey::new([7; 32]);
        assert_ne!(root.derive("a").digest("x"), root.derive("b").digest("x"));
        assert_eq!(root.derive("a").digest("x"), root.derive("a").digest("x"));
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
