//! JWS signing and verification over the key ring.
//!
//! Verification never trusts the token header (RFC 8725 §2.1, §3.1): the `kid` is only looked up
//! in our own ring, each key is bound to exactly one algorithm, and a header naming another
//! algorithm, `none`, or an unknown key fails. `jku`, `jwk` and `x5u` headers are ignored. The
//! `typ` header must equal the expected type, so an ID token or any other JWT is never taken for
//! an access token (RFC 9068 §4, RFC 8725 §3.11).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::keys::{KeyAlg, MasterKey};
use crate::store::SigningKeyRow;

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// A key of the ring, parsed once.
struct LoadedKey {
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    public_jwk: Value,
    signs_from_ms: i64,
    retired_ms: Option<i64>,
    unpublish_ms: Option<i64>,
}

/// Every key this deployment knows, as one immutable snapshot.
pub struct KeyRing {
    keys: Vec<LoadedKey>,
}

/// Why a token failed verification. Only `Expired` is told apart, and only after the signature
/// has been checked; everything else is one answer.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is malformed, unsigned, or not signed by one of our keys")]
    Invalid,
    #[error("the token has expired")]
    Expired,
}

/// Claims whose expiry the verifier checks against the injected clock.
pub trait Expiring {
    /// Seconds since the epoch after which the token is no longer valid.
    fn exp(&self) -> i64;
}

impl KeyRing {
    /// Opens every stored key with the master key.
    pub fn load(rows: &[SigningKeyRow], master: &MasterKey) -> anyhow::Result<Self> {
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            let alg = KeyAlg::parse(&row.alg)
                .ok_or_else(|| anyhow::anyhow!("key {} has an unknown algorithm", row.kid))?;

            let pkcs8 = master.open(row.kid.as_bytes(), &row.private_key_enc)?;
            let public_jwk: Value = serde_json::from_str(&row.public_jwk)?;

            // The private half signs; the public half, as published, verifies.
            let (alg, encoding, decoding) = parse_pair(alg, &pkcs8, &public_jwk)?;
            keys.push(LoadedKey {
                kid: row.kid.clone(),
                alg,
                encoding,
                decoding,
                public_jwk,
                signs_from_ms: row.signs_from_ms,
                retired_ms: row.retired_ms,
                unpublish_ms: row.unpublish_ms,
            });
        }
        Ok(Self { keys })
    }

    /// True when this ring was loaded from exactly `rows` (same keys, same schedule), so
    /// loading them again would change nothing.
    pub fn is_loaded_from(&self, rows: &[SigningKeyRow]) -> bool {
        self.keys.len() == rows.len()
            && self.keys.iter().zip(rows).all(|(key, row)| {
                key.kid == row.kid
                    && key.signs_from_ms == row.signs_from_ms
                    && key.retired_ms == row.retired_ms
                    && key.unpublish_ms == row.unpublish_ms
            })
    }

    /// True when some key may sign at `now_ms`.
    pub fn can_sign(&self, now_ms: i64) -> bool {
        self.signing_key(now_ms).is_some()
    }

    /// The newest key that has started signing and is not retired.
    fn signing_key(&self, now_ms: i64) -> Option<&LoadedKey> {
        self.keys
            .iter()
            .filter(|k| k.signs_from_ms <= now_ms && k.retired_ms.is_none_or(|r| r > now_ms))
            .max_by_key(|k| k.signs_from_ms)
    }

    /// Signs `claims` with the current key, with header `typ`.
    pub fn sign<T: Serialize>(&self, now_ms: i64, typ: &str, claims: &T) -> anyhow::Result<String> {
        let key = self
            .signing_key(now_ms)
            .ok_or_else(|| anyhow::anyhow!("no signing key is active"))?;

        let mut header = Header::new(key.alg);
        header.typ = Some(typ.to_owned());
        header.kid = Some(key.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &key.encoding)?)
    }

    /// Verifies a compact JWS of type `typ` and returns its claims. The signature is checked
    /// before the expiry, so only a genuine token can learn that it has expired.
    pub fn verify<T: DeserializeOwned + Expiring>(
        &self,
        token: &str,
        typ: &str,
        now_ms: i64,
    ) -> Result<T, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES || token.split('.').count() != 3 {
            return Err(VerifyError::Invalid);
        }

        // The header must name the expected type and a key of ours, with that key's algorithm.
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Invalid)?;
        if !header.typ.as_deref().is_some_and(|t| typ_matches(t, typ)) {
            return Err(VerifyError::Invalid);
        }
        let kid = header.kid.as_deref().ok_or(VerifyError::Invalid)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(VerifyError::Invalid)?;
        if header.alg != key.alg {
            return Err(VerifyError::Invalid);
        }

        // Signature only; claims are checked below against the injected clock.
        let mut validation = Validation::new(key.alg);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<T>(token, &key.decoding, &validation)
            .map_err(|_| VerifyError::Invalid)?;

        if data.claims.exp() * 1000 <= now_ms {
            return Err(VerifyError::Expired);
        }
        Ok(data.claims)
    }

    /// True when the ring holds a key called `kid`.
    pub fn contains(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid == kid)
    }

    /// The number of keys in the ring.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the ring holds no key at all.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The public keys to publish at `now_ms`: every key until its unpublish time, including
    /// keys that will start signing later (published first, so caches have them in time).
    pub fn jwks(&self, now_ms: i64) -> Value {
        let keys: Vec<&Value> = self
            .keys
            .iter()
            .filter(|k| k.unpublish_ms.is_none_or(|u| u > now_ms))
            .map(|k| &k.public_jwk)
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

/// The `kid` a compact JWS names in its header, unverified: only good for deciding whether the
/// ring should be reloaded before verification, never for trusting anything.
pub fn unverified_kid(token: &str) -> Option<String> {
    if token.len() > MAX_TOKEN_BYTES {
        return None;
    }
    jsonwebtoken::decode_header(token).ok()?.kid
}

/// `typ` values compare case-insensitively and may carry the `application/` prefix
/// (RFC 7515 §4.1.9).
fn typ_matches(found: &str, expected: &str) -> bool {
    let found = found.strip_prefix("application/").unwrap_or(found);
    found.eq_ignore_ascii_case(expected)
}

/// Builds the signing and verifying halves of a stored key; the public half comes from its JWK.
fn parse_pair(
    alg: KeyAlg,
    pkcs8: &[u8],
    jwk: &Value,
) -> anyhow::Result<(Algorithm, EncodingKey, DecodingKey)> {
    let field = |name: &str| -> anyhow::Result<Vec<u8>> {
        let text = jwk[name]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("JWK lacks {name}"))?;
        Ok(URL_SAFE_NO_PAD.decode(text)?)
    };

    Ok(match alg {
        KeyAlg::EdDSA => (
            Algorithm::EdDSA,
            EncodingKey::from_ed_der(pkcs8),
            DecodingKey::from_ed_der(&field("x")?),
        ),
        KeyAlg::ES256 => {
            let point = [vec![0x04], field("x")?, field("y")?].concat();
            (
                Algorithm::ES256,
                EncodingKey::from_ec_der(pkcs8),
                DecodingKey::from_ec_der(&point),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::generate;
    use crate::crypto::random::{OsRandom, Random};
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Claims {
        sub: String,
        exp: i64,
    }

    impl Expiring for Claims {
        fn exp(&self) -> i64 {
            self.exp
        }
    }

    fn ring_with(alg: KeyAlg) -> KeyRing {
        let random = OsRandom::default();
        let master = MasterKey::from_base64(&random.token(32)).expect("master");
        let key = generate(alg, &random).expect("generate");
        let row = SigningKeyRow {
            kid: key.kid.clone(),
            alg: alg.name().into(),
            private_key_enc: master
                .seal(&random, key.kid.as_bytes(), &key.pkcs8)
                .expect("seal"),
            public_jwk: key.public_jwk.to_string(),
            created_ms: 0,
            signs_from_ms: 0,
            retired_ms: None,
            unpublish_ms: None,
        };
        KeyRing::load(&[row], &master).expect("load")
    }

    #[test]
    fn signs_and_verifies_with_each_algorithm() {
        for alg in [KeyAlg::EdDSA, KeyAlg::ES256] {
            let ring = ring_with(alg);
            let claims = Claims {
                sub: "1".into(),
                exp: 100,
            };
            let token = ring.sign(0, "at+jwt", &claims).expect("sign");
            let back: Claims = ring.verify(&token, "at+jwt", 99_999).expect("verify");
            assert_eq!(back.sub, "1");
            assert_eq!(
                ring.verify::<Claims>(&token, "at+jwt", 100_000),
                Err(VerifyError::Expired)
            );
            assert_eq!(
                ring.verify::<Claims>(&token, "JWT", 0),
                Err(VerifyError::Invalid)
            );
        }
    }

    #[test]
    fn another_rings_signature_is_invalid() {
        let ours = ring_with(KeyAlg::EdDSA);
        let theirs = ring_with(KeyAlg::EdDSA);
        let token = theirs
            .sign(
                0,
                "at+jwt",
                &Claims {
                    sub: "1".into(),
                    exp: 100,
                },
            )
            .expect("s");
        assert_eq!(
            ours.verify::<Claims>(&token, "at+jwt", 0),
            Err(VerifyError::Invalid)
        );
    }

    #[test]
    fn garbage_is_invalid_not_a_panic() {
        let ring = ring_with(KeyAlg::EdDSA);
        for token in ["", "a.b.c", "a.b.c.d.e", "..", "%%%", &"A".repeat(100_000)] {
            assert_eq!(
                ring.verify::<Claims>(token, "at+jwt", 0),
                Err(VerifyError::Invalid)
            );
        }
    }
}
