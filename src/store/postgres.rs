//! The PostgreSQL backend: several Frontdesk nodes share one database.
//!
//! The URL is a libpq-style `postgres://` or `postgresql://` URL. A schema other than `public`
//! is chosen with the standard `options` parameter, for example
//! `postgres://frontdesk@db/frontdesk?options=-c%20search_path%3Dtenant_a`; migrations then create
//! their tables (and sqlx's bookkeeping table) in that schema.
//!
//! Transactions run at PostgreSQL's default `READ COMMITTED` isolation: the store's atomic rules
//! are single statements that cannot fail with serialization errors (see `sql.rs`).

use std::str::FromStr;

use anyhow::Context;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use super::sql::{impl_store, map_err, SESSION_COLUMNS, USER_COLUMNS};
use super::{
    NewUser, RefreshRow, SecurityEvent, SessionRow, SigningKeyRow, StoreResult, ThrottleRow,
    UserRow,
};

/// Connections per node. Several nodes multiply this: keep the sum under the server's
/// `max_connections`.
const MAX_CONNECTIONS: u32 = 10;

/// True for the URL schemes this backend serves.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The PostgreSQL implementation of [`super::Store`].
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// An export reads every table from one snapshot.
    const EXPORT_SNAPSHOT: &'static [&'static str] =
        &["SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"];

    /// Identity columns do not follow explicitly inserted ids; move them past the largest.
    const AFTER_IMPORT: &'static [&'static str] = &[
        "SELECT setval(pg_get_serial_sequence('users', 'id'), \
         (SELECT COALESCE(MAX(id), 0) + 1 FROM users), false)",
        "SELECT setval(pg_get_serial_sequence('security_events', 'id'), \
         (SELECT COALESCE(MAX(id), 0) + 1 FROM security_events), false)",
    ];

    /// Connects to the database named by a `postgres://` or `postgresql://` URL.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let options = PgConnectOptions::from_str(url)?.application_name("frontdesk");
        let target = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .with_context(|| format!("connecting to PostgreSQL at {target}"))?;
        Ok(Self { pool })
    }

    /// Applies the PostgreSQL migrations that have not run yet. sqlx holds an advisory lock
    /// meanwhile, so nodes starting together apply each migration once.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        sqlx::migrate!("migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    /// Creates `schema` (a plain identifier) if it does not exist. For test harnesses and for
    /// operators who put several deployments in one database.
    pub async fn create_schema(&self, schema: &str) -> anyhow::Result<()> {
        let sql = format!("CREATE SCHEMA IF NOT EXISTS {}", identifier(schema)?);
        sqlx::query(&sql).execute(&self.pool).await?;
        Ok(())
    }

    /// Drops `schema` and everything in it.
    pub async fn drop_schema(&self, schema: &str) -> anyhow::Result<()> {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", identifier(schema)?);
        sqlx::query(&sql).execute(&self.pool).await?;
        Ok(())
    }

    /// The names of the schemas starting with `prefix`.
    pub async fn list_schemas(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let names: Vec<(String,)> = sqlx::query_as(
            "SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname::text, $1) \
             ORDER BY 1",
        )
        .bind(prefix)
        .fetch_all(&self.pool)
        .await?;
        Ok(names.into_iter().map(|(n,)| n).collect())
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Accepts lower-case ASCII identifiers only, so a schema name never needs quoting.
fn identifier(name: &str) -> anyhow::Result<&str> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    anyhow::ensure!(ok, "{name:?} is not a plain lower-case identifier");
    Ok(name)
}

impl_store!(PostgresStore, sqlx::Postgres);
