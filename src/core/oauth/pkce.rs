//! Proof Key for Code Exchange (RFC 7636), S256 only.
//!
//! `plain` is refused (RFC 9700 §2.1.1: the challenge would travel through the browser as the
//! verifier itself), and so is a challenge without a method, which RFC 7636 §4.3 defines as
//! `plain`: it is never silently taken for S256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::crypto::digest::constant_time_eq;

/// Why a challenge or verifier was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    #[error("code_challenge_method must be S256")]
    UnsupportedMethod,
    #[error("code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]")]
    MalformedChallenge,
}

/// A validated S256 code challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge(String);

impl Challenge {
    /// Validates the challenge parameters of an authorization request.
    pub fn parse(challenge: &str, method: Option<&str>) -> Result<Self, PkceError> {
        if method != Some("S256") {
            return Err(PkceError::UnsupportedMethod);
        }
        if !is_pkce_string(challenge) {
            return Err(PkceError::MalformedChallenge);
        }
        Ok(Self(challenge.to_owned()))
    }

    /// Restores a challenge that was validated when stored.
    pub fn from_stored(challenge: String) -> Self {
        Self(challenge)
    }

    /// The challenge text, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `verifier` is well formed and hashes to this challenge (RFC 7636 §4.6).
    pub fn is_satisfied_by(&self, verifier: &str) -> bool {
        if !is_pkce_string(verifier) {
            return false;
        }
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        constant_time_eq(computed.as_bytes(), self.0.as_bytes())
    }
}

/// 43 to 128 unreserved characters (RFC 7636 §4.1, §4.2).
fn is_pkce_string(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "bob-and-alice-test-verifier-0123456789-ABCDEFGHIJ";
    const CHALLENGE: &str = "GW1D3ipyNl-jGGg8U_LiK4MrKmV_X-rJ-dLLshrpdc8";

    #[test]
    fn s256_round_trip() {
        let challenge = Challenge::parse(CHALLENGE, Some("S256")).expect("valid");
        assert!(challenge.is_satisfied_by(VERIFIER));
        assert!(!challenge.is_satisfied_by("bob-and-alice-test-verifier-0123456789-ABCDEFGHIK"));
        assert!(!challenge.is_satisfied_by("short"));
    }

    #[test]
    fn plain_and_missing_methods_are_refused() {
        assert_eq!(
            Challenge::parse(CHALLENGE, Some("plain")),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            Challenge::parse(CHALLENGE, None),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            Challenge::parse(CHALLENGE, Some("s256")),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            Challenge::parse("abc", Some("S256")),
            Err(PkceError::MalformedChallenge)
        );
        let with_space = format!("{} ", &CHALLENGE[..43]);
        assert_eq!(
            Challenge::parse(&with_space, Some("S256")),
            Err(PkceError::MalformedChallenge)
        );
    }
}
