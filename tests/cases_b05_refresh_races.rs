//! Case B05: two tabs or a retry must not log the user out. Within the grace window a rotated
//! token returns the same successor, whether the requests overlap or one retries after a lost
//! response; there are never two live successors. (Step 4's OAuth variant needs `/oauth/token`.)

mod common;
mod support;

use std::collections::HashSet;

use common::{json_of, status_and_message, TestApp, ALICE_PASSWORD};
use support::pair_of;

#[tokio::test]
async fn b05_two_simultaneous_refreshes_get_the_same_successor() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let (a, b) = tokio::join!(app.refresh(&tokens.refresh), app.refresh(&tokens.refresh));
    let (_, ra) = pair_of(a).await;
    let (_, rb) = pair_of(b).await;
    assert_eq!(ra, rb);
    // The successor carries on the chain.
    let (access, _) = pair_of(app.refresh(&ra).await).await;
    assert_eq!(app.get_bearer("/auth/me", &access).await.status(), 200);
}

#[tokio::test]
async fn b05_twenty_parallel_refreshes_yield_exactly_one_successor() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let requests = (0..20).map(|_| app.refresh(&tokens.refresh));
    let responses = futures::future::join_all(requests).await;
    let mut successors = HashSet::new();
    let mut accesses = Vec::new();
    for res in responses {
        let (access, refresh) = pair_of(res).await;
        successors.insert(refresh);
        accesses.push(access);
    }
    assert_eq!(successors.len(), 1, "the chain forked: {successors:?}");
    for access in &accesses {
        assert_eq!(app.get_bearer("/auth/me", access).await.status(), 200);
    }

    // The one successor works, once, and the session lives on.
    let successor = successors.into_iter().next().expect("one");
    let (access, next) = pair_of(app.refresh(&successor).await).await;
    assert_ne!(next, successor);
    assert_eq!(app.get_bearer("/auth/me", &access).await.status(), 200);
    assert!(app
        .core
        .store
        .list_events(10)
        .await
        .expect("events")
        .is_empty());
}

#[tokio::test]
async fn b05_same_old_token_twice_within_the_window_returns_the_same_successor() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let (_, first) = pair_of(app.refresh(&tokens.refresh).await).await;
    app.clock.advance_ms(4_000);
    let (access, second) = pair_of(app.refresh(&tokens.refresh).await).await;
    assert_eq!(first, second);
    assert_eq!(app.get_bearer("/auth/me", &access).await.status(), 200);
    assert!(app
        .core
        .store
        .list_events(10)
        .await
        .expect("events")
        .is_empty());
}

#[tokio::test]
async fn b05_retry_after_a_lost_response_gets_the_same_successor_and_continues() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;

    // The first answer never reaches the client.
    let lost = app.refresh(&tokens.refresh).await;
    assert_eq!(lost.status(), 200);
    let lost_successor = json_of(lost).await["refreshToken"]
        .as_str()
        .expect("rt")
        .to_owned();

    // The client retries a couple of seconds later with the token it still holds.
    app.clock.advance_secs(2);
    let (access, retried) = pair_of(app.refresh(&tokens.refresh).await).await;
    assert_eq!(retried, lost_successor);
    assert_eq!(app.get_bearer("/auth/me", &access).await.status(), 200);

    // The chain goes on normally from there.
    let (_, next) = pair_of(app.refresh(&retried).await).await;
    let (_, _) = pair_of(app.refresh(&next).await).await;
}

#[tokio::test]
async fn b05_the_grace_window_is_configurable() {
    let app = TestApp::start_with(|raw| raw.tokens.refresh_grace_seconds = 30).await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let (_, first) = pair_of(app.refresh(&tokens.refresh).await).await;
    app.clock.advance_secs(29);
    let (_, again) = pair_of(app.refresh(&tokens.refresh).await).await;
    assert_eq!(first, again);
    app.clock.advance_secs(2);
    let res = app.refresh(&tokens.refresh).await;
    assert_eq!(
        status_and_message(res).await,
        (403, "Invalid refresh token".into())
    );
}

#[tokio::test]
async fn b05_after_the_window_the_old_token_fails() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    pair_of(app.refresh(&tokens.refresh).await).await;
    app.clock.advance_secs(6);
    let res = app.refresh(&tokens.refresh).await;
    assert_eq!(
        status_and_message(res).await,
        (403, "Invalid refresh token".into())
    );
}
