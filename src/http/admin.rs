//! The admin API (`/admin/*`): client registration over HTTP, in the `{"message"}` dialect.
//!
//! Until API keys exist, the one credential it accepts is the configured admin token, sent as
//! `Authorization: Bearer <token>` and compared through keyed digests in constant time. With no
//! token configured the admin API does not exist: every admin path answers 404 like any unknown
//! path, so a deployment that never enabled it does not even reveal it (docs/clients.md).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::body::Fields;
use super::error::ApiError;
use super::AppState;
use crate::core::clients::{Client, ClientError, ClientUpdate, NewClient};
use crate::crypto::digest::{constant_time_eq, DigestKey};
use crate::crypto::random::Random;
use crate::crypto::secret::Secret;

/// The configured admin token, kept only as a keyed digest under a per-process random key.
pub struct AdminToken {
    key: DigestKey,
    digest: Vec<u8>,
}

impl AdminToken {
    /// Digests `token` under a fresh random key.
    pub fn new(token: &Secret, random: &dyn Random) -> Self {
        let mut key = [0u8; 32];
        random.fill(&mut key);
        let key = DigestKey::new(key);
        let digest = key.digest(token.expose());
        Self { key, digest }
    }

    /// True when `presented` is the admin token; the time taken does not depend on how much of
    /// it is right.
    pub fn accepts(&self, presented: &str) -> bool {
        constant_time_eq(&self.key.digest(presented), &self.digest)
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// Proof that the request carries the admin token; an admin handler cannot run without it.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AdminError> {
        let token = state.admin_token.as_ref().ok_or(AdminError::Disabled)?;

        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
            .map(|(_, token)| token)
            .ok_or(AdminError::Unauthorized)?;
        if token.accepts(presented.trim()) {
            Ok(Admin)
        } else {
            Err(AdminError::Unauthorized)
        }
    }
}

/// An error answer of the admin API.
#[derive(Debug)]
pub enum AdminError {
    /// No admin token is configured: the admin API does not exist.
    Disabled,
    /// The admin token is missing or wrong.
    Unauthorized,
    /// The body is not what the endpoint takes; the message says why.
    BadBody(String),
    /// The body could not be read at all.
    Body(ApiError),
    /// The core refused the change.
    Client(ClientError),
}

impl From<ClientError> for AdminError {
    fn from(err: ClientError) -> Self {
        AdminError::Client(err)
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        use StatusCode as S;
        let (status, message) = match self {
            AdminError::Disabled => (S::NOT_FOUND, "Not found".to_owned()),
            AdminError::Unauthorized => {
                let body = Json(json!({"message": "A valid admin token is required"}));
                let challenge = HeaderValue::from_static("Bearer realm=\"frontdesk-admin\"");
                let headers = [(header::WWW_AUTHENTICATE, challenge)];
                return (S::UNAUTHORIZED, headers, body).into_response();
            }
            AdminError::BadBody(why) => (S::BAD_REQUEST, why),
            AdminError::Body(err) => return err.into_response(),
            AdminError::Client(err) => match err {
                ClientError::Invalid(why) => (S::BAD_REQUEST, why.to_string()),
                ClientError::PublicClientSecret => (S::BAD_REQUEST, err.to_string()),
                ClientError::Exists => (S::CONFLICT, "A client with this client_id exists".into()),
                ClientError::NotFound => (S::NOT_FOUND, "Client not found".into()),
                ClientError::Internal(cause) => {
                    tracing::error!(error = %cause, "admin request failed");
                    (S::INTERNAL_SERVER_ERROR, "Internal server error".into())
                }
            },
        };
        (status, Json(json!({"message": message}))).into_response()
    }
}

/// `POST /admin/clients`: registers a client; a confidential client's secret is in this answer
/// and never again.
pub async fn create_client(
    _: Admin,
    State(state): State<AppState>,
    body: Result<Fields, ApiError>,
) -> Result<Response, AdminError> {
    let new: NewClient = parse(body)?;
    let (client, secret) = state.core.create_client(new).await?;
    Ok((StatusCode::CREATED, Json(shown(&client, secret)?)).into_response())
}

/// `GET /admin/clients`: every client, without secrets.
pub async fn list_clients(
    _: Admin,
    State(state): State<AppState>,
) -> Result<Json<Value>, AdminError> {
    let clients = state.core.list_clients().await?;
    Ok(Json(json!({"clients": clients, "total": clients.len()})))
}

/// `GET /admin/clients/{client_id}`: one client, without its secret.
pub async fn get_client(
    _: Admin,
    State(state): State<AppState>,
    Path(client_id): Path<String>,
) -> Result<Json<Client>, AdminError> {
    Ok(Json(state.core.get_client(&client_id).await?))
}

/// `PATCH` or `PUT /admin/clients/{client_id}`: changes the fields given; with
/// `"rotate_secret": true` the answer carries the new secret.
pub async fn update_client(
    _: Admin,
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    body: Result<Fields, ApiError>,
) -> Result<Json<Value>, AdminError> {
    let update: ClientUpdate = parse(body)?;
    let (client, secret) = state.core.update_client(&client_id, update).await?;
    Ok(Json(shown(&client, secret)?))
}

/// `DELETE /admin/clients/{client_id}`: deletes a client; 204 on success.
pub async fn delete_client(
    _: Admin,
    State(state): State<AppState>,
    Path(client_id): Path<String>,
) -> Result<StatusCode, AdminError> {
    state.core.delete_client(&client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reads a JSON object body into `T`, naming the offending field when it does not fit.
fn parse<T: serde::de::DeserializeOwned>(body: Result<Fields, ApiError>) -> Result<T, AdminError> {
    let fields = body.map_err(AdminError::Body)?;
    serde_json::from_value(Value::Object(fields.0))
        .map_err(|e| AdminError::BadBody(format!("Invalid request body: {e}")))
}

/// The client as JSON, with `client_secret` added when one was just generated.
fn shown(client: &Client, secret: Option<Secret>) -> Result<Value, AdminError> {
    let mut value = serde_json::to_value(client)
        .map_err(|e| AdminError::Client(ClientError::Internal(e.into())))?;
    if let (Some(secret), Value::Object(map)) = (secret, &mut value) {
        map.insert("client_secret".into(), secret.expose().into());
    }
    Ok(value)
}

/// The admin token of a configuration, ready for the router.
pub fn admin_token(token: Option<&Secret>, random: &dyn Random) -> Option<Arc<AdminToken>> {
    token.map(|t| Arc::new(AdminToken::new(t, random)))
}
