//! `GET /auth/me` (and `/user/me`, `/users/me`): where the access token comes from, what the
//! profile shows, and the three 401s of issue 2, with expiry driven by the manual clock.

mod common;
mod support;

use common::{json_of, status_and_message, TestApp, ALICE_PASSWORD};
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::json;
use support::{cookie_named, get_with_authorization, get_with_cookie, set_cookies};

const INVALID: &str = "Invalid/Expired Token!";

fn challenge(res: &reqwest::Response) -> String {
    res.headers()
        .get(WWW_AUTHENTICATE)
        .expect("WWW-Authenticate on a 401")
        .to_str()
        .expect("ascii")
        .to_owned()
}

#[tokio::test]
async fn me_with_bearer_returns_the_profile() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = app.get_bearer("/auth/me", &tokens.access).await;
    assert_eq!(res.status(), 200);
    let me = json_of(res).await;
    assert_eq!(me["id"], tokens.body["id"]);
    assert_eq!(me["username"], "alice");
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(me["firstName"], "alice-first");
    assert_eq!(me["lastName"], "alice-last");
    assert_eq!(me["gender"], "female");
    assert!(me["image"].is_string());
}

#[tokio::test]
async fn me_aliases_user_me_and_users_me_answer_like_auth_me() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let expected = json_of(app.get_bearer("/auth/me", &tokens.access).await).await;
    for path in ["/user/me", "/users/me"] {
        let res = app.get_bearer(path, &tokens.access).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(json_of(res).await, expected, "{path}");
        let res = app.client.get(app.url(path)).send().await.expect("request");
        assert_eq!(
            status_and_message(res).await,
            (401, "Access Token is required".into()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn me_with_the_access_token_cookie_returns_the_profile() {
    let app = TestApp::start().await;
    let login = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": ALICE_PASSWORD}),
        )
        .await;
    let cookie = cookie_named(&set_cookies(&login), "accessToken");
    let pair = cookie.split(';').next().expect("pair").to_owned();
    let res = get_with_cookie(&app, "/auth/me", &format!("theme=dark; {pair}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(res).await["username"], "alice");
}

#[tokio::test]
async fn me_accepts_a_bare_token_and_any_case_of_the_bearer_scheme() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    for value in [
        tokens.access.clone(),
        format!("bearer {}", tokens.access),
        format!("BEARER {}", tokens.access),
    ] {
        let res = get_with_authorization(&app, "/auth/me", &value).await;
        assert_eq!(res.status(), 200, "{value}");
    }
}

#[tokio::test]
async fn me_with_another_scheme_is_401_invalid() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = get_with_authorization(&app, "/auth/me", &format!("Basic {}", tokens.access)).await;
    assert_eq!(status_and_message(res).await, (401, INVALID.into()));
}

#[tokio::test]
async fn me_a_bad_header_is_not_rescued_by_a_good_cookie() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = app
        .client
        .get(app.url("/auth/me"))
        .bearer_auth("garbage")
        .header("Cookie", format!("accessToken={}", tokens.access))
        .send()
        .await
        .expect("request");
    assert_eq!(status_and_message(res).await, (401, INVALID.into()));
}

#[tokio::test]
async fn me_never_returns_a_password_hash_or_other_secret() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let res = app.get_bearer("/auth/me", &tokens.access).await;
    let text = res.text().await.expect("text");
    let me: serde_json::Value = serde_json::from_str(&text).expect("json");
    let mut keys: Vec<&str> = me
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "birthDate",
            "email",
            "firstName",
            "gender",
            "id",
            "image",
            "lastName",
            "phone",
            "role",
            "username"
        ]
    );
    let lower = text.to_lowercase();
    for secret in ["password", "hash", "argon2", "disabled", "fdr_"] {
        assert!(!lower.contains(secret), "{secret} in {text}");
    }
    assert!(!text.contains(ALICE_PASSWORD));
}

#[tokio::test]
async fn me_without_a_token_is_401_access_token_required_with_a_challenge() {
    let app = TestApp::start().await;
    let res = app
        .client
        .get(app.url("/auth/me"))
        .send()
        .await
        .expect("request");
    assert_eq!(challenge(&res), "Bearer realm=\"frontdesk\"");
    assert_eq!(
        status_and_message(res).await,
        (401, "Access Token is required".into())
    );
    // An empty header or an empty cookie is the same as none.
    let res = get_with_authorization(&app, "/auth/me", "").await;
    assert_eq!(
        status_and_message(res).await,
        (401, "Access Token is required".into())
    );
    let res = get_with_cookie(&app, "/auth/me", "accessToken=").await;
    assert_eq!(
        status_and_message(res).await,
        (401, "Access Token is required".into())
    );
}

#[tokio::test]
async fn me_with_garbage_is_401_invalid_with_an_invalid_token_challenge() {
    let app = TestApp::start().await;
    for token in [
        "abc",
        "a.b.c",
        "Bearer",
        "eyJhbGciOiJFZERTQSJ9.e30.",
        "x y z",
    ] {
        let res = app.get_bearer("/auth/me", token).await;
        assert_eq!(
            challenge(&res),
            "Bearer realm=\"frontdesk\", error=\"invalid_token\"",
            "{token}"
        );
        // The access cookie is cleared; the refresh cookie is left alone, since it is what
        // lets a cookie client recover from this answer.
        let cookies = set_cookies(&res);
        let cleared = cookie_named(&cookies, "accessToken");
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
        assert!(
            !cookies.iter().any(|c| c.starts_with("refreshToken=")),
            "{cookies:?}"
        );
        let body = json_of(res).await;
        assert_eq!(body, json!({"message": INVALID}), "{token}");
    }
    let res = get_with_cookie(&app, "/auth/me", "accessToken=garbage").await;
    assert_eq!(status_and_message(res).await, (401, INVALID.into()));
}

#[tokio::test]
async fn me_with_a_tampered_token_is_401_invalid() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let (h, p, s) = support::jwt_parts(&tokens.access);

    // Flip the last signature character.
    let mut sig = s.clone().into_bytes();
    let last = sig.len() - 1;
    sig[last] = if sig[last] == b'A' { b'B' } else { b'A' };
    let flipped = format!("{h}.{p}.{}", String::from_utf8(sig).expect("ascii"));

    // Claim to be bob, keeping alice's signature.
    let bob = app.core.find_account("bob").await.expect("bob");
    let mut claims = support::jwt_claims(&tokens.access);
    claims["id"] = json!(bob.id);
    claims["sub"] = json!(bob.id.to_string());
    claims["username"] = json!("bob");
    let as_bob = format!("{h}.{}.{s}", support::json_b64(&claims));

    for token in [flipped, as_bob] {
        let res = app.get_bearer("/auth/me", &token).await;
        assert_eq!(status_and_message(res).await, (401, INVALID.into()));
    }
}

#[tokio::test]
async fn me_after_exp_is_401_token_expired() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;

    app.clock.advance_secs(3599);
    assert_eq!(
        app.get_bearer("/auth/me", &tokens.access).await.status(),
        200
    );

    app.clock.advance_secs(1);
    let res = app.get_bearer("/auth/me", &tokens.access).await;
    assert_eq!(
        challenge(&res),
        "Bearer realm=\"frontdesk\", error=\"invalid_token\""
    );
    assert_eq!(
        status_and_message(res).await,
        (401, "Token Expired!".into())
    );

    let res = get_with_cookie(&app, "/auth/me", &format!("accessToken={}", tokens.access)).await;
    assert_eq!(
        status_and_message(res).await,
        (401, "Token Expired!".into())
    );
}

#[tokio::test]
async fn me_short_expires_in_mins_expires_on_time() {
    let app = TestApp::start().await;
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": ALICE_PASSWORD, "expiresInMins": 1.5}),
        )
        .await;
    let access = json_of(res).await["accessToken"]
        .as_str()
        .expect("at")
        .to_owned();
    app.clock.advance_secs(89);
    assert_eq!(app.get_bearer("/auth/me", &access).await.status(), 200);
    app.clock.advance_secs(1);
    let res = app.get_bearer("/auth/me", &access).await;
    assert_eq!(
        status_and_message(res).await,
        (401, "Token Expired!".into())
    );
}

#[tokio::test]
async fn me_an_expired_token_with_a_bad_signature_is_invalid_not_expired() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let (h, p, _) = support::jwt_parts(&tokens.access);
    app.clock.advance_secs(7200);
    let forged = format!("{h}.{p}.{}", "A".repeat(86));
    let res = app.get_bearer("/auth/me", &forged).await;
    assert_eq!(status_and_message(res).await, (401, INVALID.into()));
}

#[tokio::test]
async fn me_for_a_disabled_user_is_401() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let alice = app.core.find_account("alice").await.expect("alice");
    app.core
        .set_disabled(alice.id, true)
        .await
        .expect("disable");
    let res = app.get_bearer("/auth/me", &tokens.access).await;
    assert_eq!(status_and_message(res).await, (401, INVALID.into()));
}

#[tokio::test]
async fn me_after_a_password_change_is_401() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let alice = app.core.find_account("alice").await.expect("alice");
    app.core
        .set_password(
            alice.id,
            &frontdesk::crypto::secret::Secret::new("Another-Password-1"),
        )
        .await
        .expect("set password");
    let res = app.get_bearer("/auth/me", &tokens.access).await;
    assert_eq!(status_and_message(res).await, (401, INVALID.into()));
    app.login("alice", "Another-Password-1").await;
}

#[tokio::test]
async fn me_shows_each_user_their_own_profile() {
    let app = TestApp::start().await;
    let alice = app.login("alice", ALICE_PASSWORD).await;
    let bob = app.login("bob", common::BOB_PASSWORD).await;
    let a = json_of(app.get_bearer("/auth/me", &alice.access).await).await;
    let b = json_of(app.get_bearer("/auth/me", &bob.access).await).await;
    assert_eq!(a["username"], "alice");
    assert_eq!(b["username"], "bob");
    assert_ne!(a["id"], b["id"]);
}
