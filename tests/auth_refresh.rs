//! `POST /auth/refresh`: the token from the body or the cookie, the two errors of issue 2,
//! rotation, `expiresInMins`, the session's idle and absolute lifetimes (moved by the clock),
//! and what a disabled user's session can still do. Races and reuse are in the B05 and B06 files.

mod common;
mod support;

use common::{json_of, status_and_message, TestApp, ALICE_PASSWORD};
use serde_json::json;
use support::{
    cookie_attributes, cookie_named, cookie_value, jwt_claims, pair_of, post_empty, post_form,
    post_raw, set_cookies,
};

const INVALID: &str = "Invalid refresh token";

async fn refresh_with_cookie(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/auth/refresh"))
        .header("Cookie", format!("refreshToken={token}"))
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn refresh_with_the_body_returns_a_new_pair_and_sets_cookies() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = app.refresh(&tokens.refresh).await;
    assert_eq!(res.status(), 200);
    let cookies = set_cookies(&res);
    let body = json_of(res).await;
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["accessToken", "refreshToken"]);
    let (access, refresh) = (
        body["accessToken"].as_str().expect("at"),
        body["refreshToken"].as_str().expect("rt"),
    );
    assert_ne!(refresh, tokens.refresh);
    assert!(refresh.starts_with("fdr_"));
    assert_eq!(cookie_value(&cookie_named(&cookies, "accessToken")), access);
    assert_eq!(
        cookie_value(&cookie_named(&cookies, "refreshToken")),
        refresh
    );
    for name in ["accessToken", "refreshToken"] {
        let attrs = cookie_attributes(&cookie_named(&cookies, name));
        assert!(attrs.iter().any(|a| a == "HttpOnly"));
        assert!(attrs.iter().any(|a| a == "Path=/"));
        assert!(attrs.iter().any(|a| a == "SameSite=Lax"));
        assert!(!attrs.iter().any(|a| a == "Secure"));
    }
    let me = json_of(app.get_bearer("/auth/me", access).await).await;
    assert_eq!(me["username"], "alice");
}

#[tokio::test]
async fn refresh_with_the_cookie_only() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = refresh_with_cookie(&app, &tokens.refresh).await;
    let (access, _) = pair_of(res).await;
    assert_eq!(app.get_bearer("/auth/me", &access).await.status(), 200);
}

#[tokio::test]
async fn refresh_with_a_form_body() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = post_form(&app, "/auth/refresh", &[("refreshToken", &tokens.refresh)]).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn refresh_the_body_wins_over_the_cookie() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = app
        .client
        .post(app.url("/auth/refresh"))
        .header("Cookie", "refreshToken=garbage")
        .json(&json!({"refreshToken": tokens.refresh}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);

    let other = app.login("alice", ALICE_PASSWORD).await;
    let res = app
        .client
        .post(app.url("/auth/refresh"))
        .header("Cookie", format!("refreshToken={}", other.refresh))
        .json(&json!({"refreshToken": "garbage"}))
        .send()
        .await
        .expect("request");
    assert_eq!(status_and_message(res).await, (403, INVALID.into()));
}

#[tokio::test]
async fn refresh_without_a_token_is_401_refresh_token_required() {
    let app = TestApp::start().await;
    let required = (401, "Refresh token required".to_owned());
    assert_eq!(
        status_and_message(post_empty(&app, "/auth/refresh").await).await,
        required
    );
    for body in [
        json!({}),
        json!({"refreshToken": ""}),
        json!({"refreshToken": null}),
    ] {
        let res = app.post_json("/auth/refresh", body.clone()).await;
        assert_eq!(status_and_message(res).await, required, "{body}");
    }
    let res = refresh_with_cookie(&app, "").await;
    assert_eq!(status_and_message(res).await, required);
    let res = post_raw(&app, "/auth/refresh", Some("text/plain"), "fdr_x").await;
    assert_eq!(status_and_message(res).await, required);
}

#[tokio::test]
async fn refresh_with_garbage_is_403_invalid_refresh_token() {
    let app = TestApp::start().await;
    let fake = format!("fdr_{}", "A".repeat(43));
    for token in [
        "garbage",
        "fdr_",
        fake.as_str(),
        "eyJhbGciOiJub25lIn0.e30.",
        "' OR 1=1 --",
    ] {
        let res = app.refresh(token).await;
        assert_eq!(
            status_and_message(res).await,
            (403, INVALID.into()),
            "{token}"
        );
    }
    let res = app
        .post_json("/auth/refresh", json!({"refreshToken": 12345}))
        .await;
    assert_eq!(res.status(), 401, "a non-string token is no token");
}

#[tokio::test]
async fn refresh_errors_do_not_clear_cookies() {
    let app = TestApp::start().await;
    let res = app.refresh("garbage").await;
    assert_eq!(res.status(), 403);
    assert!(set_cookies(&res).is_empty());
}

#[tokio::test]
async fn refresh_with_malformed_json_is_400_never_500() {
    let app = TestApp::start().await;
    let res = post_raw(&app, "/auth/refresh", Some("application/json"), "{").await;
    assert_eq!(
        status_and_message(res).await,
        (400, "Request body is not valid JSON".into())
    );
}

#[tokio::test]
async fn refresh_rotates_the_chain_and_keeps_the_session() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let sid = jwt_claims(&tokens.access)["sid"].clone();
    let mut refresh = tokens.refresh.clone();
    let mut seen = vec![refresh.clone()];
    for _ in 0..5 {
        let (access, next) = pair_of(app.refresh(&refresh).await).await;
        assert!(!seen.contains(&next), "a refresh token came back twice");
        assert_eq!(jwt_claims(&access)["sid"], sid);
        seen.push(next.clone());
        refresh = next;
    }
}

#[tokio::test]
async fn refresh_expires_in_mins_sets_the_new_access_token_lifetime() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let lifetime = |token: &str| {
        let c = jwt_claims(token);
        c["exp"].as_i64().expect("exp") - c["iat"].as_i64().expect("iat")
    };
    let (access, refresh) = pair_of(app.refresh(&tokens.refresh).await).await;
    assert_eq!(lifetime(&access), 3600, "default");
    let res = app
        .post_json(
            "/auth/refresh",
            json!({"refreshToken": refresh, "expiresInMins": 30}),
        )
        .await;
    let cookie = cookie_named(&set_cookies(&res), "accessToken");
    assert!(cookie_attributes(&cookie)
        .iter()
        .any(|a| a == "Max-Age=1800"));
    let (access, refresh) = pair_of(res).await;
    assert_eq!(lifetime(&access), 1800);
    let res = post_form(
        &app,
        "/auth/refresh",
        &[("refreshToken", &refresh), ("expiresInMins", "1.5")],
    )
    .await;
    let (access, _) = pair_of(res).await;
    assert_eq!(lifetime(&access), 90);
}

#[tokio::test]
async fn refresh_expires_in_mins_out_of_range_is_400_and_does_not_spend_the_token() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    for minutes in [json!(0), json!(50000), json!(-5), json!("abc")] {
        let res = app
            .post_json(
                "/auth/refresh",
                json!({"refreshToken": tokens.refresh, "expiresInMins": minutes}),
            )
            .await;
        assert_eq!(
            status_and_message(res).await,
            (400, "expiresInMins must be a number from 1 to 43200".into()),
            "{minutes}"
        );
    }
    // Long after the grace window, the token is still unspent.
    app.clock.advance_secs(60);
    assert_eq!(app.refresh(&tokens.refresh).await.status(), 200);
}

#[tokio::test]
async fn refresh_after_the_idle_lifetime_is_403() {
    let app = TestApp::start_with(|raw| {
        raw.tokens.session_idle_hours = 1;
        raw.tokens.session_absolute_hours = 24;
    })
    .await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    app.clock.advance_secs(3600);
    let res = app.refresh(&tokens.refresh).await;
    assert_eq!(status_and_message(res).await, (403, INVALID.into()));
}

#[tokio::test]
async fn refresh_keeps_an_active_session_alive_past_the_idle_lifetime() {
    let app = TestApp::start_with(|raw| {
        raw.tokens.session_idle_hours = 1;
        raw.tokens.session_absolute_hours = 24;
    })
    .await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let mut refresh = tokens.refresh;
    for _ in 0..4 {
        app.clock.advance_secs(50 * 60);
        let (_, next) = pair_of(app.refresh(&refresh).await).await;
        refresh = next;
    }
    // 200 minutes after login, still alive; then an idle hour ends it.
    app.clock.advance_secs(3600);
    let res = app.refresh(&refresh).await;
    assert_eq!(status_and_message(res).await, (403, INVALID.into()));
}

#[tokio::test]
async fn refresh_after_the_absolute_lifetime_is_403_however_active() {
    let app = TestApp::start_with(|raw| {
        raw.tokens.session_idle_hours = 1;
        raw.tokens.session_absolute_hours = 2;
    })
    .await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let mut refresh = tokens.refresh;
    let mut access = String::new();
    for _ in 0..2 {
        app.clock.advance_secs(50 * 60);
        let res = app
            .post_json(
                "/auth/refresh",
                json!({"refreshToken": refresh, "expiresInMins": 600}),
            )
            .await;
        let (a, r) = pair_of(res).await;
        access = a;
        refresh = r;
    }
    // 100 minutes in: alive. At 120 minutes the session ends, whatever the access token says.
    app.clock.advance_secs(20 * 60);
    let res = app.refresh(&refresh).await;
    assert_eq!(status_and_message(res).await, (403, INVALID.into()));
    // The access token ends with the session: expired (its exp is capped at the session's
    // end) or invalid (its session is over), never accepted.
    let (status, message) = status_and_message(app.get_bearer("/auth/me", &access).await).await;
    assert_eq!(status, 401);
    assert!(
        message == "Token Expired!" || message == "Invalid/Expired Token!",
        "{message}"
    );
}

#[tokio::test]
async fn refresh_idle_expiry_also_ends_long_lived_access_tokens() {
    let app = TestApp::start_with(|raw| {
        raw.tokens.session_idle_hours = 1;
        raw.tokens.session_absolute_hours = 24;
    })
    .await;
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": ALICE_PASSWORD, "expiresInMins": 600}),
        )
        .await;
    let access = json_of(res).await["accessToken"]
        .as_str()
        .expect("at")
        .to_owned();
    app.clock.advance_secs(3599);
    assert_eq!(app.get_bearer("/auth/me", &access).await.status(), 200);
    app.clock.advance_secs(1);
    let res = app.get_bearer("/auth/me", &access).await;
    assert_eq!(
        status_and_message(res).await,
        (401, "Invalid/Expired Token!".into())
    );
}

#[tokio::test]
async fn refresh_for_a_disabled_user_is_403() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let alice = app.core.find_account("alice").await.expect("alice");
    app.core
        .set_disabled(alice.id, true)
        .await
        .expect("disable");
    let res = app.refresh(&tokens.refresh).await;
    assert_eq!(status_and_message(res).await, (403, INVALID.into()));
    // Re-enabling the user does not bring the ended session back.
    app.core
        .set_disabled(alice.id, false)
        .await
        .expect("enable");
    let res = app.refresh(&tokens.refresh).await;
    assert_eq!(status_and_message(res).await, (403, INVALID.into()));
}

#[tokio::test]
async fn refresh_of_one_user_leaves_the_others_alone() {
    let app = TestApp::start().await;
    let alice = app.login("alice", ALICE_PASSWORD).await;
    let bob = app.login("bob", common::BOB_PASSWORD).await;
    let (alice_access, _) = pair_of(app.refresh(&alice.refresh).await).await;
    let me = json_of(app.get_bearer("/auth/me", &alice_access).await).await;
    assert_eq!(me["username"], "alice");
    assert_eq!(app.refresh(&bob.refresh).await.status(), 200);
}
