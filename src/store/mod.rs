//! The storage contract: the row types and the one trait every backend implements.
//!
//! Nothing outside this module imports the database driver. Each atomic rule of the token engine
//! ("consume this refresh token exactly once", "count one more failed login") is a single
//! statement here, so it holds when several nodes share one database. The backend is chosen once,
//! in [`open`], from the database URL.

pub(crate) mod clients_sql;
pub mod export;
pub mod postgres;
mod sql;
pub mod sqlite;
mod transfer;

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use export::{EventRecord, Record, Table, UserRecord};

/// A user as stored. `password_hash` is a PHC string and never leaves the core.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub gender: String,
    pub image: String,
    pub phone: String,
    pub birth_date: String,
    /// `user` or `admin`.
    pub role: String,
    /// A PHC string (Argon2id), or `!` for an account without a password.
    pub password_hash: String,
    /// A disabled user can neither log in nor refresh.
    pub is_disabled: bool,
    /// Creation time, Unix milliseconds (as every `*_ms` field in the store).
    pub created_ms: i64,
}

/// A user about to be created. The `*_key` fields are the normalised forms that uniqueness and
/// login lookups compare.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    /// The comparison key of `username` (see [`crate::core::identity::login_key`]).
    pub username_key: String,
    pub email: String,
    /// The comparison key of `email`.
    pub email_key: String,
    pub first_name: String,
    pub last_name: String,
    pub gender: String,
    pub image: String,
    pub phone: String,
    pub birth_date: String,
    pub role: String,
    pub password_hash: String,
    pub created_ms: i64,
}

/// One login: the family that all refresh tokens of that login belong to.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, Serialize, Deserialize)]
pub struct SessionRow {
    /// Random, and carried in access tokens as `sid`.
    pub id: String,
    pub user_id: i64,
    /// The client the session was started for.
    pub client_id: String,
    /// When the user last proved who they are.
    pub auth_time_ms: i64,
    pub created_ms: i64,
    /// The session ends here unless a refresh pushes it back.
    pub idle_expires_ms: i64,
    /// The session ends here however active it is.
    pub expires_ms: i64,
    /// Set once, when the session is revoked.
    pub revoked_ms: Option<i64>,
    /// Why it was revoked: `logout`, `refresh_token_reuse`, `user_disabled`, …
    pub revoke_reason: Option<String>,
}

/// A refresh token, known only by its keyed digest.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, Serialize, Deserialize)]
pub struct RefreshRow {
    /// The keyed digest of the token; the token itself is never stored.
    #[serde(with = "export::base64_bytes")]
    pub digest: Vec<u8>,
    pub session_id: String,
    /// 0 for the token issued at login, one more for each successor.
    pub generation: i64,
    pub issued_ms: i64,
    /// Set when the token is traded for its successor.
    pub consumed_ms: Option<i64>,
}

/// A signing key; the private half is encrypted under the master key.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, Serialize, Deserialize)]
pub struct SigningKeyRow {
    /// The JWS `kid` header of tokens this key signs.
    pub kid: String,
    /// `EdDSA` or `ES256`.
    pub alg: String,
    /// The PKCS#8 private key, sealed under the master key with the kid as associated data.
    #[serde(with = "export::base64_bytes")]
    pub private_key_enc: Vec<u8>,
    /// The public half as a JWK, as published in the JWKS.
    pub public_jwk: String,
    pub created_ms: i64,
    /// The key signs new tokens from this time on.
    pub signs_from_ms: i64,
    /// The key stops signing at this time.
    pub retired_ms: Option<i64>,
    /// The key leaves the JWKS at this time.
    pub unpublish_ms: Option<i64>,
}

/// An OAuth client (an app). Lists are space-separated text (docs/clients.md); the core turns
/// them into vectors.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientRow {
    /// The public identifier apps send as `client_id`.
    pub client_id: String,
    /// Shown to users on the consent page.
    pub name: String,
    /// The keyed digest of the client secret; `None` for a public client.
    #[serde(with = "export::base64_bytes_opt")]
    pub secret_digest: Option<Vec<u8>>,
    /// A public client (a native or browser app) cannot keep a secret and must use PKCE.
    pub is_public: bool,
    /// A first-party client skips the consent screen.
    pub is_first_party: bool,
    /// Space-separated redirect URIs, each compared by exact string.
    pub redirect_uris: String,
    /// Space-separated URIs that RP-initiated logout may redirect to.
    pub post_logout_redirect_uris: String,
    /// Space-separated scopes the client may ask for.
    pub allowed_scopes: String,
    /// Space-separated grant types the client may use.
    pub grant_types: String,
    /// Access token lifetime in seconds; `None` means the server's default.
    pub access_token_ttl_secs: Option<i64>,
    /// Refresh token (session) lifetime in seconds; `None` means the server's default.
    pub refresh_token_ttl_secs: Option<i64>,
    /// The JWS algorithm of this client's ID tokens: `RS256`, `ES256` or `EdDSA`.
    pub id_token_alg: String,
    pub created_ms: i64,
}

/// Failed-login bookkeeping for one throttling key (an account or a client address).
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, Serialize, Deserialize)]
pub struct ThrottleRow {
    /// `account:…`, `address:…`, `unknown:…`, or `known:…` for a remembered address.
    pub key: String,
    /// Failures counted since the last quiet period.
    pub failures: i64,
    /// Time of the last counted attempt.
    pub last_failure_ms: i64,
    /// Attempts are refused unchecked until then; 0 when not blocked.
    pub blocked_until_ms: i64,
}

/// Something an operator may need to look at later: refresh-token reuse, a revoked family.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SecurityEvent {
    /// What happened, as a short snake_case name.
    pub kind: String,
    pub user_id: Option<i64>,
    pub session_id: Option<String>,
    pub client_ip: Option<String>,
    /// Free text for the operator; never a secret.
    pub detail: String,
    pub at_ms: i64,
}

/// Why a store call failed. `Conflict` is a unique constraint; everything else is the backend's
/// own failure and becomes a 500 without detail at the edge.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was hit.
    #[error("a row with the same unique value exists")]
    Conflict,
    /// Anything else the driver reported.
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What every store call returns.
pub type StoreResult<T> = Result<T, StoreError>;

/// The storage contract. One implementation per backend; the same SQL text serves both, so the
/// rules cannot drift apart.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers when the database answers a trivial query.
    async fn ping(&self) -> StoreResult<()>;

    // Users.
    /// Inserts a user and returns its id; `Conflict` when the username or email key is taken.
    async fn create_user(&self, user: &NewUser) -> StoreResult<i64>;
    /// Finds the user whose username key or email key equals `key`; a key with a NUL character
    /// finds nobody.
    async fn find_user_by_login_key(&self, key: &str) -> StoreResult<Option<UserRow>>;
    /// The user with this id.
    async fn get_user(&self, id: i64) -> StoreResult<Option<UserRow>>;
    /// Every user, in id order.
    async fn list_users(&self) -> StoreResult<Vec<UserRow>>;
    /// How many users exist.
    async fn count_users(&self) -> StoreResult<i64>;
    /// Returns false when no such user exists.
    async fn set_user_disabled(&self, id: i64, disabled: bool) -> StoreResult<bool>;
    /// Returns false when no such user exists.
    async fn set_password_hash(&self, id: i64, hash: &str) -> StoreResult<bool>;

    // Sessions and refresh tokens.
    /// Creates a session together with its first refresh token, atomically.
    async fn create_session(&self, session: &SessionRow, first: &RefreshRow) -> StoreResult<()>;
    /// The session with this id, live or not.
    async fn get_session(&self, id: &str) -> StoreResult<Option<SessionRow>>;
    /// The session and its user in one read: what every authenticated request needs.
    async fn get_session_with_user(&self, id: &str) -> StoreResult<Option<(SessionRow, UserRow)>>;
    /// Marks the token consumed if, and only if, nobody has consumed it yet. Exactly one of any
    /// number of concurrent callers gets `Some`.
    async fn consume_refresh(&self, digest: &[u8], now_ms: i64) -> StoreResult<Option<RefreshRow>>;
    /// The stored token with this digest, consumed or not.
    async fn find_refresh(&self, digest: &[u8]) -> StoreResult<Option<RefreshRow>>;
    /// Inserts the token unless a token with that digest exists; inserting the same successor
    /// twice is therefore harmless.
    async fn insert_refresh_if_absent(&self, token: &RefreshRow) -> StoreResult<()>;
    /// Moves the idle expiry of a live session.
    async fn touch_session(&self, id: &str, idle_expires_ms: i64) -> StoreResult<()>;
    /// Revokes a live session; returns false when it was already revoked or does not exist.
    async fn revoke_session(&self, id: &str, now_ms: i64, reason: &str) -> StoreResult<bool>;
    /// Revokes every live session of a user; returns how many.
    async fn revoke_user_sessions(
        &self,
        user_id: i64,
        now_ms: i64,
        reason: &str,
    ) -> StoreResult<u64>;

    // Signing keys.
    /// Every key, oldest first; the key ring decides which to publish and which signs.
    async fn list_signing_keys(&self) -> StoreResult<Vec<SigningKeyRow>>;
    /// Stores a new key; `Conflict` when the kid exists.
    async fn insert_signing_key(&self, key: &SigningKeyRow) -> StoreResult<()>;

    // Login throttling.
    /// The row of a throttling key, if any.
    async fn get_throttle(&self, key: &str) -> StoreResult<Option<ThrottleRow>>;
    /// Replaces the throttling row of `next.key` with `next` if, and only if, the stored row is
    /// still `expected` (`None`: no row). Of any number of concurrent callers expecting the same
    /// row, exactly one succeeds; the others re-read and try again.
    async fn swap_throttle(
        &self,
        expected: Option<&ThrottleRow>,
        next: &ThrottleRow,
    ) -> StoreResult<bool>;
    /// Deletes the row of a throttling key.
    async fn clear_throttle(&self, key: &str) -> StoreResult<()>;

    // OAuth clients.
    /// Inserts a client; `Conflict` when the client id is taken.
    async fn create_client(&self, client: &ClientRow) -> StoreResult<()>;
    /// The client with this id.
    async fn get_client(&self, client_id: &str) -> StoreResult<Option<ClientRow>>;
    /// Every client, in client id order.
    async fn list_clients(&self) -> StoreResult<Vec<ClientRow>>;
    /// Replaces every column but the id and creation time; false when no such client exists.
    async fn update_client(&self, client: &ClientRow) -> StoreResult<bool>;
    /// Deletes a client; false when no such client exists.
    async fn delete_client(&self, client_id: &str) -> StoreResult<bool>;

    // Security events.
    /// Appends a security event.
    async fn record_event(&self, event: &SecurityEvent) -> StoreResult<()>;
    /// The newest `limit` events, newest first.
    async fn list_events(&self, limit: i64) -> StoreResult<Vec<SecurityEvent>>;

    // Export and import: every table, row by row (docs/export-format.md).
    /// How many rows `table` holds.
    async fn count_rows(&self, table: Table) -> StoreResult<i64>;
    /// Hands every row of every table in [`Table::ALL`] to `sink`, table after table, each in
    /// primary-key order, all read from one consistent snapshot of the database.
    async fn export_rows(&self, sink: &mut RecordSink<'_>) -> StoreResult<()>;
    /// Inserts exported rows as they are (ids included), in one transaction.
    async fn import_rows(&self, records: &[Record]) -> StoreResult<()>;
    /// Ends an import: moves the id generators past the imported ids.
    async fn finish_import(&self) -> StoreResult<()>;
}

/// Receives exported rows; an error stops the export.
pub type RecordSink<'a> = dyn FnMut(Record) -> anyhow::Result<()> + Send + 'a;

/// A store shared by every handler.
pub type SharedStore = Arc<dyn Store>;

/// The database URL schemes [`open`] understands.
pub const SUPPORTED_SCHEMES: &str = "sqlite:, postgres:// or postgresql://";

/// True when [`open`] knows the backend of `url`.
pub fn is_supported_url(url: &str) -> bool {
    url.starts_with("sqlite:") || postgres::is_postgres_url(url)
}

/// Opens the database named by `url`, applying migrations when `migrate` is set. This is the one
/// place that chooses a backend.
pub async fn open(url: &str, migrate: bool) -> anyhow::Result<SharedStore> {
    if url.starts_with("sqlite:") {
        let store = sqlite::SqliteStore::connect(url).await?;

        if migrate {
            store.migrate().await?;
        }
        return Ok(Arc::new(store));
    }

    if postgres::is_postgres_url(url) {
        let store = postgres::PostgresStore::connect(url).await?;
        if migrate {
            store.migrate().await?;
        }
        return Ok(Arc::new(store));
    }
    anyhow::bail!("unsupported database URL scheme (expected {SUPPORTED_SCHEMES})")
}
