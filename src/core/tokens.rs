//! The token engine: sessions (token families), access tokens, and refresh-token rotation.
//!
//! A session is one login. It owns a chain of refresh tokens; every refresh consumes the
//! presented token and issues its successor. The rules, in the order [`Core::refresh`] applies
//! them:
//!
//! 1. The first request to present a token consumes it (one atomic statement in the store) and
//!    gets the successor.
//! 2. A request that finds the token already consumed, within the grace window, while its
//!    successor is still unused, gets the **same** successor: two tabs refreshing at once, or a
//!    retry after a lost response, never log the user out and never fork the chain. The
//!    successor is derived from the presented token with a server-side key, so it need not be
//!    stored in the clear and only a holder of the old token can obtain it.
//! 3. Anything else presenting a consumed token is reuse (RFC 9700 §4.14.2): the whole session
//!    is revoked and a security event is recorded.
//!
//! Access tokens are JWTs of type `at+jwt` with the RFC 9068 claims plus the profile claims that
//! DummyJSON clients read; they carry the session id, so endpoints that must see revocation at
//! once check that the session is still live.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::policy::FIRST_PARTY_CLIENT;
use super::{AuthError, Core};
use crate::crypto::jwt::{Expiring, VerifyError};
use crate::crypto::secret::Secret;
use crate::store::{RefreshRow, SecurityEvent, SessionRow, UserRow};

/// The `typ` header of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// The prefix of every refresh token, so secret scanners and people can recognise one.
pub const REFRESH_PREFIX: &str = "fdr_";
/// Longest accepted `expiresInMins`: 30 days.
pub const MAX_ACCESS_MINUTES: f64 = 43_200.0;

/// The claims of an access token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The issuer: [`Policy::issuer`](super::Policy::issuer).
    pub iss: String,
    /// The user id, as a string (RFC 9068 §2.2).
    pub sub: String,
    /// The audience: [`Policy::audience`](super::Policy::audience).
    pub aud: String,
    /// Expiry, Unix seconds; never past the end of the session.
    pub exp: i64,
    /// Issue time, Unix seconds.
    pub iat: i64,
    /// A random id of this token.
    pub jti: String,
    /// The client the session was started for.
    pub client_id: String,
    /// The session id, checked against the store where revocation must show at once.
    pub sid: String,
    /// The user id again, as DummyJSON clients read it.
    pub id: i64,
    /// Profile claims, as DummyJSON puts them in its tokens.
    pub username: String,
    pub email: String,
    #[serde(rename = "firstName")]
    pub first_name: String,
    #[serde(rename = "lastName")]
    pub last_name: String,
    pub gender: String,
    pub image: String,
}

impl Expiring for AccessClaims {
    fn exp(&self) -> i64 {
        self.exp
    }
}

/// How long a new access token lives, in whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessLifetime(i64);

impl AccessLifetime {
    /// Validates a requested lifetime in minutes (fractions allowed: 1.5 is 90 s); `None`
    /// takes the configured default.
    pub fn from_minutes(minutes: Option<f64>, default_secs: i64) -> Result<Self, AuthError> {
        match minutes {
            None => Ok(Self(default_secs)),
            Some(m) if m.is_finite() && (1.0..=MAX_ACCESS_MINUTES).contains(&m) => {
                // In range, so the product fits an i64 exactly enough.
                Ok(Self((m * 60.0).floor() as i64))
            }
            Some(_) => Err(AuthError::InvalidExpiry),
        }
    }

    /// The lifetime in seconds.
    pub fn secs(self) -> i64 {
        self.0
    }
}

/// What a login or a refresh hands back.
#[derive(Debug)]
pub struct IssuedTokens {
    /// The signed JWT.
    pub access_token: String,
    /// Seconds until the access token expires.
    pub access_lifetime_secs: i64,
    /// The successor refresh token, to hand to the client and to forget.
    pub refresh_token: Secret,
    /// Seconds until the session ends, at the latest; the refresh cookie lives this long.
    pub refresh_lifetime_secs: i64,
    /// The user the tokens were issued to, for the response body.
    pub user: UserRow,
}

/// True when the session may still be used at `now_ms`.
pub fn is_live(session: &SessionRow, now_ms: i64) -> bool {
    session.revoked_ms.is_none() && now_ms < session.expires_ms && now_ms < session.idle_expires_ms
}

/// Where a request came from, for security events.
#[derive(Clone, Debug, Default)]
pub struct RequestOrigin {
    /// The client address, trusted-proxy aware; `None` when unknown.
    pub client_ip: Option<String>,
}

impl Core {
    /// Starts a session for `user` (who has just authenticated) and issues its first tokens.
    pub async fn start_session(
        &self,
        user: UserRow,
        lifetime: AccessLifetime,
    ) -> Result<IssuedTokens, AuthError> {
        let now = self.now_ms();
        let session = SessionRow {
            id: self.random.token(16),
            user_id: user.id,
            client_id: FIRST_PARTY_CLIENT.to_owned(),
            auth_time_ms: now,
            created_ms: now,
            idle_expires_ms: now + self.policy.session_idle_ms,
            expires_ms: now + self.policy.session_absolute_ms,
            revoked_ms: None,
            revoke_reason: None,
        };

        let refresh = Secret::new(format!("{REFRESH_PREFIX}{}", self.random.token(32)));
        let first = RefreshRow {
            digest: self.digests.refresh.digest(refresh.expose()),
            session_id: session.id.clone(),
            generation: 0,
            issued_ms: now,
            consumed_ms: None,
        };

        // Store the session with its first refresh token, then sign.
        self.store.create_session(&session, &first).await?;
        tracing::info!(user.id = user.id, session.id = %session.id, "session started");
        self.issue(&session, user, refresh, lifetime, now)
    }

    /// Trades a refresh token for a new access token and the successor refresh token.
    pub async fn refresh(
        &self,
        token: &Secret,
        lifetime: AccessLifetime,
        origin: &RequestOrigin,
    ) -> Result<IssuedTokens, AuthError> {
        if !is_refresh_token_shaped(token.expose()) {
            return Err(AuthError::InvalidRefreshToken);
        }

        let now = self.now_ms();
        let digest = self.digests.refresh.digest(token.expose());
        let successor = self.successor_of(token);

        // Rule 1: the first to consume the token wins.
        if let Some(consumed) = self.store.consume_refresh(&digest, now).await? {
            return self.rotate(&consumed, successor, lifetime, now).await;
        }

        // Someone consumed it before: a retry within the window, or reuse.
        let row = self
            .store
            .find_refresh(&digest)
            .await?
            .ok_or(AuthError::InvalidRefreshToken)?;

        // Rule 2: a retry within the grace window, while the successor is unused, gets the same
        // successor. The successor is only looked up when the window is still open.
        let consumed_ms = row.consumed_ms.unwrap_or(now);
        if now - consumed_ms <= self.policy.refresh_grace_ms {
            let successor_digest = self.digests.refresh.digest(successor.expose());
            let successor_unused = match self.store.find_refresh(&successor_digest).await? {
                Some(next) => next.consumed_ms.is_none(),
                None => true,
            };
            if successor_unused {
                return self.rotate(&row, successor, lifetime, now).await;
            }
        }

        // Rule 3: reuse. Revoke the family and leave a trace (once: only the revoking request).
        if self
            .store
            .revoke_session(&row.session_id, now, "refresh_token_reuse")
            .await?
        {
            let user_id = self
                .store
                .get_session(&row.session_id)
                .await?
                .map(|s| s.user_id);
            tracing::warn!(session.id = %row.session_id, "refresh token reuse: session revoked");
            let event = SecurityEvent {
                kind: "refresh_token_reuse".into(),
                user_id,
                session_id: Some(row.session_id.clone()),
                client_ip: origin.client_ip.clone(),
                detail: format!("generation {} presented after rotation", row.generation),
                at_ms: now,
            };
            self.store.record_event(&event).await?;
        }
        Err(AuthError::InvalidRefreshToken)
    }

    /// Issues `successor`, the derived successor of `spent` (idempotently), and a new access
    /// token, if the session and its user are still in good standing.
    async fn rotate(
        &self,
        spent: &RefreshRow,
        successor: Secret,
        lifetime: AccessLifetime,
        now: i64,
    ) -> Result<IssuedTokens, AuthError> {
        let (session, user) = self
            .store
            .get_session_with_user(&spent.session_id)
            .await?
            .ok_or(AuthError::InvalidRefreshToken)?;

        if !is_live(&session, now) || user.is_disabled {
            return Err(AuthError::InvalidRefreshToken);
        }

        // The successor is derived from the token, so a retry inserts the same row, or none.
        let next = RefreshRow {
            digest: self.digests.refresh.digest(successor.expose()),
            session_id: session.id.clone(),
            generation: spent.generation + 1,
            issued_ms: now,
            consumed_ms: None,
        };
        self.store.insert_refresh_if_absent(&next).await?;

        // Refreshing pushes the idle deadline back, never past the absolute end.
        let idle_expires = (now + self.policy.session_idle_ms).min(session.expires_ms);
        self.store.touch_session(&session.id, idle_expires).await?;
        self.issue(&session, user, successor, lifetime, now)
    }

    /// The successor of a refresh token: the same for every caller holding the same token.
    fn successor_of(&self, token: &Secret) -> Secret {
        let mac = self.digests.successor.mac(&[token.expose().as_bytes()]);
        Secret::new(format!("{REFRESH_PREFIX}{}", URL_SAFE_NO_PAD.encode(mac)))
    }

    /// Signs an access token for the session and packages it with the refresh token.
    fn issue(
        &self,
        session: &SessionRow,
        user: UserRow,
        refresh_token: Secret,
        lifetime: AccessLifetime,
        now: i64,
    ) -> Result<IssuedTokens, AuthError> {
        let iat = now / 1000;
        // Never past the end of the session, for resource servers that verify offline.
        let exp = (iat + lifetime.secs()).min(session.expires_ms / 1000);
        let claims = AccessClaims {
            iss: self.policy.issuer.clone(),
            sub: user.id.to_string(),
            aud: self.policy.audience.clone(),
            exp,
            iat,
            jti: self.random.token(12),
            client_id: session.client_id.clone(),
            sid: session.id.clone(),
            id: user.id,
            username: user.username.clone(),
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            gender: user.gender.clone(),
            image: user.image.clone(),
        };

        let access_token = self.keys.ring().sign(now, ACCESS_TOKEN_TYP, &claims)?;
        Ok(IssuedTokens {
            access_token,
            access_lifetime_secs: exp - iat,
            refresh_token,
            refresh_lifetime_secs: ((session.expires_ms - now) / 1000).max(0),
            user,
        })
    }

    /// Verifies an access token: signature, type, issuer and audience, expiry.
    pub fn verify_access_token(&self, token: &str) -> Result<AccessClaims, AuthError> {
        let claims: AccessClaims = self
            .keys
            .ring()
            .verify(token, ACCESS_TOKEN_TYP, self.now_ms())
            .map_err(|e| match e {
                VerifyError::Expired => AuthError::ExpiredToken,
                VerifyError::Invalid => AuthError::InvalidToken,
            })?;

        if claims.iss != self.policy.issuer || claims.aud != self.policy.audience {
            return Err(AuthError::InvalidToken);
        }
        Ok(claims)
    }

    /// Verifies an access token and checks that its session and user are still in good
    /// standing; returns the user.
    pub async fn authenticate(&self, token: &str) -> Result<(AccessClaims, UserRow), AuthError> {
        let claims = match self.verify_access_token(token) {
            // Signed with a key another node added since our last reload?
            Err(AuthError::InvalidToken) if self.keys.reload_for_unknown_kid(token).await => {
                self.verify_access_token(token)?
            }
            verified => verified?,
        };

        let (session, user) = self
            .store
            .get_session_with_user(&claims.sid)
            .await?
            .ok_or(AuthError::InvalidToken)?;

        let is_owner = user.id.to_string() == claims.sub;
        if !is_owner || !is_live(&session, self.now_ms()) || user.is_disabled {
            return Err(AuthError::InvalidToken);
        }
        Ok((claims, user))
    }

    /// Ends the session of a verified access token.
    pub async fn logout_session(&self, session_id: &str) -> Result<(), AuthError> {
        self.store
            .revoke_session(session_id, self.now_ms(), "logout")
            .await?;
        tracing::info!(session.id = %session_id, "session ended by logout");
        Ok(())
    }

    /// Ends the session a refresh token belongs to, whatever generation it is.
    pub async fn logout_refresh_token(&self, token: &Secret) -> Result<(), AuthError> {
        if !is_refresh_token_shaped(token.expose()) {
            return Err(AuthError::InvalidRefreshToken);
        }

        let digest = self.digests.refresh.digest(token.expose());
        let row = self
            .store
            .find_refresh(&digest)
            .await?
            .ok_or(AuthError::InvalidRefreshToken)?;
        self.logout_session(&row.session_id).await
    }
}

/// A cheap shape check before any digest or lookup: prefix, then 43 base64url characters.
fn is_refresh_token_shaped(token: &str) -> bool {
    token.strip_prefix(REFRESH_PREFIX).is_some_and(|body| {
        body.len() == 43
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_accept_the_documented_range_only() {
        assert_eq!(
            AccessLifetime::from_minutes(None, 3600)
                .map(|l| l.secs())
                .ok(),
            Some(3600)
        );
        assert_eq!(
            AccessLifetime::from_minutes(Some(1.5), 0)
                .map(|l| l.secs())
                .ok(),
            Some(90)
        );
        assert!(AccessLifetime::from_minutes(Some(43_200.0), 0).is_ok());
        for bad in [0.0, 0.5, -5.0, 43_200.5, 50_000.0, f64::NAN, f64::INFINITY] {
            assert!(AccessLifetime::from_minutes(Some(bad), 0).is_err(), "{bad}");
        }
    }

    #[test]
    fn refresh_token_shape_is_checked_before_lookup() {
        assert!(is_refresh_token_shaped(&format!("fdr_{}", "a".repeat(43))));
        assert!(!is_refresh_token_shaped(&format!("fdr_{}", "a".repeat(42))));
        assert!(!is_refresh_token_shaped(&format!(
            "fdr_{}=",
            "a".repeat(42)
        )));
        assert!(!is_refresh_token_shaped("eyJhbGciOiJFZERTQSJ9.e30.sig"));
    }
}
