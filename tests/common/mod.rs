//! The test harness: a real Frontdesk on 127.0.0.1:0 over a fresh database, with a manual clock
//! that tests move instead of sleeping, and a plain HTTP client (no cookie jar, no redirects).

#![allow(dead_code)]

use std::sync::Arc;

use frontdesk::app::{self, RunningServer};
use frontdesk::config::RawConfig;
use frontdesk::core::accounts::NewAccount;
use frontdesk::core::clock::ManualClock;
use frontdesk::core::Core;
use frontdesk::crypto::random::OsRandom;
use frontdesk::crypto::secret::Secret;
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
        raw.database_url = database_url(&dir);
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

/// The database for one test: a SQLite file in the test's own directory.
fn database_url(dir: &TempDir) -> String {
    format!("sqlite:{}", dir.path().join("test.db").display())
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
