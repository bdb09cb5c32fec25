//! The source of randomness, injected so that tests can reason about what it produces.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SecureRandom;

/// Fills buffers with cryptographically secure random bytes.
pub trait Random: Send + Sync + 'static {
    /// Fills `buf` entirely; failure of the operating system's generator is fatal.
    fn fill(&self, buf: &mut [u8]);

    /// `n` random bytes.
    fn bytes(&self, n: usize) -> Vec<u8> {
        let mut buf = vec![0u8; n];
        self.fill(&mut buf);
        buf
    }

    /// `n` random bytes as unpadded base64url text.
    fn token(&self, n: usize) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes(n))
    }
}

/// The operating system's generator.
pub struct OsRandom {
    inner: ring::rand::SystemRandom,
}

impl Default for OsRandom {
    fn default() -> Self {
        Self {
            inner: ring::rand::SystemRandom::new(),
        }
    }
}

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        // The system generator only fails when the kernel cannot supply entropy at all; no
        // secret may be issued then, so stopping the process is the only safe answer.
        self.inner
            .fill(buf)
            .expect("the operating system's random generator failed");
    }
}
