//! What a client registration may hold: the id, redirect URIs (RFC 6749 §3.1.2, RFC 9700
//! §4.1.3, RFC 8252 §7.3), scopes (RFC 6749 §3.3), grant types and token settings. Pure rules,
//! no storage: [`crate::core::clients`] applies them before anything is written.

use super::redirect::{check_registrable, RedirectUriError};
use super::scope::Scopes;

/// The grant types a client may be allowed.
pub const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];

/// The grant types of a client registered without any.
pub const DEFAULT_GRANT_TYPES: [&str; 2] = ["authorization_code", "refresh_token"];

/// The scopes of a client registered without any.
pub const DEFAULT_SCOPES: &str = "openid profile email";

/// The ID token signing algorithms a client may choose; RS256 is OpenID Connect's default.
pub const ID_TOKEN_ALGS: [&str; 3] = ["RS256", "ES256", "EdDSA"];

/// The most redirect URIs (of either kind) a client may register.
pub const MAX_URIS: usize = 20;

/// The longest client id and name, in characters.
pub const MAX_ID_CHARS: usize = 64;
const MAX_NAME_CHARS: usize = 100;

/// Bounds of a per-client access token lifetime, in seconds (one minute to one day).
pub const ACCESS_TTL_SECS: std::ops::RangeInclusive<i64> = 60..=86_400;

/// Bounds of a per-client refresh token lifetime, in seconds (one minute to a year).
pub const REFRESH_TTL_SECS: std::ops::RangeInclusive<i64> = 60..=31_536_000;

/// Why a registration was refused; each message names the field.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    #[error(
        "client_id must be 2 to 64 characters (letters, digits, '.', '_', '-'), starting with a \
         letter or digit"
    )]
    ClientId,
    #[error("name must be 1 to 100 characters without control characters")]
    Name,
    #[error("redirect URI {uri:?}: {reason}")]
    RedirectUri {
        uri: String,
        reason: RedirectUriError,
    },
    #[error("at most {MAX_URIS} redirect URIs of each kind")]
    TooManyUris,
    #[error("the authorization_code grant needs at least one redirect URI")]
    MissingRedirectUri,
    #[error("allowed_scopes is malformed")]
    Scope,
    #[error("unknown grant type {0:?} (authorization_code, refresh_token or client_credentials)")]
    GrantType(String),
    #[error("at least one grant type is required")]
    NoGrantType,
    #[error("a public client cannot use client_credentials")]
    PublicClientCredentials,
    #[error("{0} is out of range")]
    Lifetime(&'static str),
    #[error("id_token_alg must be RS256, ES256 or EdDSA")]
    IdTokenAlg,
}

/// Checks a client id: short, and safe in URLs, logs and the CLI without quoting.
pub fn check_client_id(id: &str) -> Result<(), RegistrationError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let starts_well = id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if (2..=MAX_ID_CHARS).contains(&id.len()) && starts_well && id.chars().all(allowed) {
        Ok(())
    } else {
        Err(RegistrationError::ClientId)
    }
}

/// Checks the name users see on the consent page.
pub fn check_name(name: &str) -> Result<(), RegistrationError> {
    let count = name.chars().count();
    if (1..=MAX_NAME_CHARS).contains(&count) && !name.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(RegistrationError::Name)
    }
}

/// Checks redirect URIs and returns their stored form: space-separated, duplicates dropped.
pub fn check_redirect_uris(uris: &[String]) -> Result<String, RegistrationError> {
    if uris.len() > MAX_URIS {
        return Err(RegistrationError::TooManyUris);
    }

    let mut kept: Vec<&str> = Vec::new();
    for uri in uris {
        // A space would split the stored list; no valid URI holds one, nor a control character.
        let reason = if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some(RedirectUriError::NotAbsolute)
        } else {
            check_registrable(uri).err()
        };
        if let Some(reason) = reason {
            let uri = uri.chars().take(200).collect();
            return Err(RegistrationError::RedirectUri { uri, reason });
        }

        if !kept.contains(&uri.as_str()) {
            kept.push(uri);
        }
    }
    Ok(kept.join(" "))
}

/// Checks the allowed scopes and returns their canonical (sorted, space-separated) form.
pub fn check_scopes(scopes: &str) -> Result<String, RegistrationError> {
    Scopes::parse(scopes)
        .map(|s| s.canonical())
        .map_err(|_| RegistrationError::Scope)
}

/// Checks the grant types for a public or confidential client and returns their stored form.
pub fn check_grant_types(grants: &[String], is_public: bool) -> Result<String, RegistrationError> {
    let mut kept: Vec<&str> = Vec::new();
    for grant in grants {
        if !GRANT_TYPES.contains(&grant.as_str()) {
            let grant = grant.chars().take(64).collect();
            return Err(RegistrationError::GrantType(grant));
        }
        if !kept.contains(&grant.as_str()) {
            kept.push(grant);
        }
    }

    // A public client cannot authenticate, so it cannot act on its own behalf.
    if kept.is_empty() {
        return Err(RegistrationError::NoGrantType);
    }
    if is_public && kept.contains(&"client_credentials") {
        return Err(RegistrationError::PublicClientCredentials);
    }
    Ok(kept.join(" "))
}

/// Checks an optional lifetime against its bounds; `field` names it in the error.
pub fn check_lifetime(
    secs: Option<i64>,
    bounds: std::ops::RangeInclusive<i64>,
    field: &'static str,
) -> Result<(), RegistrationError> {
    match secs {
        Some(secs) if !bounds.contains(&secs) => Err(RegistrationError::Lifetime(field)),
        _ => Ok(()),
    }
}

/// Checks the ID token algorithm.
pub fn check_id_token_alg(alg: &str) -> Result<(), RegistrationError> {
    if ID_TOKEN_ALGS.contains(&alg) {
        Ok(())
    } else {
        Err(RegistrationError::IdTokenAlg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn client_ids_are_short_url_safe_tokens() {
        for good in ["app1", "my-app.v2", "A_b", "0x"] {
            assert_eq!(check_client_id(good), Ok(()), "{good}");
        }
        let long = "a".repeat(65);
        for bad in [
            "",
            "a",
            "-app",
            ".app",
            "app 1",
            "app/1",
            "app\0",
            "äpp",
            long.as_str(),
        ] {
            assert_eq!(
                check_client_id(bad),
                Err(RegistrationError::ClientId),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_are_short_and_printable() {
        assert_eq!(check_name("Photo Prints"), Ok(()));
        assert_eq!(check_name(""), Err(RegistrationError::Name));
        assert_eq!(check_name("a\nb"), Err(RegistrationError::Name));
        assert_eq!(check_name(&"n".repeat(101)), Err(RegistrationError::Name));
    }

    #[test]
    fn redirect_uris_follow_the_registration_rules_and_are_deduplicated() {
        let uris = strings(&[
            "https://app1.example/cb",
            "http://127.0.0.1/cb",
            "https://app1.example/cb",
        ]);
        assert_eq!(
            check_redirect_uris(&uris),
            Ok("https://app1.example/cb http://127.0.0.1/cb".into())
        );

        let cases = [
            ("https://app1.example/cb#frag", RedirectUriError::Fragment),
            ("http://app1.example/cb", RedirectUriError::InsecureScheme),
            (
                "http://localhost:53123/cb",
                RedirectUriError::InsecureScheme,
            ),
            ("/cb", RedirectUriError::NotAbsolute),
            ("https://app1.example/a b", RedirectUriError::NotAbsolute),
            ("https://user@app1.example/cb", RedirectUriError::UserInfo),
        ];
        for (uri, reason) in cases {
            let err = check_redirect_uris(&strings(&[uri])).expect_err(uri);
            assert_eq!(
                err,
                RegistrationError::RedirectUri {
                    uri: uri.into(),
                    reason
                }
            );
        }

        let many: Vec<String> = (0..21).map(|i| format!("https://a.example/{i}")).collect();
        assert_eq!(
            check_redirect_uris(&many),
            Err(RegistrationError::TooManyUris)
        );
    }

    #[test]
    fn scopes_are_stored_canonically() {
        assert_eq!(
            check_scopes("profile openid openid"),
            Ok("openid profile".into())
        );
        assert_eq!(check_scopes("bad\"scope"), Err(RegistrationError::Scope));
    }

    #[test]
    fn grant_types_are_known_and_public_clients_cannot_use_client_credentials() {
        let grants = strings(&["authorization_code", "refresh_token"]);
        assert_eq!(
            check_grant_types(&grants, true),
            Ok("authorization_code refresh_token".into())
        );
        let cc = strings(&["client_credentials"]);
        assert_eq!(
            check_grant_types(&cc, false),
            Ok("client_credentials".into())
        );
        assert_eq!(
            check_grant_types(&cc, true),
            Err(RegistrationError::PublicClientCredentials)
        );
        assert_eq!(
            check_grant_types(&strings(&["implicit"]), false),
            Err(RegistrationError::GrantType("implicit".into()))
        );
        assert_eq!(
            check_grant_types(&[], false),
            Err(RegistrationError::NoGrantType)
        );
    }

    #[test]
    fn lifetimes_and_algorithms_are_bounded() {
        assert_eq!(check_lifetime(None, ACCESS_TTL_SECS, "x"), Ok(()));
        assert_eq!(check_lifetime(Some(600), ACCESS_TTL_SECS, "x"), Ok(()));
        assert_eq!(
            check_lifetime(Some(0), ACCESS_TTL_SECS, "x"),
            Err(RegistrationError::Lifetime("x"))
        );
        for alg in ID_TOKEN_ALGS {
            assert_eq!(check_id_token_alg(alg), Ok(()));
        }
        assert_eq!(
            check_id_token_alg("none"),
            Err(RegistrationError::IdTokenAlg)
        );
        assert_eq!(
            check_id_token_alg("HS256"),
            Err(RegistrationError::IdTokenAlg)
        );
    }
}
