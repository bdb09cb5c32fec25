//! The embedded SQLite backend: one database file in the data directory.
//!
//! The database runs in WAL mode with `synchronous = NORMAL`: a committed transaction survives a
//! crash of the process (the WAL is written before commit returns), though not necessarily a
//! power cut of the machine. Writers wait up to five seconds for the lock instead of failing.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::sql::{impl_store, map_err, SESSION_COLUMNS, USER_COLUMNS};
use super::{
    NewUser, RefreshRow, SecurityEvent, SessionRow, SigningKeyRow, StoreResult, ThrottleRow,
    UserRow,
};

/// The SQLite implementation of [`super::Store`].
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// A read transaction is a snapshot in WAL mode already.
    const EXPORT_SNAPSHOT: &'static [&'static str] = &[];

    /// `AUTOINCREMENT` moves past explicitly inserted ids by itself.
    const AFTER_IMPORT: &'static [&'static str] = &[];

    /// Opens (creating if missing) the database named by a `sqlite:` URL.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    /// Applies the SQLite migrations that have not run yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        sqlx::migrate!("migrations/sqlite").run(&self.pool).await?;
        Ok(())
    }
}

impl_store!(SqliteStore, sqlx::Sqlite);
