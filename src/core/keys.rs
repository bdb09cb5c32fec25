//! The signing-key service: keeps the parsed key ring in memory and makes sure a key can sign.
//!
//! The first start generates a key of the configured algorithm. The ring is an immutable
//! snapshot swapped as a whole, so a signature never sees a half-updated set.
//!
//! Several nodes share the keys through the database. Each node reloads its ring periodically
//! ([`KeyService::reload_every`], started by the app) and, at most once a second, when a token
//! names a key id it does not know ([`KeyService::reload_for_unknown_kid`]). A key added on
//! another node is therefore trusted here as soon as a token signed with it arrives, and
//! published in this node's JWKS within one reload period (docs/multi-node.md).

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::crypto::jwt::{unverified_kid, KeyRing};
use crate::crypto::keys::{generate, KeyAlg, MasterKey};
use crate::crypto::random::Random;
use crate::store::{SharedStore, SigningKeyRow};

/// The shortest time between two reloads triggered by unknown key ids, so that forged tokens
/// cannot turn into a flood of database reads.
const UNKNOWN_KID_RELOAD_INTERVAL: Duration = Duration::from_secs(1);

/// Owns the in-memory key ring.
pub struct KeyService {
    store: SharedStore,
    master: MasterKey,
    ring: RwLock<Arc<KeyRing>>,
    last_unknown_kid_reload: Mutex<Option<Instant>>,
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
            last_unknown_kid_reload: Mutex::new(None),
        };

        // A fresh database, or every key retired: make one that signs now.
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
        // Unchanged rows (the usual case on a periodic reload): nothing to decrypt or parse.
        let rows = self.store.list_signing_keys().await?;
        if self.ring().is_loaded_from(&rows) {
            return Ok(());
        }
        let ring = KeyRing::load(&rows, &self.master)?;
        let (before, after) = (self.ring().len(), ring.len());

        match self.ring.write() {
            Ok(mut guard) => *guard = Arc::new(ring),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(ring),
        }

        if before != after {
            tracing::info!(
                keys.before = before,
                keys.after = after,
                "signing keys reloaded"
            );
        }
        Ok(())
    }

    /// Reloads the ring every `period`, for ever; failures are logged and retried at the next
    /// tick. The app runs this next to the HTTP server.
    pub async fn reload_every(&self, period: Duration) -> std::convert::Infallible {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await; // The first tick is immediate; the ring is fresh from start.

        loop {
            ticks.tick().await;
            if let Err(err) = self.reload().await {
                tracing::warn!(error = %err, "reloading the signing keys failed");
            }
        }
    }

    /// When `token` names a key id missing from the ring, reloads the ring (at most once per
    /// second) and tells whether the key is known now; the caller then verifies again.
    pub async fn reload_for_unknown_kid(&self, token: &str) -> bool {
        let Some(kid) = unverified_kid(token) else {
            return false;
        };
        if self.ring().contains(&kid) {
            return false;
        }

        // At most one reload per interval, however many forged kids arrive.
        {
            let mut last = match self.last_unknown_kid_reload.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            if last.is_some_and(|at| at.elapsed() < UNKNOWN_KID_RELOAD_INTERVAL) {
                return false;
            }
            *last = Some(Instant::now());
        }

        if let Err(err) = self.reload().await {
            tracing::warn!(error = %err, "reloading the signing keys failed");
            return false;
        }
        self.ring().contains(&kid)
    }

    /// Generates, seals and stores a key that signs from `signs_from_ms`, then reloads.
    pub async fn add_key(
        &self,
        alg: KeyAlg,
        random: &dyn Random,
        now_ms: i64,
        signs_from_ms: i64,
    ) -> anyhow::Result<String> {
        // The private key is stored sealed under the master key, bound to its kid.
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
