//! The shape of access tokens (RFC 9068) and the published JWKS: header `typ` `at+jwt`, an
//! asymmetric algorithm, a `kid` found in `/.well-known/jwks.json`, and the claims issue 2 lists.

mod common;
mod support;

use common::{json_of, TestApp, ALICE_PASSWORD};
use serde_json::Value;
use support::{jwt_claims, jwt_header};

async fn jwks(app: &TestApp) -> Value {
    let res = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    json_of(res).await
}

#[tokio::test]
async fn access_token_header_is_at_jwt_eddsa_with_a_published_kid() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let header = jwt_header(&tokens.access);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "EdDSA");
    let kid = header["kid"].as_str().expect("kid");
    let set = jwks(&app).await;
    let key = set["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == kid)
        .expect("the token's kid is published");
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
}

#[tokio::test]
async fn access_token_es256_when_configured() {
    let app = TestApp::start_with(|raw| raw.signing_alg = "ES256".into()).await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let header = jwt_header(&tokens.access);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(
        app.get_bearer("/auth/me", &tokens.access).await.status(),
        200
    );
    let set = jwks(&app).await;
    assert!(set["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .any(|k| k["kid"] == header["kid"] && k["kty"] == "EC" && k["alg"] == "ES256"));
}

#[tokio::test]
async fn access_token_carries_the_rfc_9068_and_profile_claims() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let claims = jwt_claims(&tokens.access);
    let alice = app.core.find_account("alice").await.expect("alice");

    assert_eq!(claims["iss"], "http://frontdesk.test");
    assert_eq!(claims["aud"], "http://frontdesk.test");
    assert_eq!(claims["sub"], alice.id.to_string());
    assert_eq!(claims["client_id"], "frontdesk");
    for name in ["jti", "sid"] {
        assert!(
            !claims[name].as_str().expect(name).is_empty(),
            "{name} is empty"
        );
    }
    let iat = claims["iat"].as_i64().expect("iat");
    assert_eq!(iat, frontdesk::core::Clock::now_ms(&app.clock) / 1000);
    assert_eq!(claims["exp"].as_i64().expect("exp"), iat + 3600);

    assert_eq!(claims["id"], alice.id);
    assert_eq!(claims["username"], "alice");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["firstName"], "alice-first");
    assert_eq!(claims["lastName"], "alice-last");
    assert_eq!(claims["gender"], "female");
    assert!(claims["image"].is_string());
    assert!(claims.get("password").is_none());
}

#[tokio::test]
async fn access_tokens_have_unique_jtis() {
    let app = TestApp::start().await;
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let refreshed = app.refresh(&tokens.refresh).await;
    let (access2, _) = support::pair_of(refreshed).await;
    let (a, b) = (jwt_claims(&tokens.access), jwt_claims(&access2));
    assert_ne!(a["jti"], b["jti"]);
    assert_eq!(a["sid"], b["sid"], "a refresh stays in the same session");
}

#[tokio::test]
async fn jwks_keys_have_kty_kid_use_sig_and_alg_and_nothing_private() {
    let app = TestApp::start().await;
    let res = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("application/json"));
    let set = json_of(res).await;
    let keys = set["keys"].as_array().expect("keys");
    assert!(!keys.is_empty());
    for key in keys {
        for field in ["kty", "kid", "alg"] {
            assert!(key[field].is_string(), "{field} missing in {key}");
        }
        assert_eq!(key["use"], "sig", "{key}");
        assert_ne!(key["kty"], "oct", "a symmetric key is published: {key}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "{private} published in {key}");
        }
    }
}
