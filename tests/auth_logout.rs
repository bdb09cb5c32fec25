//! `POST /auth/logout`: ends the session for real. The refresh token stops working, the access
//! tokens of the session stop working, both cookies are cleared; other sessions live on.

mod common;
mod support;

use common::{json_of, status_and_message, TestApp, ALICE_PASSWORD};
use serde_json::json;
use support::{cookie_attributes, cookie_named, cookie_value, post_empty, set_cookies};

async fn logout_bearer(app: &TestApp, access: &str) -> reqwest::Response {
    app.client
        .post(app.url("/auth/logout"))
        .bearer_auth(access)
        .send()
        .await
        .expect("request")
}

fn assert_cleared(res: &reqwest::Response) {
    let cookies = set_cookies(res);
    for name in ["accessToken", "refreshToken"] {
        let cookie = cookie_named(&cookies, name);
        assert_eq!(cookie_value(&cookie), "", "{cookie}");
        let attrs = cookie_attributes(&cookie);
        assert!(attrs.iter().any(|a| a == "Max-Age=0"), "{cookie}");
        assert!(attrs.iter().any(|a| a == "Path=/"), "{cookie}");
    }
}

#[tokio::test]
async fn logout_with_bearer_ends_the_session_and_clears_cookies() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = logout_bearer(&app, &tokens.access).await;
    assert_eq!(res.status(), 200);
    assert_cleared(&res);
    assert_eq!(
        json_of(res).await,
        json!({"message": "Logged out successfully"})
    );

    let res = app.refresh(&tokens.refresh).await;
    assert_eq!(
        status_and_message(res).await,
        (403, "Invalid refresh token".into())
    );
    let res = app.get_bearer("/auth/me", &tokens.access).await;
    assert_eq!(
        status_and_message(res).await,
        (401, "Invalid/Expired Token!".into())
    );
}

#[tokio::test]
async fn logout_with_the_access_token_cookie() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = app
        .client
        .post(app.url("/auth/logout"))
        .header("Cookie", format!("accessToken={}", tokens.access))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(app.refresh(&tokens.refresh).await.status(), 403);
}

#[tokio::test]
async fn logout_with_only_the_refresh_token_in_the_body() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = app
        .post_json("/auth/logout", json!({"refreshToken": tokens.refresh}))
        .await;
    assert_eq!(res.status(), 200);
    assert_cleared(&res);
    assert_eq!(
        json_of(res).await,
        json!({"message": "Logged out successfully"})
    );
    assert_eq!(app.refresh(&tokens.refresh).await.status(), 403);
    assert_eq!(
        app.get_bearer("/auth/me", &tokens.access).await.status(),
        401
    );
}

#[tokio::test]
async fn logout_with_only_the_refresh_token_cookie() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = app
        .client
        .post(app.url("/auth/logout"))
        .header("Cookie", format!("refreshToken={}", tokens.refresh))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.get_bearer("/auth/me", &tokens.access).await.status(),
        401
    );
}

#[tokio::test]
async fn logout_with_an_expired_access_token_falls_back_to_the_refresh_token() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    app.clock.advance_secs(3601);
    let res = app
        .client
        .post(app.url("/auth/logout"))
        .bearer_auth(&tokens.access)
        .json(&json!({"refreshToken": tokens.refresh}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(app.refresh(&tokens.refresh).await.status(), 403);
}

#[tokio::test]
async fn logout_with_a_rotated_out_refresh_token_still_ends_the_session() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let (access, refresh) = support::pair_of(app.refresh(&tokens.refresh).await).await;
    let res = app
        .post_json("/auth/logout", json!({"refreshToken": tokens.refresh}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.refresh(&refresh).await.status(), 403);
    assert_eq!(app.get_bearer("/auth/me", &access).await.status(), 401);
}

#[tokio::test]
async fn logout_without_anything_is_401() {
    let app = TestApp::start().await;
    let res = post_empty(&app, "/auth/logout").await;
    assert_eq!(
        status_and_message(res).await,
        (401, "Access Token is required".into())
    );
}

#[tokio::test]
async fn logout_with_garbage_is_refused_and_revokes_nothing() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = logout_bearer(&app, "garbage").await;
    assert_eq!(
        status_and_message(res).await,
        (401, "Invalid/Expired Token!".into())
    );
    let res = app
        .post_json("/auth/logout", json!({"refreshToken": "garbage"}))
        .await;
    assert_eq!(
        status_and_message(res).await,
        (403, "Invalid refresh token".into())
    );
    assert_eq!(
        app.get_bearer("/auth/me", &tokens.access).await.status(),
        200
    );
}

#[tokio::test]
async fn logout_ends_only_its_own_session() {
    let app = TestApp::start().await;
    let phone = app.login("alice", ALICE_PASSWORD).await;
    let laptop = app.login("alice", ALICE_PASSWORD).await;
    let bob = app.login("bob", common::BOB_PASSWORD).await;
    assert_eq!(logout_bearer(&app, &phone.access).await.status(), 200);

    assert_eq!(
        app.get_bearer("/auth/me", &laptop.access).await.status(),
        200
    );
    assert_eq!(app.refresh(&laptop.refresh).await.status(), 200);
    assert_eq!(app.get_bearer("/auth/me", &bob.access).await.status(), 200);
}

#[tokio::test]
async fn logout_twice_with_the_same_access_token_is_401_the_second_time() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    assert_eq!(logout_bearer(&app, &tokens.access).await.status(), 200);
    let res = logout_bearer(&app, &tokens.access).await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn logout_clears_cookies_with_secure_when_the_issuer_is_https() {
    let app = TestApp::start_with(|raw| raw.issuer = "https://id.frontdesk.test".into()).await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = logout_bearer(&app, &tokens.access).await;
    assert_eq!(res.status(), 200);
    assert_cleared(&res);
    for name in ["accessToken", "refreshToken"] {
        let cookie = cookie_named(&set_cookies(&res), name);
        assert!(
            cookie_attributes(&cookie).iter().any(|a| a == "Secure"),
            "{cookie}"
        );
    }
}

#[tokio::test]
async fn logout_then_a_retry_of_a_rotated_token_within_the_grace_window_is_403() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let (access, _) = support::pair_of(app.refresh(&tokens.refresh).await).await;
    assert_eq!(logout_bearer(&app, &access).await.status(), 200);
    // Within the window a retry would normally get the successor; not after a logout.
    let res = app.refresh(&tokens.refresh).await;
    assert_eq!(
        status_and_message(res).await,
        (403, "Invalid refresh token".into())
    );
}
