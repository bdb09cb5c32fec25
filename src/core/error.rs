//! The errors of the authentication domain. Each variant is one answer a client can get; the
//! HTTP layer maps them to statuses and messages in one place.

use crate::crypto::password::HashError;
use crate::store::StoreError;

/// What went wrong with a login, a token or a session.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown user or wrong password: one answer for both.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The password was right but the account is disabled.
    #[error("the account is disabled")]
    AccountDisabled,
    /// Too many failed logins for this account or address; try again later.
    #[error("too many failed logins")]
    Throttled { retry_after_secs: u64 },
    /// The password is longer than the documented maximum.
    #[error("the password is too long")]
    PasswordTooLong,
    /// `expiresInMins` is out of range or not a number.
    #[error("the requested token lifetime is out of range")]
    InvalidExpiry,
    /// The access token is malformed, forged, of the wrong type, or its session has ended.
    #[error("invalid access token")]
    InvalidToken,
    /// The access token is genuine but past its `exp`.
    #[error("expired access token")]
    ExpiredToken,
    /// The refresh token is unknown, spent, or its session has ended.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// The fault is ours (database, hashing, keys); the client gets no detail.
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AuthError {
    fn from(err: StoreError) -> Self {
        AuthError::Internal(err.into())
    }
}

impl From<HashError> for AuthError {
    fn from(err: HashError) -> Self {
        AuthError::Internal(err.into())
    }
}
