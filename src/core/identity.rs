//! What makes a username, an email address and a password acceptable, and how identifiers are
//! compared: NFKC normalisation, then Unicode case folding, then NFKC again (the NFKC_Casefold
//! recipe), so `EmilyS`, `emilys` and their full-width forms are one account.

use unicode_normalization::UnicodeNormalization;

use crate::crypto::password::MAX_PASSWORD_BYTES;

/// The longest username, in characters.
pub const MAX_USERNAME_CHARS: usize = 64;
/// The longest email address, in bytes (RFC 5321 §4.5.3.1.3 path limit).
pub const MAX_EMAIL_BYTES: usize = 254;
/// The shortest password accepted when one is set.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest identifier a login may carry; anything longer cannot name an account.
pub const MAX_LOGIN_IDENTIFIER_BYTES: usize = 320;

/// The comparison key of a username or an email address.
pub fn login_key(identifier: &str) -> String {
    let folded = caseless::default_case_fold_str(&identifier.nfkc().collect::<String>());
    folded.nfkc().collect()
}

/// Why a proposed username, email or password was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error(
        "a username must be 1 to {MAX_USERNAME_CHARS} letters, digits, '.', '_' or '-', \
         and not digits only"
    )]
    Username,
    #[error("the role must be 'user' or 'admin'")]
    Role,
    #[error("the email address is not valid")]
    Email,
    #[error("a password must be {MIN_PASSWORD_CHARS} characters to {MAX_PASSWORD_BYTES} bytes")]
    Password,
}

/// Checks a username: letters and digits of any script, plus `.`, `_` and `-`, no `@` (so it can
/// never be confused with an email address), and not digits only (so it can never be confused
/// with a user id).
pub fn check_username(username: &str) -> Result<(), IdentityError> {
    let chars = username.chars().count();
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-');
    let is_all_digits = username.chars().all(|c| c.is_ascii_digit());
    if chars == 0 || chars > MAX_USERNAME_CHARS || !username.chars().all(allowed) || is_all_digits {
        return Err(IdentityError::Username);
    }
    Ok(())
}

/// The form a new username is stored in: NFC, so that a name typed with combining marks is
/// checked and shown like its precomposed twin.
pub fn stored_username(username: &str) -> String {
    username.nfc().collect()
}

/// Checks a role name.
pub fn check_role(role: &str) -> Result<(), IdentityError> {
    match role {
        "user" | "admin" => Ok(()),
        _ => Err(IdentityError::Role),
    }
}

/// Checks an email address loosely: one `@`, something on each side, a dot in the domain, no
/// spaces or control characters. Deliverability is the mail server's business.
pub fn check_email(email: &str) -> Result<(), IdentityError> {
    let ok = email.len() <= MAX_EMAIL_BYTES
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(())
    } else {
        Err(IdentityError::Email)
    }
}

/// Checks a new password's length; every byte counts and nothing is truncated.
pub fn check_new_password(password: &str) -> Result<(), IdentityError> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(IdentityError::Password);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_keys_ignore_case_and_compatibility_forms() {
        assert_eq!(login_key("EmilyS"), "emilys");
        assert_eq!(login_key("ＥＭＩＬＹＳ"), "emilys");
        assert_eq!(login_key("Straße"), login_key("STRASSE"));
        assert_ne!(login_key(" emilys"), login_key("emilys"));
    }

    #[test]
    fn usernames_and_emails_are_checked() {
        assert!(check_username("emily.s-1_x").is_ok());
        assert!(check_username("").is_err());
        assert!(check_username("a@b").is_err());
        assert!(check_username("has space").is_err());
        assert!(check_username(&"a".repeat(65)).is_err());
        assert!(check_username("12345").is_err());
        assert!(check_username("1a").is_ok());
        assert!(check_username(&stored_username("jose\u{301}")).is_ok());
        assert!(check_email("emily.johnson@x.dummyjson.com").is_ok());
        assert!(check_email("no-at-sign").is_err());
        assert!(check_email("a@b@c.d").is_err());
        assert!(check_email("a@nodot").is_err());
    }

    #[test]
    fn passwords_are_measured_in_bytes_without_truncation() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password(&"é".repeat(40)).is_ok());
        assert!(check_new_password(&"x".repeat(MAX_PASSWORD_BYTES)).is_ok());
        assert!(check_new_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
    }
}
