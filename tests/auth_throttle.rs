//! Failed-login throttling: per account (whatever identifier is typed) and per client address,
//! with delays that grow to a cap and run out, answered 429 with `Retry-After`. Every request
//! here comes from 127.0.0.1; time moves only by the manual clock.

mod common;

use common::{json_of, status_and_message, TestApp, ALICE_PASSWORD, BOB_PASSWORD};
use reqwest::header::RETRY_AFTER;
use serde_json::json;

async fn attempt(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/auth/login",
        json!({"username": username, "password": password}),
    )
    .await
}

async fn fail(app: &TestApp, username: &str) {
    let res = attempt(app, username, "wrong-password").await;
    assert_eq!(
        status_and_message(res).await,
        (400, "Invalid credentials".into()),
        "{username}"
    );
}

/// Asserts a 429 and returns its `Retry-After` in seconds.
async fn throttled(res: reqwest::Response) -> i64 {
    assert_eq!(res.status(), 429);
    let secs: i64 = res.headers()[RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("delta-seconds");
    assert!(secs >= 1);
    let body = json_of(res).await;
    let unit = if secs == 1 { "second" } else { "seconds" };
    assert_eq!(
        body,
        json!({"message": format!("Too many failed logins; try again in {secs} {unit}")})
    );
    secs
}

#[tokio::test]
async fn throttle_after_five_wrong_passwords_the_next_login_is_429_even_if_correct() {
    let app = TestApp::start().await;
    for _ in 0..5 {
        fail(&app, "alice").await;
    }
    let secs = throttled(attempt(&app, "alice", ALICE_PASSWORD).await).await;
    assert_eq!(secs, 1);
    // A wrong password while blocked gets the very same answer.
    assert_eq!(throttled(attempt(&app, "alice", "wrong").await).await, secs);
    // Other accounts are not affected.
    assert_eq!(attempt(&app, "bob", BOB_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn throttle_is_keyed_by_account_not_by_the_identifier_typed() {
    let app = TestApp::start().await;
    for typed in [
        "alice",
        "ALICE",
        "alice@example.com",
        "Alice@Example.com",
        "Alice",
    ] {
        fail(&app, typed).await;
    }
    for typed in ["alice", "ALICE", "alice@example.com", "ＡＬＩＣＥ"] {
        let res = attempt(&app, typed, ALICE_PASSWORD).await;
        assert_eq!(res.status(), 429, "{typed}");
    }
}

#[tokio::test]
async fn throttle_after_retry_after_the_correct_password_logs_in() {
    let app = TestApp::start().await;
    for _ in 0..5 {
        fail(&app, "alice").await;
    }
    let secs = throttled(attempt(&app, "alice", ALICE_PASSWORD).await).await;
    app.clock.advance_secs(secs);
    let res = attempt(&app, "alice", ALICE_PASSWORD).await;
    assert_eq!(res.status(), 200);

    // A success forgets the account's failures: five more are free again.
    for _ in 0..4 {
        fail(&app, "alice").await;
    }
    assert_eq!(attempt(&app, "alice", ALICE_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn throttle_blocked_attempts_do_not_extend_the_block() {
    let app = TestApp::start().await;
    for _ in 0..5 {
        fail(&app, "alice").await;
    }
    for i in 0..20 {
        let password = if i % 2 == 0 { ALICE_PASSWORD } else { "wrong" };
        assert_eq!(throttled(attempt(&app, "alice", password).await).await, 1);
    }
    app.clock.advance_secs(1);
    assert_eq!(attempt(&app, "alice", ALICE_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn throttle_delays_double_up_to_the_cap_and_the_owner_still_gets_in() {
    let app = TestApp::start_with(|raw| raw.login.address_free_failures = 1000).await;
    for _ in 0..5 {
        fail(&app, "alice").await;
    }
    let mut expected = 1;
    for _ in 0..14 {
        let secs = throttled(attempt(&app, "alice", "wrong").await).await;
        assert_eq!(secs, expected);
        app.clock.advance_secs(secs);
        // The attacker's next guess as soon as the block runs out.
        fail(&app, "alice").await;
        expected = (expected * 2).min(900);
    }
    assert_eq!(expected, 900, "the delay reached its cap");
    let secs = throttled(attempt(&app, "alice", ALICE_PASSWORD).await).await;
    assert!(secs <= 900, "never more than the cap: {secs}");

    // Never locked out for good: when the capped delay runs out, the owner logs in.
    app.clock.advance_secs(secs);
    assert_eq!(attempt(&app, "alice", ALICE_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn throttle_failures_are_forgotten_after_a_quiet_hour() {
    let app = TestApp::start().await;
    for _ in 0..4 {
        fail(&app, "alice").await;
    }
    app.clock.advance_secs(61 * 60);
    for _ in 0..4 {
        fail(&app, "alice").await;
    }
    assert_eq!(attempt(&app, "alice", ALICE_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn throttle_per_address_after_twenty_failures_across_usernames() {
    let app = TestApp::start().await;
    for i in 0..20 {
        fail(&app, &format!("user{i}")).await;
    }
    // Every account now waits, from this address, even with the right password.
    let secs = throttled(attempt(&app, "alice", ALICE_PASSWORD).await).await;
    assert_eq!(secs, 1);
    assert_eq!(throttled(attempt(&app, "bob", BOB_PASSWORD).await).await, 1);
    assert_eq!(throttled(attempt(&app, "user99", "x").await).await, 1);

    app.clock.advance_secs(secs);
    assert_eq!(attempt(&app, "alice", ALICE_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn throttle_per_address_counts_known_and_unknown_accounts_alike() {
    let app = TestApp::start().await;
    for i in 0..10 {
        fail(&app, &format!("ghost{i}")).await;
    }
    for _ in 0..4 {
        fail(&app, "alice").await;
        fail(&app, "bob").await;
    }
    fail(&app, "ghost-last").await;
    fail(&app, "ghost-very-last").await;
    assert_eq!(
        attempt(&app, "bob", BOB_PASSWORD).await.status(),
        429,
        "20 failures from one address"
    );
}

#[tokio::test]
async fn throttle_unknown_usernames_behave_exactly_like_known_ones() {
    let app = TestApp::start().await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..7 {
        for (name, log) in [("alice", &mut known), ("nobody-7f3a", &mut unknown)] {
            let res = attempt(&app, name, "wrong-password").await;
            let status = res.status().as_u16();
            let retry = res
                .headers()
                .get(RETRY_AFTER)
                .map(|v| v.to_str().expect("ascii").to_owned());
            let body = res.text().await.expect("body");
            log.push((status, retry, body));
        }
    }
    assert_eq!(known, unknown);
    assert_eq!(known.iter().filter(|(s, _, _)| *s == 400).count(), 5);
    assert_eq!(known.iter().filter(|(s, _, _)| *s == 429).count(), 2);

    // A case variant of the unknown name shares its counter, as it would for an account.
    let res = attempt(&app, "NOBODY-7F3A", "wrong-password").await;
    assert_eq!(res.status(), 429);
}

#[tokio::test]
async fn throttle_limits_are_configurable() {
    let app = TestApp::start_with(|raw| {
        raw.login.account_free_failures = 2;
        raw.login.max_delay_seconds = 3;
    })
    .await;
    fail(&app, "alice").await;
    fail(&app, "alice").await;
    assert_eq!(
        throttled(attempt(&app, "alice", ALICE_PASSWORD).await).await,
        1
    );
    for expected in [2, 3, 3] {
        app.clock.advance_secs(3);
        fail(&app, "alice").await;
        assert_eq!(
            throttled(attempt(&app, "alice", ALICE_PASSWORD).await).await,
            expected
        );
    }
}

#[tokio::test]
async fn throttle_a_burst_of_parallel_guesses_gets_no_more_than_the_free_failures_checked() {
    let app = TestApp::start().await;
    let guesses = (0..30).map(|i| {
        let password = format!("guess-{i}");
        let app = &app;
        async move { attempt(app, "alice", &password).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 400).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + throttled, 30, "{statuses:?}");
    assert!(
        checked <= 5,
        "{checked} passwords were checked in one burst: {statuses:?}"
    );
}

/// A client whose requests come from another loopback address.
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().expect("an address"))
        .build()
        .expect("client")
}

#[tokio::test]
async fn throttle_guesses_from_elsewhere_never_block_the_owner_at_a_known_address() {
    let app = TestApp::start().await;
    app.login("alice", ALICE_PASSWORD).await;

    // An attacker on another address blocks the account for everyone but known addresses.
    let attacker = client_from("127.0.0.7");
    let guess = |password: &'static str| {
        attacker
            .post(app.url("/auth/login"))
            .json(&json!({"username": "alice", "password": password}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(guess("wrong-password").await.unwrap().status(), 400);
    }
    assert_eq!(guess("wrong-password").await.unwrap().status(), 429);
    assert_eq!(guess(ALICE_PASSWORD).await.unwrap().status(), 429);

    // The owner, from where she logged in before, is unaffected.
    app.login("alice", ALICE_PASSWORD).await;
}

#[tokio::test]
async fn throttle_attempts_refused_for_a_blocked_account_do_not_count_against_the_address() {
    let app = TestApp::start().await;
    let attacker = client_from("127.0.0.8");
    for _ in 0..6 {
        attacker
            .post(app.url("/auth/login"))
            .json(&json!({"username": "bob", "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
    }

    // From another address, 30 refused attempts on the blocked account...
    let retrier = client_from("127.0.0.9");
    for _ in 0..30 {
        let res = retrier
            .post(app.url("/auth/login"))
            .json(&json!({"username": "bob", "password": BOB_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 429);
    }

    // ...leave that address free to log in to other accounts.
    let res = retrier
        .post(app.url("/auth/login"))
        .json(&json!({"username": "alice", "password": ALICE_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
