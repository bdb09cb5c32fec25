//! Case B19, the response half: an unknown user, a wrong password and a case variant of a known
//! user get byte-identical answers (status, body, headers apart from `Date`), on every path that
//! can fail. The timing half is in `cases_b19_timing.rs`, alone in its binary.

mod common;

use common::TestApp;
use serde_json::{json, Value};

/// Status, headers without `Date`, and body bytes.
async fn answer(app: &TestApp, body: Value) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let res = app.post_json("/auth/login", body).await;
    let status = res.status().as_u16();
    let mut headers: Vec<(String, String)> = res
        .headers()
        .iter()
        .filter(|(k, _)| *k != reqwest::header::DATE)
        .map(|(k, v)| (k.to_string(), v.to_str().expect("ascii").to_owned()))
        .collect();
    headers.sort();
    (status, headers, res.bytes().await.expect("body").to_vec())
}

async fn unthrottled() -> TestApp {
    TestApp::start_with(|raw| {
        raw.login.account_free_failures = 1_000_000;
        raw.login.address_free_failures = 1_000_000;
    })
    .await
}

#[tokio::test]
async fn b19_unknown_user_wrong_password_and_case_variant_answer_identically() {
    let app = unthrottled().await;
    let groups = [
        json!({"username": "alice", "password": "wrong-1"}),
        json!({"username": "nobody-7f3a", "password": "wrong-1"}),
        json!({"username": "ALICE", "password": "wrong-1"}),
        json!({"username": "alice@example.com", "password": "wrong-1"}),
        json!({"username": "nobody@example.com", "password": "wrong-1"}),
    ];
    let first = answer(&app, groups[0].clone()).await;
    assert_eq!(first.0, 400);
    assert_eq!(
        serde_json::from_slice::<Value>(&first.2).expect("json"),
        json!({"message": "Invalid credentials"})
    );
    for body in &groups[1..] {
        assert_eq!(answer(&app, body.clone()).await, first, "{body}");
    }
}

#[tokio::test]
async fn b19_over_long_passwords_answer_identically_for_known_and_unknown_users() {
    let app = unthrottled().await;
    for password in ["x".repeat(1025), "x".repeat(1024 * 1024)] {
        let known = answer(&app, json!({"username": "alice", "password": password})).await;
        let unknown = answer(
            &app,
            json!({"username": "nobody-7f3a", "password": password}),
        )
        .await;
        assert!(known.0 == 400 || known.0 == 413, "{}", known.0);
        assert_eq!(known, unknown);
    }
}

#[tokio::test]
async fn b19_throttled_answers_are_identical_for_known_and_unknown_users() {
    let app = TestApp::start().await;
    for _ in 0..5 {
        answer(&app, json!({"username": "alice", "password": "wrong-1"})).await;
        answer(
            &app,
            json!({"username": "nobody-7f3a", "password": "wrong-1"}),
        )
        .await;
    }
    let known = answer(&app, json!({"username": "alice", "password": "wrong-1"})).await;
    let unknown = answer(
        &app,
        json!({"username": "nobody-7f3a", "password": "wrong-1"}),
    )
    .await;
    assert_eq!(known.0, 429);
    assert_eq!(known, unknown);
}
