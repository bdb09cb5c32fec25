//! The storage contract: the row types and the one trait every backend implements.
//!
//! Nothing outside this module imports the database driver. Each atomic rule of the token engine
//! ("consume this refresh token exactly once", "count one more failed login") is a single
//! statement here, so it holds when several nodes share one database. The backend is chosen once,
//! in [`open`], from the database URL.

mod sql;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;

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
    pub role: String,
    pub password_hash: String,
    pub is_disabled: bool,
    pub created_ms: i64,
}

/// A user about to be created. The `*_key` fields are the normalised forms that uniqueness and
/// login lookups compare.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub username_key: String,
    pub email: String,
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
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: i64,
    pub client_id: String,
    pub auth_time_ms: i64,
    pub created_ms: i64,
    pub idle_expires_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    pub revoke_reason: Option<String>,
}

/// A refresh token, known only by its keyed digest.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RefreshRow {
    pub digest: Vec<u8>,
    pub session_id: String,
    pub generation: i64,
    pub issued_ms: i64,
    pub consumed_ms: Option<i64>,
}

/// A signing key; the private half is encrypted under the master key.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    pub private_key_enc: Vec<u8>,
    pub public_jwk: String,
    pub created_ms: i64,
    pub signs_from_ms: i64,
    pub retired_ms: Option<i64>,
    pub unpublish_ms: Option<i64>,
}

/// Failed-login bookkeeping for one throttling key (an account or a client address).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ThrottleRow {
    pub key: String,
    pub failures: i64,
    pub last_failure_ms: i64,
    pub blocked_until_ms: i64,
}

/// Something an operator may need to look at later: refresh-token reuse, a revoked family.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SecurityEvent {
    pub kind: String,
    pub user_id: Option<i64>,
    pub session_id: Option<String>,
    pub client_ip: Option<String>,
    pub detail: String,
    pub at_ms: i64,
}

/// Why a store call failed. `Conflict` is a unique constraint; everything else is the backend's
/// own failure and becomes a 500 without detail at the edge.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a row with the same unique value exists")]
    Conflict,
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

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
    /// Finds the user whose username key or email key equals `key`.
    async fn find_user_by_login_key(&self, key: &str) -> StoreResult<Option<UserRow>>;
    async fn get_user(&self, id: i64) -> StoreResult<Option<UserRow>>;
    async fn list_users(&self) -> StoreResult<Vec<UserRow>>;
    async fn count_users(&self) -> StoreResult<i64>;
    /// Returns false when no such user exists.
    async fn set_user_disabled(&self, id: i64, disabled: bool) -> StoreResult<bool>;
    /// Returns false when no such user exists.
    async fn set_password_hash(&self, id: i64, hash: &str) -> StoreResult<bool>;

    // Sessions and refresh tokens.
    /// Creates a session together with its first refresh token, atomically.
    async fn create_session(&self, session: &SessionRow, first: &RefreshRow) -> StoreResult<()>;
    async fn get_session(&self, id: &str) -> StoreResult<Option<SessionRow>>;
    /// The session and its user in one read: what every authenticated request needs.
    async fn get_session_with_user(&self, id: &str) -> StoreResult<Option<(SessionRow, UserRow)>>;
    /// Marks the token consumed if, and only if, nobody has consumed it yet. Exactly one of any
    /// number of concurrent callers gets `Some`.
    async fn consume_refresh(&self, digest: &[u8], now_ms: i64) -> StoreResult<Option<RefreshRow>>;
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
    async fn list_signing_keys(&self) -> StoreResult<Vec<SigningKeyRow>>;
    async fn insert_signing_key(&self, key: &SigningKeyRow) -> StoreResult<()>;

    // Login throttling.
    async fn get_throttle(&self, key: &str) -> StoreResult<Option<ThrottleRow>>;
    /// Counts one failure. Failures older than `forget_before_ms` are forgotten first, so the
    /// count restarts at one. Returns the new count.
    async fn record_failure(
        &self,
        key: &str,
        now_ms: i64,
        forget_before_ms: i64,
    ) -> StoreResult<i64>;
    async fn set_blocked_until(&self, key: &str, until_ms: i64) -> StoreResult<()>;
    async fn clear_throttle(&self, key: &str) -> StoreResult<()>;

    // Security events.
    async fn record_event(&self, event: &SecurityEvent) -> StoreResult<()>;
    async fn list_events(&self, limit: i64) -> StoreResult<Vec<SecurityEvent>>;
}

/// A store shared by every handler.
pub type SharedStore = Arc<dyn Store>;

/// Opens the database named by `url`, applying migrations when `migrate` is set.
pub async fn open(url: &str, migrate: bool) -> anyhow::Result<SharedStore> {
    if url.starts_with("sqlite:") {
        let store = sqlite::SqliteStore::connect(url).await?;
        if migrate {
            store.migrate().await?;
        }
        return Ok(Arc::new(store));
    }
    anyhow::bail!("unsupported database URL scheme (expected sqlite:)")
}
