//! OAuth 2.0 and OpenID Connect protocol rules that need no storage: redirect URI matching,
//! PKCE, and scope syntax. The authorization server builds on these.

pub mod pkce;
pub mod redirect;
pub mod registration;
pub mod scope;
