//! Public, unauthenticated documents: the JWKS and the health check.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::AppState;

/// `GET /.well-known/jwks.json`: every published public key.
pub async fn jwks(State(state): State<AppState>) -> Response {
    let jwks = state.core.keys.ring().jwks(state.core.now_ms());
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(jwks)).into_response()
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.core.store.ping().await {
        Ok(()) => Json(json!({"status": "ok"})).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}
