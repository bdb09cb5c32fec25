//! Helpers shared by the black-box auth tests: raw requests the harness has no shortcut for,
//! cookie reading, and decoding (never verifying) the parts of a JWT.

#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::Response;
use serde_json::Value;

use crate::common::TestApp;

/// POST a raw body with the given content type (or none).
pub async fn post_raw(
    app: &TestApp,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Response {
    let mut req = app.client.post(app.url(path)).body(body);
    if let Some(ct) = content_type {
        req = req.header(CONTENT_TYPE, ct);
    }
    req.send().await.expect("request")
}

/// POST an `application/x-www-form-urlencoded` body.
pub async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
    app.client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .expect("request")
}

/// POST with no body at all.
pub async fn post_empty(app: &TestApp, path: &str) -> Response {
    app.client
        .post(app.url(path))
        .send()
        .await
        .expect("request")
}

/// GET with a `Cookie` header and nothing else.
pub async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> Response {
    app.client
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("request")
}

/// GET with an arbitrary `Authorization` header value.
pub async fn get_with_authorization(app: &TestApp, path: &str, value: &str) -> Response {
    app.client
        .get(app.url(path))
        .header(reqwest::header::AUTHORIZATION, value)
        .send()
        .await
        .expect("request")
}

/// Every `Set-Cookie` header of a response, in order.
pub fn set_cookies(res: &Response) -> Vec<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii cookie").to_owned())
        .collect()
}

/// The `Set-Cookie` header that sets `name`.
pub fn cookie_named(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
        .clone()
}

/// The value part of a `Set-Cookie` header (`name=value; ...` gives `value`).
pub fn cookie_value(set_cookie: &str) -> String {
    let first = set_cookie.split(';').next().expect("pair");
    first.split_once('=').expect("name=value").1.to_owned()
}

/// The attributes of a `Set-Cookie` header, trimmed, without the `name=value` pair.
pub fn cookie_attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_owned())
        .collect()
}

/// Decodes one base64url part of a compact JWS as JSON.
pub fn b64_json(part: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url");
    serde_json::from_slice(&bytes).expect("json")
}

/// Encodes JSON as a base64url JWS part.
pub fn json_b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("json"))
}

/// The decoded header of a compact JWS.
pub fn jwt_header(token: &str) -> Value {
    b64_json(token.split('.').next().expect("header"))
}

/// The decoded payload of a compact JWS.
pub fn jwt_claims(token: &str) -> Value {
    b64_json(token.split('.').nth(1).expect("payload"))
}

/// The three parts of a compact JWS.
pub fn jwt_parts(token: &str) -> (String, String, String) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a compact JWS: {token}");
    (parts[0].into(), parts[1].into(), parts[2].into())
}

/// The successor pair's tokens of a 200 refresh answer.
pub async fn pair_of(res: Response) -> (String, String) {
    assert_eq!(res.status(), 200, "refresh failed");
    let body: Value = res.json().await.expect("json");
    (
        body["accessToken"]
            .as_str()
            .expect("accessToken")
            .to_owned(),
        body["refreshToken"]
            .as_str()
            .expect("refreshToken")
            .to_owned(),
    )
}
