//! Connection and request limits, client addresses behind proxies, and answers that must not be
//! cached: the protections around the API rather than the API itself.

mod common;

use common::{status_and_message, TestApp, ALICE_PASSWORD};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends raw bytes and reads until the server closes or `limit_secs` pass.
async fn raw_exchange(app: &TestApp, request: &[u8], limit_secs: u64) -> String {
    let mut stream = TcpStream::connect(app.server.addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(limit_secs), read).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn declared_body_over_the_limit_is_413_before_the_body_arrives() {
    let app = TestApp::start().await;
    let head = b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
        Content-Length: 99999999999\r\nConnection: close\r\n\r\n";
    let answer = raw_exchange(&app, head, 20).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains(r#"{"message":"Request body is too large"}"#),
        "{answer}"
    );
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let app = TestApp::start_with(|raw| raw.http.header_read_timeout_seconds = 1).await;
    // The head never ends: no blank line. The server must hang up on its own.
    let answer = raw_exchange(&app, b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: 1", 30).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    let mut stream = TcpStream::connect(app.server.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(30), stream.read(&mut buf))
        .await
        .expect("the server closed the connection");
    assert!(matches!(closed, Ok(0) | Err(_)) || buf.starts_with(b"HTTP/1.1 408"));
}

#[tokio::test]
async fn wrong_method_is_405_with_a_message() {
    let app = TestApp::start().await;
    let res = app.client.get(app.url("/auth/login")).send().await.unwrap();
    assert_eq!(
        status_and_message(res).await,
        (405, "Method not allowed".into())
    );
}

#[tokio::test]
async fn token_answers_are_never_cached() {
    let app = TestApp::start().await;
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": ALICE_PASSWORD}),
        )
        .await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let tokens: serde_json::Value = res.json().await.unwrap();
    let me = app
        .get_bearer("/auth/me", tokens["accessToken"].as_str().unwrap())
        .await;
    assert_eq!(me.headers()["cache-control"], "no-store");
    let refreshed = app.refresh(tokens["refreshToken"].as_str().unwrap()).await;
    assert_eq!(refreshed.headers()["cache-control"], "no-store");
    let failed = app.client.get(app.url("/auth/me")).send().await.unwrap();
    assert_eq!(failed.headers()["cache-control"], "no-store");
}

async fn wrong_login_via(app: &TestApp, forwarded_for: &str) -> u16 {
    app.client
        .post(app.url("/auth/login"))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({"username": "nobody", "password": "wrong-password"}))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = TestApp::start_with(|raw| raw.login.address_free_failures = 3).await;
    // Each guess claims another address; the peer is what counts, so the fourth is blocked.
    let statuses = [
        wrong_login_via(&app, "203.0.113.1").await,
        wrong_login_via(&app, "203.0.113.2").await,
        wrong_login_via(&app, "203.0.113.3").await,
        wrong_login_via(&app, "203.0.113.4").await,
    ];
    assert_eq!(statuses[3], 429, "{statuses:?}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_address_bucket() {
    let app = TestApp::start_with(|raw| {
        raw.login.address_free_failures = 3;
        raw.login.account_free_failures = 100;
        raw.http.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    for _ in 0..3 {
        assert_eq!(wrong_login_via(&app, "203.0.113.1").await, 400);
    }
    assert_eq!(wrong_login_via(&app, "203.0.113.1").await, 429);
    // Another client behind the same proxy is not blocked by the first one's guesses, and a
    // spoofed hop on the left is not believed: the proxy appended the real address last.
    assert_eq!(wrong_login_via(&app, "203.0.113.2").await, 400);
    assert_eq!(wrong_login_via(&app, "203.0.113.1, 203.0.113.9").await, 400);
    let res = app
        .client
        .post(app.url("/auth/login"))
        .header("X-Forwarded-For", "198.51.100.7")
        .json(&json!({"username": "alice", "password": ALICE_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh");
    let app = TestApp::start_with(|raw| raw.data_dir = data.clone()).await;
    let mode = std::fs::metadata(&data).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    drop(app);
}
