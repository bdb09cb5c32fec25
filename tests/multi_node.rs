//! Two real `frontdesk serve` processes on one PostgreSQL database: sessions, refresh rotation,
//! theft detection, logout and key rotation must hold across nodes.
//!
//! Runs only when `FRONTDESK_TEST_DATABASE_URL` names a PostgreSQL database; otherwise it says
//! why and passes. Nothing sleeps for a fixed time: waits poll a condition, a bounded number of
//! times, with short pauses.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use common::{TestDatabase, TEST_DATABASE_ENV};
use frontdesk::crypto::random::{OsRandom, Random};
use serde_json::{json, Value};

/// The grace window of both nodes: short, so the reuse check is reached quickly by polling.
const GRACE_SECONDS: &str = "2";
/// Both nodes must agree on the issuer, or tokens would not cross between them.
const ISSUER: &str = "http://frontdesk.multi-node.test";

/// A `frontdesk serve` child process, killed when dropped.
struct Node {
    name: &'static str,
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

/// What every `frontdesk` process of this test shares.
struct Cluster {
    db_url: String,
    master_key: String,
    dir: tempfile::TempDir,
}

impl Cluster {
    fn command(&self, name: &str) -> Command {
        let data_dir = self.dir.path().join(name);
        let mut command = Command::new(env!("CARGO_BIN_EXE_frontdesk"));
        command
            .env_remove("FRONTDESK_CONFIG")
            .env("FRONTDESK_DATABASE_URL", &self.db_url)
            .env("FRONTDESK_MASTER_KEY", &self.master_key)
            .env("FRONTDESK_DATA_DIR", data_dir)
            .env("FRONTDESK_ISSUER", ISSUER)
            .env("FRONTDESK_TOKENS__REFRESH_GRACE_SECONDS", GRACE_SECONDS)
            .env("FRONTDESK_LOG", "info")
            .env("NO_COLOR", "1");
        command
    }

    /// Starts a node on a free port and waits until it listens.
    fn start(&self, name: &'static str, demo: bool) -> Node {
        let mut command = self.command(name);
        command.args(["serve", "--bind", "127.0.0.1:0"]);
        if demo {
            command.arg("--demo");
        }
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn frontdesk");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let line = strip_ansi(&line);
                if line.contains("frontdesk is listening") {
                    let _ = tx.send(listening_addr(&line));
                }
                lines.lock().expect("log").push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .ok()
            .flatten()
            .unwrap_or_else(|| {
                panic!(
                    "{name} did not start:\n{}",
                    log.lock().expect("log").join("\n")
                )
            });
        Node {
            name,
            child,
            base: format!("http://{addr}"),
            log,
        }
    }

    /// `frontdesk keys rotate` against the shared database; returns the new key id.
    fn rotate_keys(&self) -> String {
        let out = self
            .command("rotate")
            .args(["keys", "rotate"])
            .output()
            .expect("run keys rotate");
        assert!(
            out.status.success(),
            "keys rotate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            if let Ok(log) = self.log.lock() {
                eprintln!("--- log of node {} ---\n{}", self.name, log.join("\n"));
            }
        }
    }
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The `addr=…` field of the "frontdesk is listening" log line.
fn listening_addr(line: &str) -> Option<String> {
    let rest = &line[line.find("addr=")? + 5..];
    Some(
        rest.chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
            .collect(),
    )
}

/// The `kid` in a JWT's header.
fn kid_of(jwt: &str) -> String {
    let header = jwt.split('.').next().expect("header");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("header json");
    header["kid"].as_str().expect("kid").to_owned()
}

/// Polls `check` up to `tries` times, 100 ms apart, until it returns `Some`.
async fn poll<T, F, Fut>(what: &str, tries: u32, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..tries {
        if let Some(found) = check().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("gave up waiting for {what}");
}

struct Http(reqwest::Client);

impl Http {
    async fn login(&self, node: &Node) -> (String, String) {
        let res = self
            .0
            .post(format!("{}/auth/login", node.base))
            .json(&json!({"username": "emilys", "password": "emilyspass"}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 200, "login on {}", node.name);
        let body: Value = res.json().await.expect("json");
        (
            body["accessToken"].as_str().expect("access").to_owned(),
            body["refreshToken"].as_str().expect("refresh").to_owned(),
        )
    }

    async fn me(&self, node: &Node, access: &str) -> u16 {
        let res = self
            .0
            .get(format!("{}/auth/me", node.base))
            .bearer_auth(access)
            .send()
            .await
            .expect("me");
        res.status().as_u16()
    }

    /// The status and, on success, the new (access, refresh) pair.
    async fn refresh(&self, node: &Node, refresh: &str) -> (u16, Option<(String, String)>) {
        let res = self
            .0
            .post(format!("{}/auth/refresh", node.base))
            .json(&json!({"refreshToken": refresh}))
            .send()
            .await
            .expect("refresh");
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        let pair = body["refreshToken"].as_str().map(|r| {
            let a = body["accessToken"].as_str().unwrap_or_default();
            (a.to_owned(), r.to_owned())
        });
        (status, pair)
    }

    async fn jwks_kids(&self, node: &Node) -> Vec<String> {
        let jwks: Value = self
            .0
            .get(format!("{}/.well-known/jwks.json", node.base))
            .send()
            .await
            .expect("jwks")
            .json()
            .await
            .expect("jwks json");
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .filter_map(|k| k["kid"].as_str().map(str::to_owned))
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: FRONTDESK_TEST_DATABASE_URL and --include-ignored (scripts/test.sh)"]
async fn two_nodes_share_sessions_rotation_revocation_and_keys() {
    let Some(db) = TestDatabase::postgres().await else {
        println!("skipped: set {TEST_DATABASE_ENV} to a PostgreSQL URL to run the multi-node test");
        return;
    };
    let cluster = Cluster {
        db_url: db.url.clone(),
        master_key: STANDARD.encode(OsRandom::default().bytes(32)),
        dir: tempfile::tempdir().expect("tempdir"),
    };
    let a = cluster.start("A", true);
    let b = cluster.start("B", false);
    println!("node A at {}, node B at {}", a.base, b.base);
    let http = Http(reqwest::Client::new());

    // Login on A; /auth/me and refresh on B.
    let (access0, refresh0) = http.login(&a).await;
    assert_eq!(
        http.me(&b, &access0).await,
        200,
        "B accepts A's access token"
    );
    let (status, pair) = http.refresh(&b, &refresh0).await;
    assert_eq!(status, 200, "B refreshes A's refresh token");
    let (access1, refresh1) = pair.expect("pair");
    assert_eq!(
        http.me(&a, &access1).await,
        200,
        "A accepts B's access token"
    );
    println!("ok: login on A, /auth/me and refresh on B");

    // 20 parallel refreshes of one token, spread over A and B: one successor.
    let answers = futures::future::join_all((0..20).map(|i| {
        let node = if i % 2 == 0 { &a } else { &b };
        http.refresh(node, &refresh1)
    }))
    .await;
    let mut successors: Vec<String> = Vec::new();
    for (status, pair) in answers {
        assert_eq!(
            status, 200,
            "every concurrent refresh within the window succeeds"
        );
        successors.push(pair.expect("pair").1);
    }
    successors.sort();
    successors.dedup();
    assert_eq!(successors.len(), 1, "one successor: {successors:?}");
    let (status, _) = http.refresh(&a, &successors[0]).await;
    assert_eq!(status, 200, "the one successor is live");
    println!("ok: 20 parallel refreshes over A and B gave one successor");

    // Reuse on B, after the grace window, of a token from a family created on A.
    let (family_access, family0) = http.login(&a).await;
    let (status, pair) = http.refresh(&a, &family0).await;
    assert_eq!(status, 200);
    let (_, family1) = pair.expect("pair");
    let started = Instant::now();
    poll("the grace window to close on B", 100, || async {
        match http.refresh(&b, &family0).await {
            (200, Some((_, again))) => {
                assert_eq!(
                    again, family1,
                    "a retry within the window gets the same successor"
                );
                None
            }
            (403, _) => Some(()),
            other => panic!("unexpected answer to reuse: {other:?}"),
        }
    })
    .await;
    println!(
        "ok: reuse on B refused after the {GRACE_SECONDS} s window ({} ms after rotation)",
        started.elapsed().as_millis()
    );
    assert_eq!(
        http.refresh(&a, &family1).await.0,
        403,
        "the family is revoked"
    );
    assert_eq!(
        http.me(&a, &family_access).await,
        401,
        "its access token too"
    );
    println!("ok: the family created on A is revoked on A too");

    // Logout on A, then B refuses the session.
    let (access, refresh) = http.login(&a).await;
    assert_eq!(http.me(&b, &access).await, 200);
    let res = http
        .0
        .post(format!("{}/auth/logout", a.base))
        .bearer_auth(&access)
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), 200);
    assert_eq!(http.me(&b, &access).await, 401, "B sees the logout at once");
    assert_eq!(http.refresh(&b, &refresh).await.0, 403);
    println!("ok: logout on A, B refuses the session at once");

    // Key rotation on A's configuration: B publishes the key and verifies A's new tokens.
    let old_kid = kid_of(&access1);
    let new_kid = cluster.rotate_keys();
    assert_ne!(new_kid, old_kid);
    let started = Instant::now();
    poll("B's JWKS to publish the new key", 150, || async {
        http.jwks_kids(&b).await.contains(&new_kid).then_some(())
    })
    .await;
    println!(
        "ok: B publishes the new key {new_kid} ({} ms after rotation)",
        started.elapsed().as_millis()
    );
    let kids = http.jwks_kids(&b).await;
    assert!(kids.contains(&old_kid), "the old key stays published");
    let fresh = poll("A to sign with the new key", 150, || async {
        let (access, _) = http.login(&a).await;
        (kid_of(&access) == new_kid).then_some(access)
    })
    .await;
    assert_eq!(
        http.me(&b, &fresh).await,
        200,
        "B verifies the new key's tokens"
    );
    assert_eq!(http.me(&b, &access1).await, 200, "and still the old key's");
    println!(
        "ok: A signs with the new key, B verifies it ({} ms after rotation)",
        started.elapsed().as_millis()
    );
    drop((a, b));
}
