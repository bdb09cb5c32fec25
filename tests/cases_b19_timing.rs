//! Case B19, the timing half: an unknown user must not answer measurably faster than a wrong
//! password for a known one (both pay one Argon2id verification). This is a security property,
//! not a speed target: the only assertion is that the three groups' median latencies are within
//! a factor of two of each other. The test is alone in its binary so no other test competes for
//! the CPU while it measures.

mod common;

use std::time::{Duration, Instant};

use common::TestApp;
use serde_json::json;

const ROUNDS: usize = 30;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn b19_unknown_user_wrong_password_and_case_variant_take_comparable_time() {
    let app = TestApp::start_with(|raw| {
        raw.login.account_free_failures = 1_000_000;
        raw.login.address_free_failures = 1_000_000;
    })
    .await;
    let groups = [
        (
            "wrong password",
            json!({"username": "alice", "password": "wrong-1"}),
        ),
        (
            "unknown user",
            json!({"username": "nobody-7f3a", "password": "wrong-1"}),
        ),
        (
            "case variant",
            json!({"username": "ALICE", "password": "wrong-1"}),
        ),
    ];

    // Warm up connections, caches and the hashing pool.
    for _ in 0..3 {
        for (_, body) in &groups {
            assert_eq!(
                app.post_json("/auth/login", body.clone()).await.status(),
                400
            );
        }
    }

    // Interleave, rotating the order every round so no group always goes first.
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); groups.len()];
    for round in 0..ROUNDS {
        for i in 0..groups.len() {
            let g = (round + i) % groups.len();
            let started = Instant::now();
            let res = app.post_json("/auth/login", groups[g].1.clone()).await;
            let status = res.status();
            res.bytes().await.expect("body");
            samples[g].push(started.elapsed());
            assert_eq!(status, 400, "{}", groups[g].0);
        }
    }

    let medians: Vec<Duration> = samples.into_iter().map(median).collect();
    for (a, ma) in groups.iter().zip(&medians) {
        for (b, mb) in groups.iter().zip(&medians) {
            let ratio = ma.as_secs_f64() / mb.as_secs_f64();
            assert!(
                (0.5..=2.0).contains(&ratio),
                "median of {} is {ma:?}, of {} is {mb:?}: the answer time tells them apart",
                a.0,
                b.0
            );
        }
    }
}
