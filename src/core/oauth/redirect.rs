//! Redirect URIs: what may be registered, and when a requested URI matches a registered one.
//!
//! Matching is simple string comparison (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3): no case folding,
//! no normalisation, no prefix or wildcard matching. The one exception is the port of a loopback
//! IP literal (`127.0.0.1` or `[::1]`, not `localhost`) over plain http, which native apps pick
//! at run time (RFC 8252 §7.3): everything else, path and query included, must still be
//! identical.

use url::{Host, Url};

/// The longest redirect URI accepted, in bytes.
pub const MAX_REDIRECT_URI_BYTES: usize = 2048;

/// Why a redirect URI cannot be registered.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    #[error("the redirect URI is not an absolute URL")]
    NotAbsolute,
    #[error("the redirect URI must not contain a fragment")]
    Fragment,
    #[error("the redirect URI must use https, or http on a loopback IP address")]
    InsecureScheme,
    #[error("the redirect URI must not contain user information")]
    UserInfo,
    #[error("the redirect URI is too long")]
    TooLong,
}

/// Checks a redirect URI for registration.
pub fn check_registrable(uri: &str) -> Result<(), RedirectUriError> {
    if uri.len() > MAX_REDIRECT_URI_BYTES {
        return Err(RedirectUriError::TooLong);
    }

    // A fragment is refused on the raw text: the parser would accept an empty one.
    if uri.contains('#') {
        return Err(RedirectUriError::Fragment);
    }

    let url = Url::parse(uri).map_err(|_| RedirectUriError::NotAbsolute)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RedirectUriError::UserInfo);
    }

    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback_ip(&url) => Ok(()),
        _ => Err(RedirectUriError::InsecureScheme),
    }
}

/// True when `requested` matches `registered`: byte for byte, or differing only in the port of
/// an http loopback IP literal.
pub fn matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }

    let (Ok(reg), Ok(req)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    if reg.scheme() != "http" || !is_loopback_ip(&reg) || !is_loopback_ip(&req) {
        return false;
    }

    // Compare the raw texts with the port taken out of each, so that no normalisation the
    // parser performs can make two different strings equal.
    match (
        without_port(registered, &reg),
        without_port(requested, &req),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn is_loopback_ip(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback() && url.host_str() == Some("127.0.0.1"),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    }
}

/// The raw URI text with `:port` removed after the host, if the URI has the expected
/// `http://host[:port]` prefix.
fn without_port(raw: &str, parsed: &Url) -> Option<String> {
    let host = parsed.host_str()?;
    let rest = raw.strip_prefix("http://")?.strip_prefix(host)?;
    let rest = match rest.strip_prefix(':') {
        Some(after_colon) => after_colon.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => rest,
    };
    Some(format!("http://{host}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "https://app1.example/cb";
    const LOOPBACK: &str = "http://127.0.0.1/cb";

    #[test]
    fn exact_match_only_for_ordinary_uris() {
        assert!(matches(APP, APP));
        for bad in [
            "https://app1.example/CB",
            "https://app1.example/cb/",
            "https://app1.example/cb?x=1",
            "https://app1.example/cb#frag",
            "http://app1.example/cb",
            "https://APP1.example/cb",
            "https://app1.example:443/cb",
            "https://app1.example/cb%2F",
        ] {
            assert!(!matches(APP, bad), "{bad}");
        }
    }

    #[test]
    fn loopback_ip_port_may_vary_nothing_else() {
        assert!(matches(LOOPBACK, "http://127.0.0.1:53123/cb"));
        assert!(matches(
            "http://127.0.0.1:8000/cb",
            "http://127.0.0.1:53123/cb"
        ));
        assert!(matches("http://[::1]/cb", "http://[::1]:4000/cb"));
        for bad in [
            "http://127.0.0.1:53123/cb?x=1",
            "http://127.0.0.1:53123/cbx",
            "http://127.0.0.1:53123/CB",
            "http://localhost:53123/cb",
            "https://127.0.0.1:53123/cb",
            "http://127.0.0.2:53123/cb",
            "http://127.0.0.1:53123/cb#x",
        ] {
            assert!(!matches(LOOPBACK, bad), "{bad}");
        }
        assert!(!matches("http://localhost/cb", "http://localhost:1234/cb"));
    }

    #[test]
    fn registration_rules() {
        assert_eq!(check_registrable(APP), Ok(()));
        assert_eq!(check_registrable(LOOPBACK), Ok(()));
        assert_eq!(check_registrable("http://[::1]:8080/cb"), Ok(()));
        assert_eq!(
            check_registrable("https://a.example/cb#x"),
            Err(RedirectUriError::Fragment)
        );
        assert_eq!(
            check_registrable("https://a.example/cb#"),
            Err(RedirectUriError::Fragment)
        );
        assert_eq!(
            check_registrable("http://a.example/cb"),
            Err(RedirectUriError::InsecureScheme)
        );
        assert_eq!(
            check_registrable("http://localhost/cb"),
            Err(RedirectUriError::InsecureScheme)
        );
        assert_eq!(
            check_registrable("/relative"),
            Err(RedirectUriError::NotAbsolute)
        );
        assert_eq!(
            check_registrable("https://u:p@a.example/"),
            Err(RedirectUriError::UserInfo)
        );
        assert_eq!(
            check_registrable("javascript:alert(1)"),
            Err(RedirectUriError::InsecureScheme)
        );
    }
}
