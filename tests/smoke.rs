//! The README's flow end to end: login, me, refresh, logout.

mod common;

use common::{json_of, status_and_message, TestApp, ALICE_PASSWORD};
use serde_json::json;

#[tokio::test]
async fn login_me_refresh_logout() {
    let app = TestApp::start().await;
    let res = app.client.get(app.url("/auth/me")).send().await.unwrap();
    assert_eq!(
        status_and_message(res).await,
        (401, "Access Token is required".into())
    );

    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let me = json_of(app.get_bearer("/auth/me", &tokens.access).await).await;
    assert_eq!(me["username"], "alice");
    assert!(me.get("password").is_none());

    let res = app.refresh(&tokens.refresh).await;
    assert_eq!(res.status(), 200);
    let pair = json_of(res).await;
    assert_ne!(pair["refreshToken"], json!(tokens.refresh));

    let res = app
        .client
        .post(app.url("/auth/logout"))
        .bearer_auth(pair["accessToken"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app.refresh(pair["refreshToken"].as_str().unwrap()).await;
    assert_eq!(
        status_and_message(res).await,
        (403, "Invalid refresh token".into())
    );
}
