//! The admin API for OAuth clients (`/admin/clients`), black box: registration of confidential
//! and public clients, the secret shown once, the admin token, the redirect URI rules of
//! ../shared/cases B01, conflicts and deletion; and client authentication through the core.

mod common;

use common::TestApp;
use frontdesk::crypto::secret::Secret;
use serde_json::{json, Value};

const ADMIN_TOKEN: &str = "admin-token-for-tests-0123456789abcdef";

/// A server whose admin API answers to [`ADMIN_TOKEN`].
async fn start() -> TestApp {
    TestApp::start_with(|raw| raw.admin_token = Some(Secret::new(ADMIN_TOKEN))).await
}

/// Sends an admin request with `token` (none when `None`) and returns status and JSON body.
async fn admin(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON body")
    };
    (status, body)
}

/// Sends an admin request with the right token.
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    admin(app, method, path, Some(ADMIN_TOKEN), body).await
}

fn app1() -> Value {
    json!({
        "client_id": "app1",
        "name": "App One",
        "redirect_uris": ["https://app1.example/cb", "http://127.0.0.1/cb"],
        "allowed_scopes": "openid profile",
    })
}

#[tokio::test]
async fn create_confidential_client_shows_the_secret_once() {
    let app = start().await;
    let post = reqwest::Method::POST;

    let (status, body) = call(&app, post, "/admin/clients", Some(app1())).await;
    assert_eq!(status, 201, "{body}");
    let secret = body["client_secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("fds_") && secret.len() >= 40, "{secret}");
    assert_eq!(body["client_id"], "app1");
    assert_eq!(body["is_public"], false);
    assert_eq!(body["allowed_scopes"], "openid profile");
    assert_eq!(
        body["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(body["id_token_alg"], "RS256");

    // Never again: not in the client, not in the list.
    let (status, one) = call(&app, reqwest::Method::GET, "/admin/clients/app1", None).await;
    assert_eq!(status, 200);
    assert!(one.get("client_secret").is_none(), "{one}");
    assert!(!one.to_string().contains(&secret));
    let (status, list) = call(&app, reqwest::Method::GET, "/admin/clients", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);
    assert!(!list.to_string().contains(&secret));
    assert!(!list.to_string().contains("secret"), "{list}");

    // The secret authenticates the client; nothing else does, and all failures look alike.
    let client = app
        .core
        .authenticate_client("app1", &secret)
        .await
        .expect("authenticated");
    assert_eq!(client.client_id, "app1");
    for (id, wrong) in [
        ("app1", "fds_wrong"),
        ("nobody", secret.as_str()),
        ("app1", ""),
    ] {
        let err = app
            .core
            .authenticate_client(id, wrong)
            .await
            .expect_err("refused");
        assert_eq!(err.to_string(), "invalid client credentials");
    }
}

#[tokio::test]
async fn create_public_client_has_no_secret_and_no_client_credentials() {
    let app = start().await;
    let post = reqwest::Method::POST;
    let native = json!({
        "client_id": "native-app",
        "name": "Native",
        "is_public": true,
        "redirect_uris": ["http://127.0.0.1/callback"],
    });

    let (status, body) = call(&app, post.clone(), "/admin/clients", Some(native)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["is_public"], true);
    assert!(body.get("client_secret").is_none(), "{body}");
    let err = app.core.authenticate_client("native-app", "").await;
    assert!(
        err.is_err(),
        "a public client has no secret to authenticate with"
    );

    let bad = json!({
        "client_id": "native2", "name": "Native", "is_public": true,
        "grant_types": ["client_credentials"],
    });
    let (status, body) = call(&app, post, "/admin/clients", Some(bad)).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "a public client cannot use client_credentials"
    );
}

#[tokio::test]
async fn admin_api_refuses_missing_and_wrong_tokens() {
    let app = start().await;

    for token in [None, Some("wrong-token"), Some("")] {
        for (method, path) in [
            (reqwest::Method::GET, "/admin/clients"),
            (reqwest::Method::POST, "/admin/clients"),
            (reqwest::Method::GET, "/admin/clients/app1"),
            (reqwest::Method::DELETE, "/admin/clients/app1"),
        ] {
            let (status, body) = admin(&app, method, path, token, Some(app1())).await;
            assert_eq!(status, 401, "{path} with {token:?}");
            assert_eq!(body, json!({"message": "A valid admin token is required"}));
        }
    }
    assert!(app.core.list_clients().await.expect("list").is_empty());
}

#[tokio::test]
async fn admin_api_does_not_exist_without_a_configured_token() {
    let app = TestApp::start().await;
    let (status, body) = call(&app, reqwest::Method::GET, "/admin/clients", None).await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"message": "Not found"}));
}

#[tokio::test]
async fn create_client_refuses_bad_redirect_uris() {
    let app = start().await;

    // B01's list of redirect URIs that must never match `https://app1.example/cb`: those that
    // are not registrable at all are refused here already.
    for uri in [
        "https://app1.example/cb#frag",
        "http://app1.example/cb",
        "http://localhost:53123/cb",
        "app1.example/cb",
        "https://app1.example/c b",
        "https://user:pw@app1.example/cb",
    ] {
        let body = json!({"client_id": "app1", "name": "App", "redirect_uris": [uri]});
        let (status, answer) =
            call(&app, reqwest::Method::POST, "/admin/clients", Some(body)).await;
        assert_eq!(status, 400, "{uri}: {answer}");
        assert!(
            answer["message"]
                .as_str()
                .expect("message")
                .contains("redirect URI"),
            "{answer}"
        );
    }

    // The others are registrable in their own right; registering them does not make them
    // match each other (that is exact matching, in core::oauth::redirect).
    for uri in [
        "https://app1.example/CB",
        "https://app1.example/cb/",
        "https://app1.example/cb?x=1",
        "http://127.0.0.1:53123/cb?x=1",
    ] {
        let body = json!({"client_id": "b01", "name": "B01", "redirect_uris": [uri]});
        let (status, answer) =
            call(&app, reqwest::Method::POST, "/admin/clients", Some(body)).await;
        assert_eq!(status, 201, "{uri}: {answer}");
        assert_eq!(answer["redirect_uris"], json!([uri]));
        let (status, _) = call(&app, reqwest::Method::DELETE, "/admin/clients/b01", None).await;
        assert_eq!(status, 204);
    }

    // A code-flow client needs a redirect URI; unknown fields are named.
    let body = json!({"client_id": "app1", "name": "App"});
    let (status, answer) = call(&app, reqwest::Method::POST, "/admin/clients", Some(body)).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "the authorization_code grant needs at least one redirect URI"
    );
    let body = json!({"client_id": "app1", "name": "App", "redirect_uri": "https://a.example/"});
    let (status, answer) = call(&app, reqwest::Method::POST, "/admin/clients", Some(body)).await;
    assert_eq!(status, 400);
    assert!(
        answer["message"]
            .as_str()
            .expect("message")
            .contains("redirect_uri"),
        "{answer}"
    );
}

#[tokio::test]
async fn duplicate_client_id_is_a_conflict() {
    let app = start().await;
    let post = reqwest::Method::POST;

    let (status, _) = call(&app, post.clone(), "/admin/clients", Some(app1())).await;
    assert_eq!(status, 201);
    let (status, body) = call(&app, post, "/admin/clients", Some(app1())).await;
    assert_eq!(status, 409);
    assert_eq!(
        body,
        json!({"message": "A client with this client_id exists"})
    );
}

#[tokio::test]
async fn update_changes_given_fields_and_rotates_the_secret() {
    let app = start().await;
    let (_, created) = call(&app, reqwest::Method::POST, "/admin/clients", Some(app1())).await;
    let old = created["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();

    let change = json!({"name": "App 1", "access_token_ttl_secs": 600, "is_first_party": true});
    let (status, body) = call(
        &app,
        reqwest::Method::PATCH,
        "/admin/clients/app1",
        Some(change),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "App 1");
    assert_eq!(body["access_token_ttl_secs"], 600);
    assert_eq!(body["is_first_party"], true);
    assert_eq!(body["redirect_uris"], created["redirect_uris"], "unchanged");
    assert!(body.get("client_secret").is_none());

    let change = json!({"access_token_ttl_secs": null, "rotate_secret": true});
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        "/admin/clients/app1",
        Some(change),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["access_token_ttl_secs"], Value::Null);
    let new = body["client_secret"].as_str().expect("new secret");
    assert!(app.core.authenticate_client("app1", new).await.is_ok());
    assert!(app.core.authenticate_client("app1", &old).await.is_err());

    let change = json!({"redirect_uris": ["http://app1.example/cb"]});
    let (status, _) = call(
        &app,
        reqwest::Method::PATCH,
        "/admin/clients/app1",
        Some(change),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(
        &app,
        reqwest::Method::PATCH,
        "/admin/clients/nobody",
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn delete_then_the_client_is_not_found() {
    let app = start().await;
    call(&app, reqwest::Method::POST, "/admin/clients", Some(app1())).await;

    let (status, body) = call(&app, reqwest::Method::DELETE, "/admin/clients/app1", None).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, body) = call(&app, reqwest::Method::GET, "/admin/clients/app1", None).await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"message": "Client not found"}));
    let (status, _) = call(&app, reqwest::Method::DELETE, "/admin/clients/app1", None).await;
    assert_eq!(status, 404);
}
