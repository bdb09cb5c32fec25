//! Argon2id password hashing, off the async executor and bounded in concurrency.
//!
//! Hashes use the OWASP parameters (19 MiB, two passes, one lane) or stronger. Each hash runs on
//! tokio's blocking pool behind a semaphore, so a login storm queues instead of starving the
//! request handlers or exhausting memory. An unknown user is checked against a dummy hash of the
//! same cost, so the answer time does not reveal whether an account exists.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use super::random::Random;
use super::secret::Secret;

/// The longest password accepted, in bytes. Longer inputs are refused before any hashing, on
/// every path alike, so a megabyte "password" costs nothing and reveals nothing.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The outcome of checking a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    /// The password matches; `needs_upgrade` says the stored hash uses an older algorithm or
    /// weaker parameters and should be replaced by a fresh hash.
    Match {
        needs_upgrade: bool,
    },
    NoMatch,
}

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug)]
pub struct HashCost {
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
}

impl HashCost {
    /// The OWASP recommendation for Argon2id.
    pub const OWASP: HashCost = HashCost {
        memory_kib: 19_456,
        passes: 2,
        lanes: 1,
    };
}

/// Hashes and verifies passwords on the blocking pool.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    random: Arc<dyn Random>,
    dummy_hash: Arc<str>,
}

/// Hashing failed for a reason that is not the caller's: the blocking pool is gone or the
/// parameters are unusable.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl PasswordHasher {
    /// Builds a hasher allowing `max_concurrent` hashes at once.
    pub fn new(
        cost: HashCost,
        max_concurrent: usize,
        random: Arc<dyn Random>,
    ) -> Result<Self, HashError> {
        let params = Params::new(cost.memory_kib, cost.passes, cost.lanes, None)
            .map_err(|e| HashError(e.to_string()))?;
        let dummy_password = random.token(24);
        let dummy_hash = hash_blocking(&params, random.as_ref(), dummy_password.as_bytes())?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            random,
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: &Secret) -> Result<String, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        let (params, random) = (self.params.clone(), self.random.clone());
        let password = password.clone();
        tokio::task::spawn_blocking(move || {
            hash_blocking(&params, random.as_ref(), password.expose().as_bytes())
        })
        .await
        .map_err(|e| HashError(e.to_string()))?
    }

    /// Checks `password` against `stored`; with no stored hash (unknown user) it checks against
    /// the dummy hash, taking the same time, and never matches.
    pub async fn verify(
        &self,
        password: &Secret,
        stored: Option<&str>,
    ) -> Result<Verification, HashError> {
        // A bounded number of hashes run at once, off the async threads.
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;

        // An unknown user pays for a dummy hash, and never matches.
        let is_real = stored.is_some();
        let phc: Arc<str> = stored
            .map(Arc::from)
            .unwrap_or_else(|| self.dummy_hash.clone());
        let password = password.clone();
        let params = self.params.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            verify_blocking(&params, password.expose().as_bytes(), &phc)
        })
        .await
        .map_err(|e| HashError(e.to_string()))?;

        Ok(if is_real {
            outcome
        } else {
            Verification::NoMatch
        })
    }
}

fn hash_blocking(
    params: &Params,
    random: &dyn Random,
    password: &[u8],
) -> Result<String, HashError> {
    let salt = SaltString::encode_b64(&random.bytes(16)).map_err(|e| HashError(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let hash = argon
        .hash_password(password, &salt)
        .map_err(|e| HashError(e.to_string()))?;
    Ok(hash.to_string())
}

fn verify_blocking(current: &Params, password: &[u8], phc: &str) -> Verification {
    // A stored hash that does not parse can never match; treat it like a wrong password.
    let Ok(parsed) = PasswordHash::new(phc) else {
        return Verification::NoMatch;
    };
    // The verifier takes algorithm, version and cost from the stored string itself.
    if Argon2::default()
        .verify_password(password, &parsed)
        .is_err()
    {
        return Verification::NoMatch;
    }
    Verification::Match {
        needs_upgrade: is_outdated(current, &parsed),
    }
}

/// True when a stored hash is weaker than what we would write today.
fn is_outdated(current: &Params, parsed: &PasswordHash<'_>) -> bool {
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return true;
    }
    if parsed.version != Some(Version::V0x13.into()) {
        return true;
    }
    match Params::try_from(parsed) {
        Ok(p) => {
            p.m_cost() < current.m_cost()
                || p.t_cost() < current.t_cost()
                || p.p_cost() < current.p_cost()
        }
        Err(_) => true,
    }
}

/// Hashes with explicit algorithm and cost; used to build stored hashes in older formats for
/// upgrade tests and imports.
pub fn hash_with(
    algorithm: Algorithm,
    cost: HashCost,
    random: &dyn Random,
    password: &str,
) -> Result<String, HashError> {
    let params = Params::new(cost.memory_kib, cost.passes, cost.lanes, None)
        .map_err(|e| HashError(e.to_string()))?;
    let salt = SaltString::encode_b64(&random.bytes(16)).map_err(|e| HashError(e.to_string()))?;
    let argon = Argon2::new(algorithm, Version::V0x13, params);
    let hash = argon
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| HashError(e.to_string()))?;
    Ok(hash.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random::OsRandom;

    const CHEAP: HashCost = HashCost {
        memory_kib: 1024,
        passes: 1,
        lanes: 1,
    };

    fn hasher(cost: HashCost) -> PasswordHasher {
        PasswordHasher::new(cost, 2, Arc::new(OsRandom::default())).expect("hasher")
    }

    #[tokio::test]
    async fn hash_then_verify_matches_only_the_same_password() {
        let h = hasher(CHEAP);
        let stored = h.hash(&Secret::new("correct horse")).await.expect("hash");
        assert!(stored.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        let ok = h
            .verify(&Secret::new("correct horse"), Some(&stored))
            .await
            .expect("verify");
        assert_eq!(
            ok,
            Verification::Match {
                needs_upgrade: false
            }
        );
        let bad = h
            .verify(&Secret::new("correct horsf"), Some(&stored))
            .await
            .expect("verify");
        assert_eq!(bad, Verification::NoMatch);
    }

    #[tokio::test]
    async fn unknown_user_never_matches() {
        let h = hasher(CHEAP);
        let outcome = h
            .verify(&Secret::new("anything"), None)
            .await
            .expect("verify");
        assert_eq!(outcome, Verification::NoMatch);
    }

    #[tokio::test]
    async fn weaker_or_older_hashes_ask_for_an_upgrade() {
        let h = hasher(HashCost {
            memory_kib: 2048,
            passes: 2,
            lanes: 1,
        });
        let random = OsRandom::default();
        let weak = hash_with(Algorithm::Argon2id, CHEAP, &random, "pw-123456").expect("hash");
        let argon2i = hash_with(
            Algorithm::Argon2i,
            HashCost {
                memory_kib: 4096,
                passes: 3,
                lanes: 1,
            },
            &random,
            "pw-123456",
        )
        .expect("hash");
        for stored in [weak, argon2i] {
            let outcome = h
                .verify(&Secret::new("pw-123456"), Some(&stored))
                .await
                .expect("v");
            assert_eq!(
                outcome,
                Verification::Match {
                    needs_upgrade: true
                }
            );
        }
    }

    #[tokio::test]
    async fn garbage_hash_is_a_mismatch_not_an_error() {
        let h = hasher(CHEAP);
        let outcome = h
            .verify(&Secret::new("x"), Some("not a phc string"))
            .await
            .expect("v");
        assert_eq!(outcome, Verification::NoMatch);
    }
}
