//! The test harness: a real Frontdesk on 127.0.0.1:0 over a fresh database, with a manual clock
//! that tests move instead of sleeping, and a plain HTTP client (no cookie jar, no redirects).
//!
//! The database is a SQLite file in the test's directory, or, when `FRONTDESK_TEST_DATABASE_URL`
//! names a PostgreSQL database, a fresh schema of that database that is dropped with the test.

#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use frontdesk::app::{self, RunningServer};
use frontdesk::config::RawConfig;
use frontdesk::core::accounts::NewAccount;
use frontdesk::core::clock::ManualClock;
use frontdesk::core::Core;
use frontdesk::crypto::random::OsRandom;
use frontdesk::crypto::random::Random;
use frontdesk::crypto::secret::Secret;
use frontdesk::store::postgres::PostgresStore;
use frontdesk::store::UserRow;
use serde_json::{json, Value};
use tempfile::TempDir;

pub const ALICE_PASSWORD: &str = "Wonderland-2026!";
pub const BOB_PASSWORD: &str = "Builder-2026!";

/// A running server and what a test needs to drive it.
pub struct TestApp {
    pub base: String,
    pub clock: ManualClock,
    pub core: Arc<Core>,
    pub client: reqwest::Client,
    pub server: RunningServer,
    pub db: TestDatabase,
    pub dir: TempDir,
}

/// A successful login's tokens and body.
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub body: Value,
}

impl TestApp {
    /// A server with default settings and the users alice and bob.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose configuration `configure` may change, with alice and bob.
    pub async fn start_with(configure: impl FnOnce(&mut RawConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut raw = RawConfig {
            bind: "127.0.0.1:0".into(),
            data_dir: dir.path().to_path_buf(),
            issuer: "http://frontdesk.test".into(),
            ..RawConfig::default()
        };
        let db = TestDatabase::create(&dir).await;
        raw.database_url = db.url.clone();
        configure(&mut raw);
        let settings = raw.validate().expect("test settings are valid");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let clock = ManualClock::starting_now();
        let server = app::start(
            &settings,
            listener,
            Arc::new(clock.clone()),
            Arc::new(OsRandom::default()),
        )
        .await
        .expect("server starts");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let app = TestApp {
            base: format!("http://{}", server.addr),
            clock,
            core: server.core.clone(),
            client,
            server,
            db,
            dir,
        };
        app.add_user("alice", "alice@example.com", ALICE_PASSWORD)
            .await;
        app.add_user("bob", "bob@example.com", BOB_PASSWORD).await;
        app
    }

    /// Creates a user directly through the core.
    pub async fn add_user(&self, username: &str, email: &str, password: &str) -> UserRow {
        self.core
            .create_account(NewAccount {
                username: username.into(),
                email: email.into(),
                password: Some(Secret::new(password)),
                first_name: format!("{username}-first"),
                last_name: format!("{username}-last"),
                gender: "female".into(),
                ..NewAccount::default()
            })
            .await
            .expect("user created")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post_json(&self, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_bearer(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// Logs in and returns the tokens; panics unless the answer is 200.
    pub async fn login(&self, username: &str, password: &str) -> Tokens {
        let res = self
            .post_json(
                "/auth/login",
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(res.status(), 200, "login of {username} failed");
        let body: Value = res.json().await.expect("json");
        Tokens {
            access: body["accessToken"]
                .as_str()
                .expect("accessToken")
                .to_owned(),
            refresh: body["refreshToken"]
                .as_str()
                .expect("refreshToken")
                .to_owned(),
            body,
        }
    }

    /// POST /auth/refresh with a refresh token in the body.
    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.post_json("/auth/refresh", json!({"refreshToken": refresh_token}))
            .await
    }
}

/// The variable that moves the suite onto PostgreSQL, for example
/// `FRONTDESK_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test`.
pub const TEST_DATABASE_ENV: &str = "FRONTDESK_TEST_DATABASE_URL";

/// Every test schema starts with this, followed by its creation time in Unix seconds.
const SCHEMA_PREFIX: &str = "fdtest_";

/// Schemas older than this are leftovers of killed test runs and are dropped at start.
const STALE_AFTER_SECS: u64 = 3600;

/// The database of one test. A PostgreSQL schema is dropped when this is dropped.
pub struct TestDatabase {
    /// The URL the server under test connects to.
    pub url: String,
    /// The server URL and the schema, on PostgreSQL.
    schema: Option<(String, String)>,
}

impl TestDatabase {
    /// A fresh schema on PostgreSQL when the variable is set, otherwise a SQLite file in `dir`.
    pub async fn create(dir: &TempDir) -> Self {
        match Self::postgres().await {
            Some(db) => db,
            None => Self::sqlite(dir),
        }
    }

    /// A SQLite database file in `dir`, whatever the environment says.
    pub fn sqlite(dir: &TempDir) -> Self {
        Self {
            url: format!("sqlite:{}", dir.path().join("test.db").display()),
            schema: None,
        }
    }

    /// A fresh PostgreSQL schema, or `None` when the variable is not set.
    pub async fn postgres() -> Option<Self> {
        let base = std::env::var(TEST_DATABASE_ENV)
            .ok()
            .filter(|v| !v.is_empty())?;
        let admin = PostgresStore::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("{TEST_DATABASE_ENV}={base}: {e:#}"));
        drop_stale_schemas(&admin).await;
        let schema = format!(
            "{SCHEMA_PREFIX}{}_{}",
            unix_secs(),
            OsRandom::default()
                .token(9)
                .to_ascii_lowercase()
                .replace('-', "_")
        );
        admin.create_schema(&schema).await.expect("create schema");
        admin.close().await;
        let separator = if base.contains('?') { '&' } else { '?' };
        Some(Self {
            url: format!("{base}{separator}options=-c%20search_path%3D{schema}"),
            schema: Some((base, schema)),
        })
    }

    /// True on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.schema.is_some()
    }
}

impl Drop for TestDatabase {
    /// Drops the schema, blocking: on a thread of its own with its own runtime, so that it works
    /// from inside the test's runtime and while a failed test unwinds.
    fn drop(&mut self) {
        let Some((base, schema)) = self.schema.take() else {
            return;
        };
        let cleanup = std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(err) => return eprintln!("cannot drop schema {schema}: {err}"),
            };
            runtime.block_on(async {
                match PostgresStore::connect(&base).await {
                    Ok(admin) => {
                        if let Err(err) = admin.drop_schema(&schema).await {
                            eprintln!("cannot drop schema {schema}: {err:#}");
                        }
                        admin.close().await;
                    }
                    Err(err) => eprintln!("cannot drop schema {schema}: {err:#}"),
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// Drops, once per test process, the test schemas older than an hour (left by killed runs).
async fn drop_stale_schemas(admin: &PostgresStore) {
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::SeqCst) {
        return;
    }
    let now = unix_secs();
    for schema in admin.list_schemas(SCHEMA_PREFIX).await.unwrap_or_default() {
        let created = schema
            .strip_prefix(SCHEMA_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|c| c + STALE_AFTER_SECS < now) {
            let _ = admin.drop_schema(&schema).await;
        }
    }
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Reads a response's JSON body.
pub async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json body")
}

/// The `{"message": …}` of an error answer, with its status.
pub async fn status_and_message(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body = json_of(res).await;
    (
        status,
        body["message"].as_str().unwrap_or_default().to_owned(),
    )
}
