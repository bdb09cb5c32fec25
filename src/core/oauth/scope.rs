//! Scopes (RFC 6749 §3.3): a space-delimited set of tokens, compared as exact strings.

use std::collections::BTreeSet;

/// The longest scope parameter accepted, in bytes.
pub const MAX_SCOPE_BYTES: usize = 1024;

/// A set of scope tokens, kept in the order they were first given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

/// The scope parameter is malformed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the scope parameter is malformed")]
pub struct ScopeSyntaxError;

impl Scopes {
    /// Parses a scope parameter; repeated tokens count once, runs of spaces are not allowed
    /// to hide empty tokens, and characters outside RFC 6749's scope-token set are refused.
    pub fn parse(text: &str) -> Result<Self, ScopeSyntaxError> {
        if text.len() > MAX_SCOPE_BYTES {
            return Err(ScopeSyntaxError);
        }
        let mut tokens: Vec<String> = Vec::new();
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            if !token.bytes().all(is_scope_char) {
                return Err(ScopeSyntaxError);
            }
            if !tokens.iter().any(|t| t == token) {
                tokens.push(token.to_owned());
            }
        }
        Ok(Self(tokens))
    }

    /// True when no scope was asked for.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// True when every scope of `self` is in `other`.
    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.0.iter().all(|s| other.contains(s))
    }

    /// The scopes of `self` that are also in `other`.
    pub fn intersect(&self, other: &Scopes) -> Scopes {
        Scopes(
            self.0
                .iter()
                .filter(|s| other.contains(s))
                .cloned()
                .collect(),
        )
    }

    /// The tokens, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The sorted, space-separated form, used for storage and comparison.
    pub fn canonical(&self) -> String {
        self.0
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// scope-token characters: %x21 / %x23-5B / %x5D-7E.
fn is_scope_char(b: u8) -> bool {
    b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dedups_and_compares() {
        let s = Scopes::parse("openid read  read write").expect("valid");
        assert_eq!(s.to_string(), "openid read write");
        let granted = Scopes::parse("openid read write offline_access").expect("valid");
        assert!(s.is_subset_of(&granted));
        assert!(!granted.is_subset_of(&s));
        assert_eq!(
            granted
                .intersect(&Scopes::parse("read nosuch").expect("v"))
                .to_string(),
            "read"
        );
        assert_eq!(Scopes::parse("b a").expect("v").canonical(), "a b");
    }

    #[test]
    fn refuses_characters_outside_the_grammar() {
        for bad in ["read\"", "re\\ad", "read\twrite", "réad"] {
            assert_eq!(Scopes::parse(bad), Err(ScopeSyntaxError), "{bad}");
        }
        assert!(Scopes::parse(&"a ".repeat(600)).is_err());
    }
}
