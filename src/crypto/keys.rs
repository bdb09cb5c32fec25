//! Signing keys: generation, the public JWK, and encryption at rest under the master key.
//!
//! Private keys never touch the database in the clear: each is sealed with XChaCha20-Poly1305
//! under the master key, with the key id as associated data so a sealed key cannot be moved to
//! another row. The master key comes from the configuration or from a key file that is created
//! with mode 0600 at first start.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

use super::digest::DigestKey;
use super::random::Random;

const NONCE_LEN: usize = 24;

/// The 256-bit root secret of a deployment: it seals private keys and keys the digests of
/// generated secrets. Losing it makes every stored key and refresh token useless.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// Parses 32 bytes written as standard or URL-safe base64.
    pub fn from_base64(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text))
            .context("the master key is not base64")?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| {
            anyhow::anyhow!("the master key must be 32 bytes (44 base64 characters)")
        })?;
        Ok(Self(key))
    }

    /// Reads the key file at `path`, or creates it with a fresh key and mode 0600.
    pub fn load_or_create(path: &Path, random: &dyn Random) -> anyhow::Result<Self> {
        if path.exists() {
            let text = fs::read_to_string(path)
                .with_context(|| format!("reading the master key file {}", path.display()))?;
            return Self::from_base64(&text)
                .with_context(|| format!("in the master key file {}", path.display()));
        }
        let mut key = [0u8; 32];
        random.fill(&mut key);
        write_private_file(path, STANDARD.encode(key).as_bytes())?;
        tracing::warn!(path = %path.display(), "created a new master key file; back it up");
        Ok(Self(key))
    }

    /// Encrypts `plaintext`, binding it to `aad`. The output is nonce followed by ciphertext.
    pub fn seal(
        &self,
        random: &dyn Random,
        aad: &[u8],
        plaintext: &[u8],
    ) -> anyhow::Result<Vec<u8>> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let nonce_bytes = random.bytes(NONCE_LEN);
        let nonce = XNonce::from_slice(&nonce_bytes);
        let sealed = cipher
            .encrypt(
                nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing a private key failed"))?;
        Ok([nonce_bytes, sealed].concat())
    }

    /// Decrypts what [`MasterKey::seal`] produced with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            bail!("a sealed private key is truncated");
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| anyhow::anyhow!("a private key does not decrypt: wrong master key?"))
    }

    /// The root of the digest keys, separate from the sealing key by derivation.
    pub fn digest_root(&self) -> DigestKey {
        DigestKey::new(self.0).derive("digests")
    }
}

/// Writes a new file readable by its owner only.
fn write_private_file(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating the master key file {}", path.display()))?;
    file.write_all(content)?;
    file.sync_all()?;
    Ok(())
}

/// The signature algorithms a key can be bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlg {
    EdDSA,
    ES256,
}

impl KeyAlg {
    /// The JOSE name of the algorithm.
    pub fn name(self) -> &'static str {
        match self {
            KeyAlg::EdDSA => "EdDSA",
            KeyAlg::ES256 => "ES256",
        }
    }

    /// Parses a JOSE algorithm name this server can sign with.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "EdDSA" => Some(KeyAlg::EdDSA),
            "ES256" => Some(KeyAlg::ES256),
            _ => None,
        }
    }
}

/// A freshly generated key pair.
pub struct GeneratedKey {
    pub kid: String,
    pub alg: KeyAlg,
    /// The private key as PKCS#8 DER; seal it before storing.
    pub pkcs8: Vec<u8>,
    /// The public key as a JWK, with `kid`, `use` and `alg` set.
    pub public_jwk: Value,
}

/// Generates a key pair for `alg` with a random key id.
pub fn generate(alg: KeyAlg, random: &dyn Random) -> anyhow::Result<GeneratedKey> {
    let rng = ring::rand::SystemRandom::new();
    let kid = random.token(12);

    let (pkcs8, public_jwk) = match alg {
        KeyAlg::EdDSA => {
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|_| anyhow::anyhow!("Ed25519 key generation failed"))?;
            let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
                .map_err(|_| anyhow::anyhow!("a generated Ed25519 key does not parse"))?;

            let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
            let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": x});
            (pkcs8.as_ref().to_vec(), jwk)
        }
        KeyAlg::ES256 => {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| anyhow::anyhow!("P-256 key generation failed"))?;
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .map_err(|_| anyhow::anyhow!("a generated P-256 key does not parse"))?;

            // An uncompressed point: 0x04, then x and y of 32 bytes each.
            let point = pair.public_key().as_ref();
            let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
            let y = URL_SAFE_NO_PAD.encode(&point[33..65]);
            let jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y});
            (pkcs8.as_ref().to_vec(), jwk)
        }
    };

    // The JWK names its key id, use and algorithm, as the JWKS publishes it.
    let mut public_jwk = public_jwk;
    public_jwk["kid"] = json!(kid);
    public_jwk["use"] = json!("sig");
    public_jwk["alg"] = json!(alg.name());
    Ok(GeneratedKey {
        kid,
        alg,
        pkcs8,
        public_jwk,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random::OsRandom;

    #[test]
    fn sealed_keys_open_only_with_the_same_key_and_aad() {
        let random = OsRandom::default();
        let master = MasterKey([1; 32]);
        let sealed = master.seal(&random, b"kid-1", b"private").expect("seal");
        assert_eq!(master.open(b"kid-1", &sealed).expect("open"), b"private");
        assert!(master.open(b"kid-2", &sealed).is_err());
        assert!(MasterKey([2; 32]).open(b"kid-1", &sealed).is_err());
        assert!(master.open(b"kid-1", &sealed[..10]).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("master.key");
        let random = OsRandom::default();
        let first = MasterKey::load_or_create(&path, &random).expect("create");
        let again = MasterKey::load_or_create(&path, &random).expect("load");
        assert_eq!(first.0, again.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn generated_jwks_carry_kid_use_and_alg() {
        let random = OsRandom::default();
        for alg in [KeyAlg::EdDSA, KeyAlg::ES256] {
            let key = generate(alg, &random).expect("generate");
            assert_eq!(key.public_jwk["alg"], alg.name());
            assert_eq!(key.public_jwk["use"], "sig");
            assert_eq!(key.public_jwk["kid"], key.kid.as_str());
            assert!(key.public_jwk.get("d").is_none());
        }
    }
}
