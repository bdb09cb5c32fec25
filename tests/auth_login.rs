//! `POST /auth/login` (and `/user/login`, `/users/login`): bodies, identifiers, the response,
//! the cookies, `expiresInMins`, and every 400 of issue 2.

mod common;
mod support;

use common::{json_of, status_and_message, TestApp, ALICE_PASSWORD};
use serde_json::{json, Value};
use support::{
    cookie_attributes, cookie_named, cookie_value, jwt_claims, post_empty, post_form, post_raw,
    set_cookies,
};

const REQUIRED: &str = "Username and password required";

fn lifetime_of(token: &str) -> i64 {
    let claims = jwt_claims(token);
    claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat")
}

#[tokio::test]
async fn login_json_returns_every_field_of_the_user() {
    let app = TestApp::start().await;
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": ALICE_PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = json_of(res).await;
    let keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "accessToken",
            "email",
            "firstName",
            "gender",
            "id",
            "image",
            "lastName",
            "refreshToken",
            "username"
        ]
    );
    let alice = app.core.find_account("alice").await.expect("alice");
    assert_eq!(body["id"], json!(alice.id));
    assert_eq!(body["username"], "alice");
    assert_eq!(body["email"], "alice@example.com");
    assert_eq!(body["firstName"], "alice-first");
    assert_eq!(body["lastName"], "alice-last");
    assert_eq!(body["gender"], "female");
    assert!(body["image"].is_string());
    assert_eq!(
        body["accessToken"].as_str().expect("at").split('.').count(),
        3
    );
    assert!(body["refreshToken"]
        .as_str()
        .expect("rt")
        .starts_with("fdr_"));
}

#[tokio::test]
async fn login_form_urlencoded_works_like_json() {
    let app = TestApp::start().await;
    let res = post_form(
        &app,
        "/auth/login",
        &[("username", "alice"), ("password", ALICE_PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), 200);
    let body = json_of(res).await;
    assert_eq!(body["username"], "alice");
    let access = body["accessToken"].as_str().expect("at");
    assert_eq!(app.get_bearer("/auth/me", access).await.status(), 200);
}

#[tokio::test]
async fn login_aliases_user_login_and_users_login_answer_like_auth_login() {
    let app = TestApp::start().await;
    for path in ["/user/login", "/users/login"] {
        let res = app
            .post_json(
                path,
                json!({"username": "alice", "password": ALICE_PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(set_cookies(&res).len(), 2, "{path}");
        let body = json_of(res).await;
        assert_eq!(body["username"], "alice", "{path}");

        let res = app
            .post_json(path, json!({"username": "alice", "password": "wrong-1"}))
            .await;
        assert_eq!(
            status_and_message(res).await,
            (400, "Invalid credentials".into()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn login_username_is_case_insensitive_and_answers_the_stored_username() {
    let app = TestApp::start().await;
    for typed in ["ALICE", "Alice", "aLiCe", "ＡＬＩＣＥ"] {
        let tokens = app.login(typed, ALICE_PASSWORD).await;
        assert_eq!(tokens.body["username"], "alice", "{typed}");
    }
}

#[tokio::test]
async fn login_by_email_in_any_case() {
    let app = TestApp::start().await;
    for typed in ["alice@example.com", "Alice@Example.COM"] {
        let tokens = app.login(typed, ALICE_PASSWORD).await;
        assert_eq!(tokens.body["username"], "alice", "{typed}");
        assert_eq!(tokens.body["email"], "alice@example.com", "{typed}");
    }
}

#[tokio::test]
async fn login_does_not_trim_the_username() {
    let app = TestApp::start().await;
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": " alice", "password": ALICE_PASSWORD}),
        )
        .await;
    assert_eq!(
        status_and_message(res).await,
        (400, "Invalid credentials".into())
    );
}

#[tokio::test]
async fn login_password_is_case_sensitive() {
    let app = TestApp::start().await;
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": ALICE_PASSWORD.to_uppercase()}),
        )
        .await;
    assert_eq!(
        status_and_message(res).await,
        (400, "Invalid credentials".into())
    );
}

#[tokio::test]
async fn login_cookies_are_httponly_path_root_samesite_lax_and_not_secure_on_plain_http() {
    let app = TestApp::start().await;
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": ALICE_PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let cookies = set_cookies(&res);
    let body = json_of(res).await;
    for (name, field) in [
        ("accessToken", "accessToken"),
        ("refreshToken", "refreshToken"),
    ] {
        let cookie = cookie_named(&cookies, name);
        assert_eq!(cookie_value(&cookie), body[field].as_str().expect("token"));
        let attrs = cookie_attributes(&cookie);
        assert!(attrs.iter().any(|a| a == "HttpOnly"), "{cookie}");
        assert!(attrs.iter().any(|a| a == "Path=/"), "{cookie}");
        assert!(attrs.iter().any(|a| a == "SameSite=Lax"), "{cookie}");
        assert!(
            !attrs.iter().any(|a| a.eq_ignore_ascii_case("Secure")),
            "{cookie}"
        );
    }
    let access = cookie_named(&cookies, "accessToken");
    assert!(cookie_attributes(&access)
        .iter()
        .any(|a| a == "Max-Age=3600"));
}

#[tokio::test]
async fn login_cookies_are_secure_when_the_issuer_is_https() {
    let app = TestApp::start_with(|raw| raw.issuer = "https://id.frontdesk.test".into()).await;
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": ALICE_PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let cookies = set_cookies(&res);
    for name in ["accessToken", "refreshToken"] {
        let cookie = cookie_named(&cookies, name);
        let attrs = cookie_attributes(&cookie);
        assert!(attrs.iter().any(|a| a == "Secure"), "{cookie}");
        assert!(attrs.iter().any(|a| a == "HttpOnly"), "{cookie}");
        assert!(attrs.iter().any(|a| a == "SameSite=Lax"), "{cookie}");
    }
    let body = json_of(res).await;
    let claims = jwt_claims(body["accessToken"].as_str().expect("at"));
    assert_eq!(claims["iss"], "https://id.frontdesk.test");
}

#[tokio::test]
async fn login_expires_in_mins_defaults_to_60() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    assert_eq!(lifetime_of(&tokens.access), 3600);
}

#[tokio::test]
async fn login_expires_in_mins_sets_the_access_token_lifetime_and_cookie() {
    let app = TestApp::start().await;
    for (minutes, secs) in [
        (json!(30), 1800),
        (json!(1.5), 90),
        (json!("30"), 1800),
        (json!(1), 60),
        (json!(43200), 2_592_000),
    ] {
        let res = app
            .post_json(
                "/auth/login",
                json!({"username": "alice", "password": ALICE_PASSWORD, "expiresInMins": minutes}),
            )
            .await;
        assert_eq!(res.status(), 200, "{minutes}");
        let cookie = cookie_named(&set_cookies(&res), "accessToken");
        assert!(
            cookie_attributes(&cookie).contains(&format!("Max-Age={secs}")),
            "{minutes}: {cookie}"
        );
        let body = json_of(res).await;
        assert_eq!(
            lifetime_of(body["accessToken"].as_str().expect("at")),
            secs,
            "{minutes}"
        );
    }
}

#[tokio::test]
async fn login_expires_in_mins_in_a_form_body() {
    let app = TestApp::start().await;
    let res = post_form(
        &app,
        "/auth/login",
        &[
            ("username", "alice"),
            ("password", ALICE_PASSWORD),
            ("expiresInMins", "30"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let body = json_of(res).await;
    assert_eq!(lifetime_of(body["accessToken"].as_str().expect("at")), 1800);
}

#[tokio::test]
async fn login_expires_in_mins_out_of_range_is_400_with_a_clear_message() {
    let app = TestApp::start().await;
    for minutes in [
        json!(0),
        json!(50000),
        json!(-5),
        json!("abc"),
        json!(0.5),
        json!(43200.5),
        json!(true),
        json!([5]),
    ] {
        let res = app
            .post_json(
                "/auth/login",
                json!({"username": "alice", "password": ALICE_PASSWORD, "expiresInMins": minutes}),
            )
            .await;
        assert_eq!(
            status_and_message(res).await,
            (400, "expiresInMins must be a number from 1 to 43200".into()),
            "{minutes}"
        );
    }
    let res = post_form(
        &app,
        "/auth/login",
        &[
            ("username", "alice"),
            ("password", ALICE_PASSWORD),
            ("expiresInMins", "abc"),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn login_without_username_or_password_is_400_required() {
    let app = TestApp::start().await;
    for body in [
        json!({}),
        json!({"username": "alice"}),
        json!({"password": ALICE_PASSWORD}),
        json!({"username": "", "password": ""}),
        json!({"username": "alice", "password": ""}),
        json!({"username": "", "password": ALICE_PASSWORD}),
        json!({"username": null, "password": ALICE_PASSWORD}),
        json!({"username": 0, "password": ALICE_PASSWORD}),
        json!({"username": "alice", "password": false}),
        json!([1, 2]),
    ] {
        let res = app.post_json("/auth/login", body.clone()).await;
        assert_eq!(
            status_and_message(res).await,
            (400, REQUIRED.into()),
            "{body}"
        );
    }
}

#[tokio::test]
async fn login_with_no_body_is_400_required() {
    let app = TestApp::start().await;
    let res = post_empty(&app, "/auth/login").await;
    assert_eq!(status_and_message(res).await, (400, REQUIRED.into()));
    let res = post_raw(&app, "/auth/login", Some("application/json"), "").await;
    assert_eq!(status_and_message(res).await, (400, REQUIRED.into()));
    let res = post_form(&app, "/auth/login", &[]).await;
    assert_eq!(status_and_message(res).await, (400, REQUIRED.into()));
}

#[tokio::test]
async fn login_with_a_text_plain_body_is_not_read_and_is_400_required() {
    let app = TestApp::start().await;
    let json_text = json!({"username": "alice", "password": ALICE_PASSWORD}).to_string();
    let res = post_raw(&app, "/auth/login", Some("text/plain"), json_text).await;
    assert_eq!(status_and_message(res).await, (400, REQUIRED.into()));
}

#[tokio::test]
async fn login_with_a_non_string_username_is_400_not_valid() {
    let app = TestApp::start().await;
    for username in [
        json!(123),
        json!(["alice"]),
        json!({"u": "alice"}),
        json!(true),
    ] {
        let res = app
            .post_json(
                "/auth/login",
                json!({"username": username, "password": ALICE_PASSWORD}),
            )
            .await;
        assert_eq!(
            status_and_message(res).await,
            (400, "Username is not valid".into()),
            "{username}"
        );
    }
}

#[tokio::test]
async fn login_with_a_non_string_password_is_invalid_credentials() {
    let app = TestApp::start().await;
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": 12345678}),
        )
        .await;
    assert_eq!(
        status_and_message(res).await,
        (400, "Invalid credentials".into())
    );
}

#[tokio::test]
async fn login_unknown_user_and_wrong_password_are_byte_identical_400s() {
    let app = TestApp::start().await;
    let unknown = app
        .post_json(
            "/auth/login",
            json!({"username": "nobody-7f3a", "password": "wrong-1"}),
        )
        .await;
    let wrong = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": "wrong-1"}),
        )
        .await;
    assert_eq!(unknown.status(), 400);
    assert_eq!(wrong.status(), 400);
    assert!(set_cookies(&unknown).is_empty());
    let (a, b) = (
        unknown.bytes().await.expect("body"),
        wrong.bytes().await.expect("body"),
    );
    assert_eq!(a, b);
    assert_eq!(
        serde_json::from_slice::<Value>(&a).expect("json"),
        json!({"message": "Invalid credentials"})
    );
}

#[tokio::test]
async fn login_with_malformed_json_is_400_never_500() {
    let app = TestApp::start().await;
    for text in [
        "{",
        "{\"username\":",
        "nul",
        "{'username':'alice'}",
        "\u{0}",
    ] {
        let res = post_raw(&app, "/auth/login", Some("application/json"), text).await;
        assert_eq!(
            status_and_message(res).await,
            (400, "Request body is not valid JSON".into()),
            "{text:?}"
        );
    }
}

#[tokio::test]
async fn login_with_a_nul_byte_in_the_username_is_400() {
    let app = TestApp::start().await;
    for username in ["ali\u{0}ce", "alice\u{0}", "\u{0}"] {
        let res = app
            .post_json(
                "/auth/login",
                json!({"username": username, "password": ALICE_PASSWORD}),
            )
            .await;
        assert_eq!(
            status_and_message(res).await,
            (400, "Invalid credentials".into()),
            "{username:?}"
        );
    }
    let res = post_raw(
        &app,
        "/auth/login",
        Some("application/x-www-form-urlencoded"),
        format!("username=alice%00&password={ALICE_PASSWORD}"),
    )
    .await;
    assert_eq!(
        status_and_message(res).await,
        (400, "Invalid credentials".into())
    );
}

#[tokio::test]
async fn login_by_a_disabled_user_is_403_even_with_the_right_password() {
    let app = TestApp::start().await;
    let alice = app.core.find_account("alice").await.expect("alice");
    app.core
        .set_disabled(alice.id, true)
        .await
        .expect("disable");
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": ALICE_PASSWORD}),
        )
        .await;
    assert!(set_cookies(&res).is_empty());
    assert_eq!(
        status_and_message(res).await,
        (403, "Account is disabled".into())
    );

    // A wrong password still reads as wrong, and re-enabling restores login.
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": "wrong-1"}),
        )
        .await;
    assert_eq!(
        status_and_message(res).await,
        (400, "Invalid credentials".into())
    );
    app.core
        .set_disabled(alice.id, false)
        .await
        .expect("enable");
    app.login("alice", ALICE_PASSWORD).await;
}

#[tokio::test]
async fn login_upgrades_an_older_hash_format_to_argon2id_owasp() {
    use frontdesk::crypto::password::{hash_with, HashCost};
    use frontdesk::crypto::random::OsRandom;

    let app = TestApp::start().await;
    let alice = app.core.find_account("alice").await.expect("alice");
    let old = hash_with(
        argon2::Algorithm::Argon2i,
        HashCost {
            memory_kib: 1024,
            passes: 1,
            lanes: 1,
        },
        &OsRandom::default(),
        ALICE_PASSWORD,
    )
    .expect("hash");
    assert!(old.starts_with("$argon2i$"));
    assert!(app
        .core
        .store
        .set_password_hash(alice.id, &old)
        .await
        .expect("store"));

    let tokens = app.login("alice", ALICE_PASSWORD).await;
    assert_eq!(tokens.body["id"], json!(alice.id));
    let stored = app
        .core
        .store
        .get_user(alice.id)
        .await
        .expect("store")
        .expect("alice")
        .password_hash;
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    // The upgraded hash still verifies.
    app.login("alice", ALICE_PASSWORD).await;
}

#[tokio::test]
async fn login_does_not_upgrade_on_a_wrong_password() {
    use frontdesk::crypto::password::{hash_with, HashCost};
    use frontdesk::crypto::random::OsRandom;

    let app = TestApp::start().await;
    let alice = app.core.find_account("alice").await.expect("alice");
    let cheap = HashCost {
        memory_kib: 1024,
        passes: 1,
        lanes: 1,
    };
    let old = hash_with(
        argon2::Algorithm::Argon2id,
        cheap,
        &OsRandom::default(),
        ALICE_PASSWORD,
    )
    .expect("hash");
    app.core
        .store
        .set_password_hash(alice.id, &old)
        .await
        .expect("store");
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "alice", "password": "wrong-1"}),
        )
        .await;
    assert_eq!(res.status(), 400);
    let stored = app
        .core
        .store
        .get_user(alice.id)
        .await
        .expect("store")
        .expect("alice")
        .password_hash;
    assert_eq!(stored, old);
}

#[tokio::test]
async fn login_refresh_token_is_opaque_and_stored_only_as_a_digest() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    assert!(tokens.refresh.starts_with("fdr_"));
    assert!(
        !tokens.refresh.contains('.'),
        "a refresh token is not a JWT"
    );

    // Neither the database nor its journal holds the token in the clear.
    let secret = tokens
        .refresh
        .trim_start_matches("fdr_")
        .as_bytes()
        .to_vec();
    for entry in std::fs::read_dir(app.dir.path()).expect("dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_slice()),
            "{} holds the refresh token",
            path.display()
        );
    }

    // Every row of every table, read through the store, so the check holds on PostgreSQL too.
    // Binary columns export as base64url, so look for the token in that form as well.
    let body = tokens.refresh.trim_start_matches("fdr_").to_owned();
    let as_bytes = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tokens.refresh.as_bytes())
    };
    let mut rows = 0;
    let mut sink = |record: frontdesk::store::Record| {
        let text = record.to_json()?.to_string();
        assert!(
            !text.contains(&body),
            "a stored row holds the refresh token: {text}"
        );
        assert!(
            !text.contains(&as_bytes),
            "a stored row holds the refresh token: {text}"
        );
        rows += 1;
        Ok(())
    };
    app.core.store.export_rows(&mut sink).await.expect("export");
    assert!(rows > 0, "the export saw no rows");
}

#[tokio::test]
async fn each_login_starts_its_own_session() {
    let app = TestApp::start().await;
    let first = app.login("alice", ALICE_PASSWORD).await;
    let second = app.login("alice", ALICE_PASSWORD).await;
    assert_ne!(first.refresh, second.refresh);
    assert_ne!(
        jwt_claims(&first.access)["sid"],
        jwt_claims(&second.access)["sid"]
    );
}
