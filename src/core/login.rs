//! Password login: throttling, the password check, hash upgrades, and the new session.
//!
//! The order is chosen so that nothing observable depends on whether the account exists: the
//! same throttling bookkeeping and one Argon2id verification (against a dummy hash for unknown
//! users) happen either way, and both failures give the same error.

use super::identity::{login_key, MAX_LOGIN_IDENTIFIER_BYTES};
use super::throttle::ThrottleKey;
use super::tokens::{AccessLifetime, IssuedTokens, RequestOrigin};
use super::{AuthError, Core};
use crate::crypto::password::{Verification, MAX_PASSWORD_BYTES};
use crate::crypto::secret::Secret;

/// A login attempt, already parsed from the request.
#[derive(Debug)]
pub struct LoginAttempt {
    /// A username or an email address, as typed.
    pub identifier: String,
    pub password: Secret,
    pub lifetime: AccessLifetime,
    pub origin: RequestOrigin,
}

impl Core {
    /// Checks a username-or-email and password and starts a session.
    pub async fn login(&self, attempt: LoginAttempt) -> Result<IssuedTokens, AuthError> {
        // Over-long input is refused before any lookup or hashing, identically for everyone.
        if attempt.password.expose().len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::PasswordTooLong);
        }
        if attempt.identifier.len() > MAX_LOGIN_IDENTIFIER_BYTES {
            return Err(AuthError::InvalidCredentials);
        }

        // Throttling: by client address first, then by account.
        let policy = &self.policy.throttle;
        let address_key = attempt
            .origin
            .client_ip
            .as_deref()
            .map(|ip| ThrottleKey::address(policy, ip));
        if let Some(key) = &address_key {
            if let Some(secs) = self.throttled_for(key).await? {
                return Err(AuthError::Throttled {
                    retry_after_secs: secs,
                });
            }
        }
        let key = login_key(&attempt.identifier);
        let user = self.store.find_user_by_login_key(&key).await?;
        let account_key = match &user {
            Some(user) => ThrottleKey::account(policy, user.id),
            None => ThrottleKey::unknown(policy, &key),
        };
        if let Some(secs) = self.throttled_for(&account_key).await? {
            return Err(AuthError::Throttled {
                retry_after_secs: secs,
            });
        }

        // One Argon2id verification whether or not the account exists.
        let stored = user.as_ref().map(|u| u.password_hash.as_str());
        let outcome = self.hasher.verify(&attempt.password, stored).await?;
        let (user, needs_upgrade) = match (user, outcome) {
            (Some(user), Verification::Match { needs_upgrade }) => (user, needs_upgrade),
            _ => {
                self.record_failed_login(&account_key).await?;
                if let Some(key) = &address_key {
                    self.record_failed_login(key).await?;
                }
                return Err(AuthError::InvalidCredentials);
            }
        };
        if user.is_disabled {
            return Err(AuthError::AccountDisabled);
        }
        self.clear_failed_logins(&account_key).await?;

        if needs_upgrade {
            let hash = self.hasher.hash(&attempt.password).await?;
            self.store.set_password_hash(user.id, &hash).await?;
            tracing::info!(user.id = user.id, "password hash upgraded");
        }
        self.start_session(user, attempt.lifetime).await
    }
}
