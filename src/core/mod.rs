//! The domain: users, sessions (token families), refresh-token rotation, login throttling,
//! signing keys and OAuth clients. The core takes its store, clock and randomness as parameters;
//! it never touches HTTP or SQL, so every rule here can be tested without either.

pub mod accounts;
pub mod clients;
pub mod clock;
pub mod demo;
pub mod error;
pub mod identity;
pub mod keys;
pub mod login;
pub mod oauth;
pub mod policy;
pub mod profile;
pub mod throttle;
pub mod tokens;

use std::sync::Arc;

use crate::crypto::digest::DigestKey;
use crate::crypto::password::PasswordHasher;
use crate::crypto::random::Random;
use crate::store::SharedStore;

pub use clock::Clock;
pub use error::AuthError;
pub use policy::Policy;

/// Everything the domain needs, built once at start and shared by every request.
pub struct Core {
    pub store: SharedStore,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub hasher: PasswordHasher,
    pub keys: keys::KeyService,
    pub policy: Policy,
    digests: Digests,
}

/// The digest keys of the token engine, one per purpose.
struct Digests {
    /// Keys the stored digest of every refresh token.
    refresh: DigestKey,
    /// Derives a refresh token's successor from the token itself, so a retry gets the same one.
    successor: DigestKey,
    /// Keys the stored digest of every OAuth client secret.
    client_secret: DigestKey,
}

impl Core {
    /// Assembles the core from its parts; `digest_root` comes from the master key.
    pub fn new(
        store: SharedStore,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        hasher: PasswordHasher,
        keys: keys::KeyService,
        policy: Policy,
        digest_root: &DigestKey,
    ) -> Self {
        let digests = Digests {
            refresh: digest_root.derive("refresh-token"),
            successor: digest_root.derive("refresh-successor"),
            client_secret: digest_root.derive("client-secret"),
        };
        Self {
            store,
            clock,
            random,
            hasher,
            keys,
            policy,
            digests,
        }
    }

    /// The current time in Unix milliseconds, read from the injected clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
