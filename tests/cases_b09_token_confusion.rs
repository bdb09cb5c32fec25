//! Case B09: token types never cross. A refresh token is never an access token, an access token
//! is never a refresh token, and a JWT of another `typ` signed by our own key is not an access
//! token. (Steps b, c, e, g and h need `/oauth/*`.)

mod common;
mod support;

use common::{json_of, status_and_message, TestApp, ALICE_PASSWORD};
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::json;
use support::{get_with_cookie, jwt_claims, post_raw};

#[tokio::test]
async fn b09_refresh_token_as_bearer_on_me_is_401_invalid_token() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    for path in ["/auth/me", "/user/me", "/users/me"] {
        let res = app.get_bearer(path, &tokens.refresh).await;
        assert!(res.headers()[WWW_AUTHENTICATE]
            .to_str()
            .expect("ascii")
            .contains("invalid_token"));
        assert_eq!(
            status_and_message(res).await,
            (401, "Invalid/Expired Token!".into()),
            "{path}"
        );
    }
    let res = get_with_cookie(&app, "/auth/me", &format!("accessToken={}", tokens.refresh)).await;
    assert_eq!(res.status(), 401);
    // The refresh token was not spent or damaged by being shown to /auth/me.
    assert_eq!(app.refresh(&tokens.refresh).await.status(), 200);
}

#[tokio::test]
async fn b09_access_token_as_refresh_token_is_403_and_revokes_nothing() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = app.refresh(&tokens.access).await;
    assert_eq!(
        status_and_message(res).await,
        (403, "Invalid refresh token".into())
    );
    let res = app
        .client
        .post(app.url("/auth/refresh"))
        .header("Cookie", format!("refreshToken={}", tokens.access))
        .send()
        .await
        .expect("request");
    assert_eq!(
        status_and_message(res).await,
        (403, "Invalid refresh token".into())
    );
    let res = post_raw(
        &app,
        "/auth/refresh",
        Some("application/x-www-form-urlencoded"),
        format!("refreshToken={}", tokens.access),
    )
    .await;
    assert_eq!(res.status(), 403);

    assert_eq!(
        app.get_bearer("/auth/me", &tokens.access).await.status(),
        200
    );
    assert_eq!(app.refresh(&tokens.refresh).await.status(), 200);
}

#[tokio::test]
async fn b09_refresh_ignores_the_authorization_header() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    for value in [tokens.refresh.clone(), tokens.access.clone()] {
        let res = app
            .client
            .post(app.url("/auth/refresh"))
            .bearer_auth(&value)
            .send()
            .await
            .expect("request");
        assert_eq!(
            status_and_message(res).await,
            (401, "Refresh token required".into())
        );
    }
}

#[tokio::test]
async fn b09_our_signature_with_another_typ_is_not_an_access_token() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let claims = jwt_claims(&tokens.access);
    let now = frontdesk::core::Clock::now_ms(&app.clock);
    let ring = app.core.keys.ring();

    let control = ring.sign(now, "at+jwt", &claims).expect("sign");
    assert_eq!(app.get_bearer("/auth/me", &control).await.status(), 200);
    for typ in [
        "JWT",
        "jwt",
        "id+jwt",
        "logout+jwt",
        "",
        "at+jwt2",
        "application/jwt",
    ] {
        let token = ring.sign(now, typ, &claims).expect("sign");
        let res = app.get_bearer("/auth/me", &token).await;
        assert_eq!(
            json_of(res).await,
            json!({"message": "Invalid/Expired Token!"}),
            "typ {typ:?}"
        );
    }
}
