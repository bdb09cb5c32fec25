//! Failed-login throttling, per account and per client address.
//!
//! Each failure counts against two keys: the account (by its id, so the username and the email
//! share one counter; an identifier naming no account is keyed by its normalised form, so
//! throttling looks the same whether or not the account exists) and the client address. Past a
//! number of free failures, each further failure blocks the key for a delay that doubles up to
//! a cap. Blocked attempts are answered 429 without checking the password and do not extend the
//! block, so an attacker can slow an account down but never lock its owner out for good: the
//! owner gets a try every time the (capped) delay runs out, and failures are forgotten after a
//! quiet period. State lives in the store, so every node sees the same counters.

use super::Core;
use crate::store::StoreError;

/// How failures turn into delays.
#[derive(Clone, Debug)]
pub struct ThrottlePolicy {
    /// Failures allowed per account before delays start.
    pub account_free_failures: i64,
    /// Failures allowed per client address before delays start.
    pub address_free_failures: i64,
    /// The first delay; each further failure doubles it.
    pub base_delay_ms: i64,
    /// The longest delay.
    pub max_delay_ms: i64,
    /// Failures older than this are forgotten.
    pub forget_after_ms: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            account_free_failures: 5,
            address_free_failures: 20,
            base_delay_ms: 1_000,
            max_delay_ms: 15 * 60 * 1000,
            forget_after_ms: 60 * 60 * 1000,
        }
    }
}

impl ThrottlePolicy {
    /// The block after the `failures`-th failure, given `free` free failures.
    pub fn delay_ms(&self, failures: i64, free: i64) -> i64 {
        if failures < free {
            return 0;
        }
        let doublings = u32::try_from(failures - free).unwrap_or(u32::MAX).min(30);
        self.base_delay_ms
            .saturating_mul(1i64 << doublings)
            .min(self.max_delay_ms)
    }
}

/// A throttling key and the number of free failures it gets.
pub struct ThrottleKey {
    key: String,
    free: i64,
}

impl ThrottleKey {
    /// The key of an existing account.
    pub fn account(policy: &ThrottlePolicy, user_id: i64) -> Self {
        Self {
            key: format!("account:{user_id}"),
            free: policy.account_free_failures,
        }
    }

    /// The key of an identifier that names no account.
    pub fn unknown(policy: &ThrottlePolicy, login_key: &str) -> Self {
        Self {
            key: format!("unknown:{login_key}"),
            free: policy.account_free_failures,
        }
    }

    /// The key of a client address.
    pub fn address(policy: &ThrottlePolicy, address: &str) -> Self {
        Self {
            key: format!("address:{address}"),
            free: policy.address_free_failures,
        }
    }
}

impl Core {
    /// Seconds until `key` may try again, or `None` when it may try now.
    pub async fn throttled_for(&self, key: &ThrottleKey) -> Result<Option<u64>, StoreError> {
        let now = self.now_ms();
        let Some(row) = self.store.get_throttle(&key.key).await? else {
            return Ok(None);
        };
        if row.blocked_until_ms <= now {
            return Ok(None);
        }
        let wait_ms = row.blocked_until_ms - now;
        Ok(Some(u64::try_from((wait_ms + 999) / 1000).unwrap_or(1)))
    }

    /// Counts a failure against `key` and blocks it if it is past its free failures.
    pub async fn record_failed_login(&self, key: &ThrottleKey) -> Result<(), StoreError> {
        let now = self.now_ms();
        let policy = &self.policy.throttle;
        let forget_before = now - policy.forget_after_ms;
        let failures = self
            .store
            .record_failure(&key.key, now, forget_before)
            .await?;
        let delay = policy.delay_ms(failures, key.free);
        if delay > 0 {
            self.store.set_blocked_until(&key.key, now + delay).await?;
        }
        Ok(())
    }

    /// Forgets the failures of `key` after a successful login.
    pub async fn clear_failed_logins(&self, key: &ThrottleKey) -> Result<(), StoreError> {
        self.store.clear_throttle(&key.key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_after_the_free_failures_double_and_cap() {
        let p = ThrottlePolicy::default();
        assert_eq!(p.delay_ms(4, 5), 0);
        assert_eq!(p.delay_ms(5, 5), 1_000);
        assert_eq!(p.delay_ms(6, 5), 2_000);
        assert_eq!(p.delay_ms(8, 5), 8_000);
        assert_eq!(p.delay_ms(40, 5), p.max_delay_ms);
        assert_eq!(p.delay_ms(i64::MAX, 5), p.max_delay_ms);
    }
}
