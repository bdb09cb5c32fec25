//! Case B23: huge and malformed inputs. Every byte of a long password counts (no 72-byte
//! truncation), multi-byte passwords work, over-long passwords, bodies and headers are a clear
//! 4xx that is the same for every user, and odd tokens are 401, never a 500. (Step g needs
//! `/oauth/authorize`.)

mod common;
mod support;

use common::{json_of, status_and_message, TestApp, ALICE_PASSWORD};
use frontdesk::crypto::secret::Secret;
use serde_json::json;
use support::{get_with_authorization, json_b64, post_raw};

const INVALID_TOKEN: &str = "Invalid/Expired Token!";

async fn set_alice_password(app: &TestApp, password: &str) {
    let alice = app.core.find_account("alice").await.expect("alice");
    app.core
        .set_password(alice.id, &Secret::new(password))
        .await
        .expect("set password");
}

async fn login_status(app: &TestApp, username: &str, password: &str) -> (u16, String) {
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": username, "password": password}),
        )
        .await;
    status_and_message(res).await
}

#[tokio::test]
async fn b23_an_80_byte_password_is_not_truncated_at_72() {
    let app = TestApp::start().await;
    let p = format!("Pa{}", "x".repeat(78));
    assert_eq!(p.len(), 80);
    set_alice_password(&app, &p).await;

    let invalid = (400, "Invalid credentials".to_owned());
    assert_eq!(
        login_status(&app, "alice", &format!("{}DIFFERENT", &p[..72])).await,
        invalid
    );
    assert_eq!(login_status(&app, "alice", &p[..72]).await, invalid);
    assert_eq!(login_status(&app, "alice", &p[..79]).await, invalid);
    assert_eq!(login_status(&app, "alice", &format!("{p}x")).await, invalid);
    assert_eq!(login_status(&app, "alice", &p).await.0, 200);
}

#[tokio::test]
async fn b23_a_password_of_40_e_acute_works_and_is_compared_by_bytes() {
    let app = TestApp::start().await;
    let p = "é".repeat(40);
    assert_eq!(p.len(), 80);
    set_alice_password(&app, &p).await;
    assert_eq!(login_status(&app, "alice", &p).await.0, 200);

    let invalid = (400, "Invalid credentials".to_owned());
    let first_72_bytes = "é".repeat(36);
    assert_eq!(
        login_status(&app, "alice", &format!("{first_72_bytes}DIFFERENT")).await,
        invalid
    );
    assert_eq!(
        login_status(&app, "alice", &format!("{}e", "é".repeat(39))).await,
        invalid
    );
    assert_eq!(
        login_status(&app, "alice", &"É".repeat(40)).await,
        invalid,
        "passwords are case-sensitive"
    );
}

#[tokio::test]
async fn b23_the_longest_allowed_password_works() {
    let app = TestApp::start().await;
    let p = "p".repeat(1024);
    set_alice_password(&app, &p).await;
    assert_eq!(login_status(&app, "alice", &p).await.0, 200);
}

#[tokio::test]
async fn b23_a_1_mib_password_is_413_the_same_for_alice_and_an_unknown_user() {
    let app = TestApp::start().await;
    let huge = "x".repeat(1024 * 1024);
    let mut answers = Vec::new();
    for username in ["alice", "nobody-7f3a"] {
        let res = app
            .post_json(
                "/auth/login",
                json!({"username": username, "password": huge}),
            )
            .await;
        let status = res.status().as_u16();
        answers.push((status, res.text().await.expect("body")));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, 413);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&answers[0].1).expect("json"),
        json!({"message": "Request body is too large"})
    );
    // The same in a form body.
    let res = post_raw(
        &app,
        "/auth/login",
        Some("application/x-www-form-urlencoded"),
        format!("username=alice&password={huge}"),
    )
    .await;
    assert_eq!(res.status(), 413);
    // Nothing was counted against alice.
    assert_eq!(login_status(&app, "alice", ALICE_PASSWORD).await.0, 200);
}

#[tokio::test]
async fn b23_a_password_over_the_documented_maximum_is_400_for_everyone() {
    let app = TestApp::start().await;
    let long = "x".repeat(1025);
    let expected = (400, "Password is too long (at most 1024 bytes)".to_owned());
    assert_eq!(login_status(&app, "alice", &long).await, expected);
    assert_eq!(login_status(&app, "nobody-7f3a", &long).await, expected);
    // Just under the limit it is an ordinary wrong password.
    assert_eq!(
        login_status(&app, "alice", &"x".repeat(1024)).await,
        (400, "Invalid credentials".to_owned())
    );
}

#[tokio::test]
async fn b23_an_over_long_username_is_invalid_credentials() {
    let app = TestApp::start().await;
    assert_eq!(
        login_status(&app, &"a".repeat(10_000), ALICE_PASSWORD).await,
        (400, "Invalid credentials".to_owned())
    );
}

#[tokio::test]
async fn b23_a_100_kib_bearer_is_431_never_500() {
    let app = TestApp::start().await;
    let res = app.get_bearer("/auth/me", &"A".repeat(100 * 1024)).await;
    assert_eq!(
        status_and_message(res).await,
        (431, "Request headers are too large".into())
    );
    let res = app
        .client
        .post(app.url("/auth/login"))
        .header("X-Padding", "p".repeat(20 * 1024))
        .json(&json!({"username": "alice", "password": ALICE_PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 431);
}

#[tokio::test]
async fn b23_a_bearer_over_the_token_size_limit_but_under_the_header_limit_is_401() {
    let app = TestApp::start().await;
    let res = app.get_bearer("/auth/me", &"A".repeat(10 * 1024)).await;
    assert_eq!(status_and_message(res).await, (401, INVALID_TOKEN.into()));
}

#[tokio::test]
async fn b23_malformed_tokens_are_401_never_500() {
    let app = TestApp::start().await;
    let array = json_b64(&json!([1, 2, 3]));
    let header = json_b64(&json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "x"}));
    for token in [
        "a.b.c.d.e".to_owned(),
        "..".to_owned(),
        "...".to_owned(),
        "%%%".to_owned(),
        "!!!.@@@.###".to_owned(),
        "a.b.c".to_owned(),
        "é.é.é".to_owned(),
        format!("{header}.{array}.AAAA"),
        format!("{header}.bm90IGpzb24.AAAA"),
        format!("{array}.{array}.{array}"),
    ] {
        let res = app.get_bearer("/auth/me", &token).await;
        assert_eq!(
            status_and_message(res).await,
            (401, INVALID_TOKEN.into()),
            "{token}"
        );
    }
    // A header value that is not valid UTF-8.
    let value = reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").expect("opaque");
    let res = app
        .client
        .get(app.url("/auth/me"))
        .header(reqwest::header::AUTHORIZATION, value)
        .send()
        .await
        .expect("request");
    assert_eq!(status_and_message(res).await, (401, INVALID_TOKEN.into()));
    let res = get_with_authorization(&app, "/auth/me", "Bearer  ").await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn b23_our_own_signature_over_a_json_array_payload_is_401() {
    let app = TestApp::start().await;
    let now = frontdesk::core::Clock::now_ms(&app.clock);
    let ring = app.core.keys.ring();
    for payload in [json!([1, 2, 3]), json!("alice"), json!(42), json!({})] {
        let token = ring.sign(now, "at+jwt", &payload).expect("sign");
        let res = app.get_bearer("/auth/me", &token).await;
        assert_eq!(
            status_and_message(res).await,
            (401, INVALID_TOKEN.into()),
            "{payload}"
        );
    }
}

#[tokio::test]
async fn b23_malformed_login_bodies_are_400_never_500() {
    let app = TestApp::start().await;
    let res = post_raw(&app, "/auth/login", Some("application/json"), "{").await;
    assert_eq!(
        status_and_message(res).await,
        (400, "Request body is not valid JSON".into())
    );
    let res = app
        .post_json("/auth/login", json!({"username": 12345, "password": "x"}))
        .await;
    assert_eq!(
        status_and_message(res).await,
        (400, "Username is not valid".into())
    );
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "ali\u{0}ce", "password": ALICE_PASSWORD}),
        )
        .await;
    assert_eq!(
        status_and_message(res).await,
        (400, "Invalid credentials".into())
    );
    let res = post_raw(
        &app,
        "/auth/login",
        Some("text/plain"),
        json!({"username": "alice", "password": ALICE_PASSWORD}).to_string(),
    )
    .await;
    assert_eq!(
        status_and_message(res).await,
        (400, "Username and password required".into())
    );
    let res = post_raw(
        &app,
        "/auth/login",
        Some("application/json"),
        vec![0xff, 0xfe, 0x7b],
    )
    .await;
    assert_eq!(res.status(), 400);
    let body = json_of(res).await;
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn b23_oversize_bodies_on_refresh_and_logout_are_413() {
    let app = TestApp::start().await;
    let big = json!({"refreshToken": "x".repeat(100 * 1024)});
    for path in ["/auth/refresh", "/auth/logout"] {
        let res = app.post_json(path, big.clone()).await;
        assert_eq!(
            status_and_message(res).await,
            (413, "Request body is too large".into()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn b23_body_and_header_limits_are_configurable() {
    let app = TestApp::start_with(|raw| {
        raw.http.max_body_bytes = 2048;
        raw.http.max_header_bytes = 4096;
    })
    .await;
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": "x".repeat(3000)}),
        )
        .await;
    assert_eq!(res.status(), 413);
    let res = app.get_bearer("/auth/me", &"A".repeat(5000)).await;
    assert_eq!(res.status(), 431);
    assert_eq!(login_status(&app, "alice", ALICE_PASSWORD).await.0, 200);
}
