//! The `/auth/*` API, compatible with DummyJSON's auth API (see docs/compatibility.md for where
//! it is deliberately stricter). Handlers only parse, call the core, and shape the answer.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::body::{is_truthy, Fields};
use super::cookies;
use super::error::ApiError;
use super::AppState;
use crate::core::login::LoginAttempt;
use crate::core::profile::Profile;
use crate::core::tokens::{AccessLifetime, IssuedTokens, RequestOrigin};
use crate::core::AuthError;
use crate::crypto::secret::Secret;

/// `POST /auth/login`: username or email and password in, tokens and profile out.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, ApiError> {
    let (username, password) = (fields.0.get("username"), fields.0.get("password"));
    if !is_truthy(username) || !is_truthy(password) {
        return Err(ApiError::MissingCredentials);
    }

    let identifier = username
        .and_then(|v| v.as_str())
        .ok_or(ApiError::InvalidUsername)?;

    let lifetime = lifetime_of(&fields, &state)?;
    // A non-string password can never match; it still takes the normal path so the answer
    // (and the throttling) are the same as for any wrong password.
    let password = password.and_then(|v| v.as_str()).map(Secret::new);
    let attempt = LoginAttempt {
        identifier: identifier.to_owned(),
        password,
        lifetime,
        origin: origin_of(&state, peer, &headers),
    };

    let issued = state.core.login(attempt).await?;

    // DummyJSON's login answer: both tokens beside the profile.
    let profile = Profile::from(&issued.user);
    let body = json!({
        "accessToken": issued.access_token,
        "refreshToken": issued.refresh_token.expose(),
        "id": profile.id,
        "username": profile.username,
        "email": profile.email,
        "firstName": profile.first_name,
        "lastName": profile.last_name,
        "gender": profile.gender,
        "image": profile.image,
    });

    Ok(with_token_cookies(
        &state,
        &issued,
        Json(body).into_response(),
    ))
}

/// `GET /auth/me`: the profile of the user behind the access token.
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let token = access_token(&headers)?;
    let (_, user) = state.core.authenticate(&token).await?;
    Ok(Json(Profile::from(&user)).into_response())
}

/// `POST /auth/refresh`: a refresh token (body or cookie) for a new pair.
pub async fn refresh(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, ApiError> {
    let token = refresh_token(&fields, &headers).ok_or(ApiError::MissingRefreshToken)?;
    let lifetime = lifetime_of(&fields, &state)?;

    let issued = state
        .core
        .refresh(&token, lifetime, &origin_of(&state, peer, &headers))
        .await?;

    let body = json!({
        "accessToken": issued.access_token,
        "refreshToken": issued.refresh_token.expose(),
    });

    Ok(with_token_cookies(
        &state,
        &issued,
        Json(body).into_response(),
    ))
}

/// `POST /auth/logout`: ends the session named by the access token, or by the refresh token
/// when no valid access token is given, and clears both cookies.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, ApiError> {
    let by_access = match access_token(&headers) {
        Ok(token) => Some(state.core.authenticate(&token).await),
        Err(_) => None,
    };

    // A valid access token names the session; otherwise the refresh token does.
    match (by_access, refresh_token(&fields, &headers)) {
        (Some(Ok((claims, _))), _) => state.core.logout_session(&claims.sid).await?,
        (_, Some(refresh)) => state.core.logout_refresh_token(&refresh).await?,
        (Some(Err(err)), None) => return Err(err.into()),
        (None, None) => return Err(ApiError::MissingAccessToken),
    }

    let mut response = (
        StatusCode::OK,
        Json(json!({"message": "Logged out successfully"})),
    )
        .into_response();
    for cookie in cookies::clearing() {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The access token from `Authorization` (scheme `Bearer`, or a bare token as DummyJSON
/// allows) or, when that header is absent, from the `accessToken` cookie.
fn access_token(headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let value = value.to_str().map_err(|_| AuthError::InvalidToken)?.trim();
        if !value.is_empty() {
            return match value.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                    Ok(token.trim().to_owned())
                }
                Some(_) => Err(AuthError::InvalidToken.into()),
                None => Ok(value.to_owned()),
            };
        }
    }

    cookie(headers, "accessToken").ok_or(ApiError::MissingAccessToken)
}

/// The refresh token from the body, else from the `refreshToken` cookie.
fn refresh_token(fields: &Fields, headers: &HeaderMap) -> Option<Secret> {
    fields
        .string("refreshToken")
        .map(str::to_owned)
        .or_else(|| cookie(headers, "refreshToken"))
        .map(Secret::new)
}

/// The value of the cookie `name`, if the request carries a non-empty one.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| cookies::find(h, name))
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The requested access-token lifetime (`expiresInMins`), or the configured default.
fn lifetime_of(fields: &Fields, state: &AppState) -> Result<AccessLifetime, ApiError> {
    let minutes = fields
        .minutes("expiresInMins")
        .map_err(|()| AuthError::InvalidExpiry)?;
    Ok(AccessLifetime::from_minutes(
        minutes,
        state.core.policy.default_access_secs,
    )?)
}

/// The client's address: the peer, or, when the peer is a trusted reverse proxy, the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy. The header is ignored from
/// anyone else, so clients cannot choose the address they are throttled by.
fn origin_of(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> RequestOrigin {
    let trusted = |ip: &IpAddr| state.trusted_proxies.contains(ip);
    let mut client = peer.ip();

    if trusted(&client) {
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in forwarded.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) if trusted(&ip) => continue,
                Ok(ip) => {
                    client = ip;
                    break;
                }
                // Garbage where an address should be: stop at the last trustworthy hop.
                Err(_) => break,
            }
        }
    }

    RequestOrigin {
        client_ip: Some(client.to_string()),
    }
}

/// Sets the access and refresh cookies, each living as long as its token.
fn with_token_cookies(state: &AppState, issued: &IssuedTokens, mut response: Response) -> Response {
    let now = state.core.now_ms();
    let access = cookies::token_cookie(
        "accessToken",
        &issued.access_token,
        issued.access_lifetime_secs,
        now,
    );

    let refresh = cookies::token_cookie(
        "refreshToken",
        issued.refresh_token.expose(),
        issued.refresh_lifetime_secs,
        now,
    );

    response.headers_mut().append(SET_COOKIE, access);
    response.headers_mut().append(SET_COOKIE, refresh);
    response
}
