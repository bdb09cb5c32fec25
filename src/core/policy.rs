//! The validated settings the domain runs on: issuer, lifetimes, grace window, throttling.

use super::throttle::ThrottlePolicy;

/// The client id of Frontdesk's own login API (`/auth/*`), the first-party app.
pub const FIRST_PARTY_CLIENT: &str = "frontdesk";

/// Domain settings, already validated by the configuration layer.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The `iss` of every token, an absolute URL without a trailing slash.
    pub issuer: String,
    /// The `aud` of first-party access tokens.
    pub audience: String,
    /// Access-token lifetime when a client names none.
    pub default_access_secs: i64,
    /// A session ends this long after login, however active.
    pub session_absolute_ms: i64,
    /// A session ends when it goes this long without a refresh.
    pub session_idle_ms: i64,
    /// How long a rotated-out refresh token still yields the same successor.
    pub refresh_grace_ms: i64,
    pub throttle: ThrottlePolicy,
}

impl Policy {
    /// Settings for an issuer with every other value at its default.
    pub fn with_issuer(issuer: &str) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            audience: issuer.trim_end_matches('/').to_owned(),
            default_access_secs: 60 * 60,
            session_absolute_ms: 30 * 24 * 3600 * 1000,
            session_idle_ms: 14 * 24 * 3600 * 1000,
            refresh_grace_ms: 5_000,
            throttle: ThrottlePolicy::default(),
        }
    }
}
