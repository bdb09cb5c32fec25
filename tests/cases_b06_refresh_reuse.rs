//! Case B06: a rotated-out refresh token presented after the grace window is reuse. The whole
//! family is revoked (its successor and its access tokens stop working), a security event is
//! recorded, and the user's other sessions are left alone. (Steps 6 and 8 need `/oauth/*`.)

mod common;
mod support;

use common::{status_and_message, TestApp, ALICE_PASSWORD};
use support::{jwt_claims, pair_of};

const INVALID: &str = "Invalid refresh token";

#[tokio::test]
async fn b06_refresh_after_grace_window_revokes_the_family() {
    let app = TestApp::start().await;
    let r0 = app.login("alice", ALICE_PASSWORD).await;
    let (a1, r1) = pair_of(app.refresh(&r0.refresh).await).await;

    app.clock.advance_secs(6);
    let res = app.refresh(&r0.refresh).await;
    assert_eq!(status_and_message(res).await, (403, INVALID.into()));

    // The successor is dead too, and so are the family's access tokens.
    let res = app.refresh(&r1).await;
    assert_eq!(status_and_message(res).await, (403, INVALID.into()));
    for access in [&r0.access, &a1] {
        let res = app.get_bearer("/auth/me", access).await;
        assert_eq!(
            status_and_message(res).await,
            (401, "Invalid/Expired Token!".into())
        );
    }
}

#[tokio::test]
async fn b06_reuse_leaves_the_users_other_session_working() {
    let app = TestApp::start().await;
    let stolen = app.login("alice", ALICE_PASSWORD).await;
    let other = app.login("alice", ALICE_PASSWORD).await;
    pair_of(app.refresh(&stolen.refresh).await).await;
    app.clock.advance_secs(6);
    assert_eq!(app.refresh(&stolen.refresh).await.status(), 403);

    assert_eq!(
        app.get_bearer("/auth/me", &other.access).await.status(),
        200
    );
    let (access, refresh) = pair_of(app.refresh(&other.refresh).await).await;
    assert_eq!(app.get_bearer("/auth/me", &access).await.status(), 200);
    assert_eq!(app.refresh(&refresh).await.status(), 200);
}

#[tokio::test]
async fn b06_reuse_is_recorded_as_a_security_event() {
    let app = TestApp::start().await;
    let alice = app.core.find_account("alice").await.expect("alice");
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let sid = jwt_claims(&tokens.access)["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    pair_of(app.refresh(&tokens.refresh).await).await;
    assert!(app
        .core
        .store
        .list_events(10)
        .await
        .expect("events")
        .is_empty());

    app.clock.advance_secs(6);
    assert_eq!(app.refresh(&tokens.refresh).await.status(), 403);
    let events = app.core.store.list_events(10).await.expect("events");
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.kind, "refresh_token_reuse");
    assert_eq!(event.user_id, Some(alice.id));
    assert_eq!(event.session_id.as_deref(), Some(sid.as_str()));
    assert_eq!(event.client_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(event.at_ms, frontdesk::core::Clock::now_ms(&app.clock));

    // Presenting it again is still refused, without a second revocation event.
    assert_eq!(app.refresh(&tokens.refresh).await.status(), 403);
    assert_eq!(
        app.core.store.list_events(10).await.expect("events").len(),
        1
    );
}

#[tokio::test]
async fn b06_an_older_generation_replayed_later_also_revokes() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let (_, r1) = pair_of(app.refresh(&tokens.refresh).await).await;
    app.clock.advance_secs(10);
    let (_, r2) = pair_of(app.refresh(&r1).await).await;
    app.clock.advance_secs(10);
    let (a3, r3) = pair_of(app.refresh(&r2).await).await;
    app.clock.advance_secs(10);

    // The thief replays r1, two generations back.
    assert_eq!(app.refresh(&r1).await.status(), 403);
    assert_eq!(app.refresh(&r3).await.status(), 403);
    assert_eq!(app.get_bearer("/auth/me", &a3).await.status(), 401);
}

#[tokio::test]
async fn b06_the_legitimate_user_logs_in_again_after_a_revocation() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    pair_of(app.refresh(&tokens.refresh).await).await;
    app.clock.advance_secs(6);
    assert_eq!(app.refresh(&tokens.refresh).await.status(), 403);
    let fresh = app.login("alice", ALICE_PASSWORD).await;
    assert_eq!(app.refresh(&fresh.refresh).await.status(), 200);
}
