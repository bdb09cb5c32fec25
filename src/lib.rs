//! Frontdesk, a self-hosted identity server.
//!
//! The crate is layered so that the folder tree shows the architecture:
//!
//! - [`core`]: the domain and protocol rules (users, sessions, the refresh-token engine,
//!   throttling, keys). No HTTP, no SQL; clock, randomness and store are parameters.
//! - [`store`]: the storage contract and its backends, the only code that speaks SQL.
//! - [`crypto`]: key generation and sealing, JWS, Argon2id, keyed digests.
//! - [`http`]: routes, extractors and the mapping of errors to answers.
//! - [`config`]: the configuration file and environment, validated once.
//! - [`app`]: the wiring of all of the above.
//! - [`transfer`]: export and import of a whole database, across backends.

pub mod app;
pub mod config;
pub mod core;
pub mod crypto;
pub mod http;
pub mod store;
pub mod transfer;
