//! Case B07: verification never trusts the token header. `alg: none` in any case, HMAC keyed
//! with our public key or JWKS, a stripped signature, another key reusing our `kid`, odd `kid`s,
//! and `jku`/`jwk`/`x5u` headers are all 401 "Invalid/Expired Token!", never a 500; the JWKS
//! publishes no symmetric or private material. (Steps h and j need `/oauth/*`.)

mod common;
mod support;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use common::{json_of, TestApp, ALICE_PASSWORD};
use hmac::{Hmac, Mac};
use reqwest::header::WWW_AUTHENTICATE;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use support::{json_b64, jwt_header, jwt_parts};

/// Alice's genuine token, split, with our kid and the JWKS as served.
struct Genuine {
    token: String,
    header: String,
    payload: String,
    signature: String,
    kid: String,
    jwks_text: String,
    x: Vec<u8>,
}

async fn genuine(app: &TestApp) -> Genuine {
    let tokens = app.login("alice", ALICE_PASSWORD).await;
    let (header, payload, signature) = jwt_parts(&tokens.access);
    let kid = jwt_header(&tokens.access)["kid"]
        .as_str()
        .expect("kid")
        .to_owned();
    let jwks_text = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    let jwks: Value = serde_json::from_str(&jwks_text).expect("json");
    let jwk = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("our key");
    let x = URL_SAFE_NO_PAD
        .decode(jwk["x"].as_str().expect("x"))
        .expect("b64");
    Genuine {
        token: tokens.access,
        header,
        payload,
        signature,
        kid,
        jwks_text,
        x,
    }
}

/// Asserts the RFC 6750 rejection: 401, the invalid_token challenge, the DummyJSON message.
async fn assert_rejected(app: &TestApp, token: &str, label: &str) {
    let res = app.get_bearer("/auth/me", token).await;
    assert_eq!(res.status(), 401, "{label}");
    let challenge = res
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    assert!(challenge.contains("error=\"invalid_token\""), "{label}");
    assert_eq!(
        json_of(res).await,
        json!({"message": "Invalid/Expired Token!"}),
        "{label}"
    );
}

fn hmac_sign(alg: &str, secret: &[u8], input: &str) -> String {
    let bytes = match alg {
        "HS256" => {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("key");
            mac.update(input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        "HS384" => {
            let mut mac = Hmac::<sha2::Sha384>::new_from_slice(secret).expect("key");
            mac.update(input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        _ => {
            let mut mac = Hmac::<sha2::Sha512>::new_from_slice(secret).expect("key");
            mac.update(input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
    };
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An Ed25519 key that is not ours.
fn attacker_ed25519() -> Ed25519KeyPair {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("generate");
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("parse")
}

fn ed25519_token(key: &Ed25519KeyPair, header: &Value, payload: &str) -> String {
    let input = format!("{}.{payload}", json_b64(header));
    let sig = URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).as_ref());
    format!("{input}.{sig}")
}

#[tokio::test]
async fn b07_genuine_token_is_accepted_as_the_control() {
    let app = TestApp::start().await;
    let g = genuine(&app).await;
    assert_eq!(app.get_bearer("/auth/me", &g.token).await.status(), 200);
}

#[tokio::test]
async fn b07_alg_none_in_any_case_is_401() {
    let app = TestApp::start().await;
    let g = genuine(&app).await;
    for alg in ["none", "None", "NONE", "nOnE", ""] {
        for header in [
            json!({"alg": alg, "typ": "JWT"}),
            json!({"alg": alg, "typ": "at+jwt", "kid": g.kid}),
        ] {
            let h = json_b64(&header);
            for sig in ["", g.signature.as_str()] {
                let token = format!("{h}.{}.{sig}", g.payload);
                assert_rejected(&app, &token, &format!("{header} sig={}", !sig.is_empty())).await;
            }
        }
    }
    // The known DummyJSON-style literal header too.
    let token = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", g.payload);
    assert_rejected(&app, &token, "literal none header").await;
}

#[tokio::test]
async fn b07_hmac_signed_with_our_public_key_or_jwks_is_401() {
    let app = TestApp::start().await;
    let g = genuine(&app).await;
    let spki = [
        &[
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ][..],
        &g.x,
    ]
    .concat();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(&spki)
    );
    let jwks: Value = serde_json::from_str(&g.jwks_text).expect("json");
    let jwk_text = jwks["keys"][0].to_string();
    let x_text = URL_SAFE_NO_PAD.encode(&g.x);
    let secrets: Vec<(&str, Vec<u8>)> = vec![
        ("pem", pem.into_bytes()),
        ("spki der", spki),
        ("raw x", g.x.clone()),
        ("x text", x_text.into_bytes()),
        ("jwks text", g.jwks_text.clone().into_bytes()),
        ("jwk text", jwk_text.into_bytes()),
    ];
    for alg in ["HS256", "HS384", "HS512"] {
        for typ in ["JWT", "at+jwt"] {
            let h = json_b64(&json!({"alg": alg, "typ": typ, "kid": g.kid}));
            let input = format!("{h}.{}", g.payload);
            for (name, secret) in &secrets {
                let token = format!("{input}.{}", hmac_sign(alg, secret, &input));
                assert_rejected(&app, &token, &format!("{alg} {typ} keyed with {name}")).await;
            }
        }
    }
}

#[tokio::test]
async fn b07_stripped_or_truncated_signature_is_401() {
    let app = TestApp::start().await;
    let g = genuine(&app).await;
    let half = &g.signature[..g.signature.len() / 2];
    for token in [
        format!("{}.{}.", g.header, g.payload),
        format!("{}.{}", g.header, g.payload),
        format!("{}.{}.{half}", g.header, g.payload),
        format!("{}.{}.{}=", g.header, g.payload, g.signature),
        format!(
            "{}.{}.{}",
            g.header,
            g.payload,
            "A".repeat(g.signature.len())
        ),
    ] {
        assert_rejected(&app, &token, &token).await;
    }
}

#[tokio::test]
async fn b07_another_key_reusing_our_kid_is_401() {
    let app = TestApp::start().await;
    let g = genuine(&app).await;

    // Ed25519 with a key of the attacker's, claiming our kid.
    let ed = attacker_ed25519();
    let header = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": g.kid});
    assert_rejected(
        &app,
        &ed25519_token(&ed, &header, &g.payload),
        "EdDSA other key",
    )
    .await;

    // ES256 with a P-256 key of the attacker's, claiming our kid.
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("gen");
    let ec = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .expect("parse");
    let input = format!(
        "{}.{}",
        json_b64(&json!({"alg": "ES256", "typ": "at+jwt", "kid": g.kid})),
        g.payload
    );
    let sig = URL_SAFE_NO_PAD.encode(ec.sign(&rng, input.as_bytes()).expect("sign").as_ref());
    assert_rejected(&app, &format!("{input}.{sig}"), "ES256 other key").await;

    // RS256 (an algorithm we never use) with a signature-sized blob.
    for alg in ["RS256", "PS256", "ES384", "EdDSA "] {
        let input = format!(
            "{}.{}",
            json_b64(&json!({"alg": alg, "typ": "at+jwt", "kid": g.kid})),
            g.payload
        );
        let sig = URL_SAFE_NO_PAD.encode([7u8; 256]);
        assert_rejected(&app, &format!("{input}.{sig}"), alg).await;
    }
}

#[tokio::test]
async fn b07_unknown_and_odd_kids_are_401() {
    let app = TestApp::start().await;
    let g = genuine(&app).await;
    let long = "k".repeat(10_000);
    let kids = [
        json!("does-not-exist"),
        json!("../../../../dev/null"),
        json!("' OR '1'='1"),
        json!(1e308),
        json!(null),
        json!(""),
        json!(["x"]),
        json!({"kid": g.kid}),
        json!(long),
        json!(format!("{} ", g.kid)),
        json!(g.kid.to_uppercase()),
    ];
    for kid in kids {
        let header = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": kid});
        let token = format!("{}.{}.{}", json_b64(&header), g.payload, g.signature);
        let label: String = kid.to_string().chars().take(40).collect();
        assert_rejected(&app, &token, &label).await;
    }
    // No kid at all.
    let header = json!({"alg": "EdDSA", "typ": "at+jwt"});
    let token = format!("{}.{}.{}", json_b64(&header), g.payload, g.signature);
    assert_rejected(&app, &token, "no kid").await;
}

#[tokio::test]
async fn b07_jku_jwk_and_x5u_headers_are_401_and_never_fetched() {
    let app = TestApp::start().await;
    let g = genuine(&app).await;

    // A listener standing in for attacker.example: nothing may ever connect to it.
    let trap = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    trap.set_nonblocking(true).expect("nonblocking");
    let trap_url = format!("http://{}/jwks.json", trap.local_addr().expect("addr"));

    let ed = attacker_ed25519();
    let attacker_jwk = json!({
        "kty": "OKP", "crv": "Ed25519", "kid": "attacker-1", "use": "sig", "alg": "EdDSA",
        "x": URL_SAFE_NO_PAD.encode(ed.public_key().as_ref()),
    });
    let headers = [
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "attacker-1", "jku": trap_url}),
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": g.kid, "jku": trap_url}),
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "attacker-1",
               "jku": "https://attacker.example/jwks.json"}),
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "attacker-1", "jwk": attacker_jwk}),
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": g.kid, "jwk": attacker_jwk}),
        json!({"alg": "EdDSA", "typ": "at+jwt", "jwk": attacker_jwk}),
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "attacker-1", "x5u": trap_url}),
    ];
    for header in headers {
        let token = ed25519_token(&ed, &header, &g.payload);
        assert_rejected(&app, &token, &header.to_string()).await;
    }

    // The server verifies before it answers, so a fetch would already be queued.
    match trap.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Err(e) => panic!("trap listener failed: {e}"),
        Ok((_, peer)) => panic!("the server fetched a key URL from a token header ({peer})"),
    }
}

#[tokio::test]
async fn b07_our_own_signature_over_wrong_issuer_audience_or_owner_is_401() {
    let app = TestApp::start().await;
    let g = genuine(&app).await;
    let claims = support::b64_json(&g.payload);
    let bob = app.core.find_account("bob").await.expect("bob");
    let now = frontdesk::core::Clock::now_ms(&app.clock);
    let ring = app.core.keys.ring();

    let mut variants = Vec::new();
    for (field, value) in [
        ("iss", json!("http://evil.test")),
        ("aud", json!("http://evil.test")),
        ("aud", json!(["http://frontdesk.test"])),
        ("sub", json!(bob.id.to_string())),
        ("sid", json!("no-such-session")),
        ("exp", json!("soon")),
    ] {
        let mut c = claims.clone();
        c[field] = value;
        variants.push((format!("{field} changed"), c));
    }
    for field in ["iss", "aud", "sub", "sid", "exp"] {
        let mut c = claims.clone();
        c.as_object_mut().expect("object").remove(field);
        variants.push((format!("{field} missing"), c));
    }
    // Control: the same path with unchanged claims verifies.
    let control = ring.sign(now, "at+jwt", &claims).expect("sign");
    assert_eq!(app.get_bearer("/auth/me", &control).await.status(), 200);
    for (label, c) in variants {
        let token = ring.sign(now, "at+jwt", &c).expect("sign");
        assert_rejected(&app, &token, &label).await;
    }
}

#[tokio::test]
async fn b07_forged_tokens_cannot_log_anyone_out() {
    let app = TestApp::start().await;
    let g = genuine(&app).await;
    let none = format!(
        "{}.{}.",
        json_b64(&json!({"alg": "none", "typ": "at+jwt", "kid": g.kid})),
        g.payload
    );
    let res = app
        .client
        .post(app.url("/auth/logout"))
        .bearer_auth(&none)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 401);
    assert_eq!(app.get_bearer("/auth/me", &g.token).await.status(), 200);
}

#[tokio::test]
async fn b07_jwks_has_no_symmetric_or_private_keys() {
    let app = TestApp::start().await;
    let g = genuine(&app).await;
    let jwks: Value = serde_json::from_str(&g.jwks_text).expect("json");
    for key in jwks["keys"].as_array().expect("keys") {
        assert!(key["kty"].is_string() && key["kid"].is_string() && key["alg"].is_string());
        assert_eq!(key["use"], "sig");
        assert_ne!(key["kty"], "oct");
        assert!(!key["alg"].as_str().expect("alg").starts_with("HS"));
        assert!(key.get("d").is_none() && key.get("k").is_none());
    }
}
