//! The DummyJSON-style error dialect: a status and `{"message": …}`, mapped from the domain's
//! errors in one place. Internal failures are logged here and reach the client as a bare 500.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::cookies;
use crate::core::accounts::AccountError;
use crate::core::tokens::MAX_ACCESS_MINUTES;
use crate::core::AuthError;
use crate::crypto::password::MAX_PASSWORD_BYTES;

/// An error answer of the `/auth/*` API.
#[derive(Debug)]
pub enum ApiError {
    /// The domain refused the request.
    Auth(AuthError),
    /// No access token in the header or the cookie.
    MissingAccessToken,
    /// No refresh token in the body or the cookie.
    MissingRefreshToken,
    /// `username` or `password` is missing or empty.
    MissingCredentials,
    /// `username` is not a string.
    InvalidUsername,
    /// The body could not be read as JSON or a form.
    BadBody(&'static str),
    /// The body is over the size limit.
    BodyTooLarge,
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        ApiError::Auth(err)
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        ApiError::Auth(AuthError::Internal(err.into()))
    }
}

impl ApiError {
    /// The status and message of this error.
    fn status_and_message(&self) -> (StatusCode, String) {
        use StatusCode as S;
        match self {
            ApiError::MissingAccessToken => (S::UNAUTHORIZED, "Access Token is required".into()),
            ApiError::MissingRefreshToken => (S::UNAUTHORIZED, "Refresh token required".into()),
            ApiError::MissingCredentials => {
                (S::BAD_REQUEST, "Username and password required".into())
            }
            ApiError::InvalidUsername => (S::BAD_REQUEST, "Username is not valid".into()),
            ApiError::BadBody(why) => (S::BAD_REQUEST, (*why).into()),
            ApiError::BodyTooLarge => (S::PAYLOAD_TOO_LARGE, "Request body is too large".into()),
            ApiError::Auth(err) => match err {
                AuthError::InvalidCredentials => (S::BAD_REQUEST, "Invalid credentials".into()),
                AuthError::AccountDisabled => (S::FORBIDDEN, "Account is disabled".into()),
                AuthError::Throttled { retry_after_secs } => (
                    S::TOO_MANY_REQUESTS,
                    format!(
                        "Too many failed logins; try again in {retry_after_secs} second{}",
                        if *retry_after_secs == 1 { "" } else { "s" }
                    ),
                ),
                AuthError::PasswordTooLong => (
                    S::BAD_REQUEST,
                    format!("Password is too long (at most {MAX_PASSWORD_BYTES} bytes)"),
                ),
                AuthError::InvalidExpiry => (
                    S::BAD_REQUEST,
                    format!("expiresInMins must be a number from 1 to {MAX_ACCESS_MINUTES}"),
                ),
                AuthError::InvalidToken => (S::UNAUTHORIZED, "Invalid/Expired Token!".into()),
                AuthError::ExpiredToken => (S::UNAUTHORIZED, "Token Expired!".into()),
                AuthError::InvalidRefreshToken => (S::FORBIDDEN, "Invalid refresh token".into()),
                AuthError::Internal(_) => {
                    (S::INTERNAL_SERVER_ERROR, "Internal server error".into())
                }
            },
        }
    }

    /// True for the failures of the access-token check, which also clear the token cookies
    /// and carry an RFC 6750 challenge.
    fn is_access_token_failure(&self) -> bool {
        matches!(
            self,
            ApiError::MissingAccessToken
                | ApiError::Auth(AuthError::InvalidToken | AuthError::ExpiredToken)
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Auth(AuthError::Internal(err)) = &self {
            tracing::error!(error = %err, "request failed");
        }

        let (status, message) = self.status_and_message();
        let mut response = (status, Json(json!({ "message": message }))).into_response();
        let headers = response.headers_mut();

        if let ApiError::Auth(AuthError::Throttled { retry_after_secs }) = &self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }

        if self.is_access_token_failure() {
            let challenge = match self {
                ApiError::MissingAccessToken => "Bearer realm=\"frontdesk\"",
                _ => "Bearer realm=\"frontdesk\", error=\"invalid_token\"",
            };
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
            // Only the access cookie: the refresh cookie is what lets the client recover
            // from this very answer, and deleting it would log the user out.
            headers.append(header::SET_COOKIE, cookies::clearing_access());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the status of every variant, so a change of mapping is a deliberate one.
    #[test]
    fn every_variant_has_its_status() {
        let cases: Vec<(ApiError, u16)> = vec![
            (ApiError::MissingAccessToken, 401),
            (ApiError::MissingRefreshToken, 401),
            (ApiError::MissingCredentials, 400),
            (ApiError::InvalidUsername, 400),
            (ApiError::BadBody("x"), 400),
            (ApiError::BodyTooLarge, 413),
            (AuthError::InvalidCredentials.into(), 400),
            (AuthError::AccountDisabled.into(), 403),
            (
                AuthError::Throttled {
                    retry_after_secs: 3,
                }
                .into(),
                429,
            ),
            (AuthError::PasswordTooLong.into(), 400),
            (AuthError::InvalidExpiry.into(), 400),
            (AuthError::InvalidToken.into(), 401),
            (AuthError::ExpiredToken.into(), 401),
            (AuthError::InvalidRefreshToken.into(), 403),
            (AuthError::Internal(anyhow::anyhow!("boom")).into(), 500),
        ];
        for (err, status) in cases {
            assert_eq!(err.status_and_message().0.as_u16(), status, "{err:?}");
        }
    }

    #[test]
    fn internal_detail_never_reaches_the_body() {
        let (_, message) = ApiError::from(AuthError::Internal(anyhow::anyhow!("secret detail")))
            .status_and_message();
        assert_eq!(message, "Internal server error");
    }
}
