//! The HTTP layer: routes, request limits, tracing, and the answers of each dialect. Handlers
//! are thin: they parse, call one core function, and shape the result.

pub mod admin;
mod auth;
mod body;
mod cookies;
pub mod error;
pub mod server;
mod wellknown;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{CACHE_CONTROL, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tower_http::trace::TraceLayer;

use crate::core::Core;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
    /// Mark token cookies `Secure`.
    pub cookie_secure: bool,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Largest accepted total of request header names and values.
    pub max_header_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: Arc<[IpAddr]>,
    /// The admin API's token; `None` turns the admin API off.
    pub admin_token: Option<Arc<admin::AdminToken>>,
}

/// Builds the router with all routes and limits.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/user/login", post(auth::login))
        .route("/users/login", post(auth::login))
        .route("/auth/me", get(auth::me))
        .route("/user/me", get(auth::me))
        .route("/users/me", get(auth::me))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route(
            "/admin/clients",
            get(admin::list_clients).post(admin::create_client),
        )
        .route(
            "/admin/clients/{client_id}",
            get(admin::get_client)
                .patch(admin::update_client)
                .put(admin::update_client)
                .delete(admin::delete_client),
        )
        .route("/.well-known/jwks.json", get(wellknown::jwks))
        .route("/healthz", get(wellknown::healthz))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(no_store_by_default))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            mark_cookies_secure,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), limit_headers))
        .layer(middleware::from_fn_with_state(
            request_timeout,
            limit_duration,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The matched route, never the raw URI: queries may carry codes or tokens.
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str);
            tracing::info_span!("request", http.method = %req.method(), http.route = route)
        }))
        .with_state(state)
}

/// Refuses requests whose headers add up to more than the limit (RFC 6585 §5).
async fn limit_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let total: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if total > state.max_header_bytes {
        let body = Json(json!({"message": "Request headers are too large"}));
        return (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, body).into_response();
    }
    next.run(req).await
}

/// Adds `Secure` to every cookie the server sets, unless it runs on plain http (where browsers
/// would refuse such cookies, deletions included).
async fn mark_cookies_secure(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if !state.cookie_secure {
        return response;
    }

    let headers = response.headers_mut();
    let marked: Vec<HeaderValue> = headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| match value.to_str() {
            Ok(text) if !text.contains("; Secure") => {
                HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or_else(|_| value.clone())
            }
            _ => value.clone(),
        })
        .collect();

    // Put the cookies back, marked, in their original order.
    headers.remove(SET_COOKIE);
    for value in marked {
        headers.append(SET_COOKIE, value);
    }
    response
}

/// Answers 408 with a message when a request takes longer than the configured time.
async fn limit_duration(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            let body = Json(json!({"message": "The request took too long"}));
            (StatusCode::REQUEST_TIMEOUT, body).into_response()
        }
    }
}

/// Marks every answer `Cache-Control: no-store` unless its handler chose otherwise: tokens and
/// profiles must never sit in a cache (RFC 6749 §5.1).
async fn no_store_by_default(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if !response.headers().contains_key(CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The `{"message"}` answer to a known path with the wrong method.
async fn method_not_allowed() -> Response {
    let body = Json(json!({"message": "Method not allowed"}));
    (StatusCode::METHOD_NOT_ALLOWED, body).into_response()
}

/// The `{"message"}` answer to any path without a route.
async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"message": "Not found"}))).into_response()
}
