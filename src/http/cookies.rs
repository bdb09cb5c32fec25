//! The `accessToken` and `refreshToken` cookies: HttpOnly, Path=/, SameSite=Lax. The `Secure`
//! attribute is added to every cookie in one place, [`super::mark_cookies_secure`], unless the
//! server runs on plain http.

use axum::http::HeaderValue;

/// Builds a `Set-Cookie` value for a token that lives `max_age_secs` from `now_ms`.
pub fn token_cookie(name: &str, value: &str, max_age_secs: i64, now_ms: i64) -> HeaderValue {
    let expires_at = std::time::UNIX_EPOCH
        + std::time::Duration::from_millis(
            u64::try_from(now_ms + max_age_secs * 1000).unwrap_or(0),
        );
    let cookie = format!(
        "{name}={value}; Max-Age={max_age_secs}; Path=/; Expires={}; HttpOnly; SameSite=Lax",
        httpdate::fmt_http_date(expires_at)
    );
    // Token values are base64url and dots; the rest is ASCII we wrote ourselves.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that deletes the access-token cookie.
pub fn clearing_access() -> HeaderValue {
    let [access, _] = clearing();
    access
}

/// Two `Set-Cookie` values that delete both token cookies.
pub fn clearing() -> [HeaderValue; 2] {
    [
        HeaderValue::from_static(
            "accessToken=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax",
        ),
        HeaderValue::from_static(
            "refreshToken=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax",
        ),
    ]
}

/// The value of cookie `name` in a `Cookie` header, if present.
pub fn find<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_carry_the_required_attributes() {
        let c = token_cookie("accessToken", "abc", 3600, 0);
        let text = c.to_str().expect("ascii");
        assert!(text.starts_with("accessToken=abc; Max-Age=3600; Path=/;"));
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Lax"));
    }

    #[test]
    fn finds_a_cookie_among_others() {
        assert_eq!(
            find("a=1; accessToken=xyz; b=2", "accessToken"),
            Some("xyz")
        );
        assert_eq!(find("a=1", "accessToken"), None);
    }
}
