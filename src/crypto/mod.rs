//! Cryptography, all of it from well-kept crates: random secrets and their keyed digests,
//! Argon2id password hashing on a bounded blocking pool, signing keys encrypted at rest under
//! the master key, and JWS signing and verification with the algorithm fixed per key.

pub mod digest;
pub mod jwt;
pub mod keys;
pub mod password;
pub mod random;
pub mod secret;
