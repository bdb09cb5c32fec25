//! The signing-key service: keeps the parsed key ring in memory and makes sure a key can sign.
//!
//! The first start generates a key of the configured algorithm. The ring is an immutable
//! snapshot swapped as a whole, so a signature never sees a half-updated set.

use std::sync::{Arc, RwLock};

use crate::crypto::jwt::KeyRing;
use crate::crypto::keys::{generate, KeyAlg, MasterKey};
use crate::crypto::random::Random;
use crate::store::{SharedStore, SigningKeyRow};

/// Owns the in-memory key ring.
pub struct KeyService {
    store: SharedStore,
    master: MasterKey,
    ring: RwLock<Arc<KeyRing>>,
}

impl KeyService {
    /// Loads the stored keys and, when none can sign at `now_ms`, generates one of `alg`.
    pub async fn start(
        store: SharedStore,
        master: MasterKey,
        random: &dyn Random,
        alg: KeyAlg,
        now_ms: i64,
    ) -> anyhow::Result<Self> {
        let ring = KeyRing::load(&store.list_signing_keys().await?, &master)?;
        let service = Self {
            store,
            master,
            ring: RwLock::new(Arc::new(ring)),
        };
        if !service.ring().can_sign(now_ms) {
            service.add_key(alg, random, now_ms, now_ms).await?;
        }
        Ok(service)
    }

    /// The current ring.
    pub fn ring(&self) -> Arc<KeyRing> {
        match self.ring.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the keys from the store, picking up keys added by other nodes.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let ring = KeyRing::load(&self.store.list_signing_keys().await?, &self.master)?;
        match self.ring.write() {
            Ok(mut guard) => *guard = Arc::new(ring),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(ring),
        }
        Ok(())
    }

    /// Generates, seals and stores a key that signs from `signs_from_ms`, then reloads.
    pub async fn add_key(
        &self,
        alg: KeyAlg,
        random: &dyn Random,
        now_ms: i64,
        signs_from_ms: i64,
    ) -> anyhow::Result<String> {
        let key = generate(alg, random)?;
        let row = SigningKeyRow {
            kid: key.kid.clone(),
            alg: alg.name().to_owned(),
            private_key_enc: self.master.seal(random, key.kid.as_bytes(), &key.pkcs8)?,
            public_jwk: key.public_jwk.to_string(),
            created_ms: now_ms,
            signs_from_ms,
            retired_ms: None,
            unpublish_ms: None,
        };
        self.store.insert_signing_key(&row).await?;
        self.reload().await?;
        tracing::info!(key.kid = %key.kid, key.alg = alg.name(), "signing key added");
        Ok(key.kid)
    }
}
