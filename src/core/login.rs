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
    /// `None` when the client sent something that is not a string: it never matches.
    pub password: Option<Secret>,
    /// How long the access token should live.
    pub lifetime: AccessLifetime,
    /// Where the attempt came from: the address throttle and security events.
    pub origin: RequestOrigin,
}

impl Core {
    /// Checks a username-or-email and password and starts a session.
    pub async fn login(&self, attempt: LoginAttempt) -> Result<IssuedTokens, AuthError> {
        // Over-long input is refused before any lookup or hashing, identically for everyone.
        let password_len = attempt.password.as_ref().map_or(0, |p| p.expose().len());
        if password_len > MAX_PASSWORD_BYTES {
            return Err(AuthError::PasswordTooLong);
        }
        if attempt.identifier.len() > MAX_LOGIN_IDENTIFIER_BYTES {
            return Err(AuthError::InvalidCredentials);
        }

        // Throttling: count the attempt against the client address, then the account.
        let policy = &self.policy.throttle;
        let ip = attempt.origin.client_ip.as_deref();
        let address = match ip {
            Some(ip) => Some(
                self.reserve_attempt(&ThrottleKey::address(policy, ip))
                    .await?,
            ),
            None => None,
        };

        // The account's bucket: by user id, or by the login name when no account has it.
        let key = login_key(&attempt.identifier);
        let user = self.store.find_user_by_login_key(&key).await?;
        let account = match &user {
            Some(user) => ThrottleKey::account(policy, user.id),
            None => ThrottleKey::unknown(policy, &key),
        };
        let bucket = self.account_bucket(account, ip).await?;
        if let Err(refused) = self.reserve_attempt(&bucket).await {
            // Refused unchecked: not a guess, so the address gets its count back.
            if let Some(reservation) = &address {
                self.release_attempt(reservation).await?;
            }
            return Err(refused);
        }

        // One Argon2id verification whether or not the account exists. A failure is already
        // counted.
        let stored = user.as_ref().map(|u| u.password_hash.as_str());
        let outcome = match &attempt.password {
            Some(password) => self.hasher.verify(password, stored).await?,
            // Not a string: same cost as any wrong password, never a match.
            None => self.hasher.verify(&Secret::new(""), None).await?,
        };

        let (user, needs_upgrade) = match (user, outcome) {
            (Some(user), Verification::Match { needs_upgrade }) => (user, needs_upgrade),
            _ => return Err(AuthError::InvalidCredentials),
        };

        // The password is right: forget the failures, hand back the address's count, and
        // remember the address as one the owner uses.
        self.clear_failed_logins(&bucket).await?;
        if let Some(reservation) = &address {
            self.release_attempt(reservation).await?;
        }
        if let Some(ip) = ip {
            self.remember_address(&ThrottleKey::account(policy, user.id), ip)
                .await?;
        }

        if user.is_disabled {
            return Err(AuthError::AccountDisabled);
        }

        // Stored with a cost below the configured one: rehash now that we hold the password.
        if let (true, Some(password)) = (needs_upgrade, &attempt.password) {
            let hash = self.hasher.hash(password).await?;
            self.store.set_password_hash(user.id, &hash).await?;
            tracing::info!(user.id = user.id, "password hash upgraded");
        }
        self.start_session(user, attempt.lifetime).await
    }
}
