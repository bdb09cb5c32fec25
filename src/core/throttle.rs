//! Failed-login throttling, per account and per client address.
//!
//! Each attempt counts against two keys: the account (by its id, so the username and the email
//! share one counter; an identifier naming no account is keyed by its normalised form, so
//! throttling looks the same whether or not the account exists) and the client address. Past a
//! number of free failures, each further failure blocks the key for a delay that doubles up to
//! a cap. Blocked attempts are answered 429 without checking the password and do not extend the
//! block, so an attacker can slow an account down but never lock its owner out for good: the
//! owner gets a try every time the (capped) delay runs out, and failures are forgotten after a
//! quiet period. State lives in the store, so every node sees the same counters.
//!
//! An attempt is counted as a failure *before* the password is checked, with the block it
//! would earn, by a compare-and-swap on the key's row: of a burst of parallel guesses exactly
//! the free ones get a password check and the rest are refused, on one node or many. A
//! successful login then clears the account's counter and hands back the address's count.
//!
//! So that nobody can keep an owner out by guessing against the account from elsewhere, an
//! address where the owner logged in during the last 30 days gets a bucket of its own for that
//! account: the account-wide block does not apply there.

use super::{AuthError, Core};
use crate::store::{StoreError, ThrottleRow};

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
    /// The row key in the throttling table.
    key: String,
    /// Failures allowed before delays start.
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
            // NUL cannot be stored in PostgreSQL text; the bucket only needs to be stable.
            key: format!("unknown:{}", login_key.replace('\0', "\u{FFFD}")),
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

    /// The key of an account as tried from an address where its owner has logged in before:
    /// such attempts have a bucket of their own, so guesses from elsewhere cannot block them.
    fn account_at_known_address(policy: &ThrottlePolicy, account: &str, address: &str) -> Self {
        Self {
            key: format!("{account}@{address}"),
            free: policy.account_free_failures,
        }
    }
}

/// How long an address where the owner logged in stays "known" for the account.
const KNOWN_ADDRESS_MS: i64 = 30 * 24 * 3600 * 1000;

/// The row that records a successful login of `account` from `address`. Such rows live in the
/// throttling table under a `known:` prefix; `last_failure_ms` holds the time of that success.
fn known_address_row_key(account: &ThrottleKey, address: &str) -> String {
    format!("known:{}@{address}", account.key)
}

/// An attempt counted against a key before its outcome is known.
pub struct Reservation {
    /// The row key the attempt was counted against.
    key: String,
    /// The block that was in force before this attempt; restored if the attempt is released.
    previous_blocked_until_ms: i64,
    /// The block this attempt set (pessimistically, as if it failed).
    blocked_until_ms: i64,
}

/// Attempts to re-read and swap before giving up under contention (and refusing, to be safe).
const MAX_SWAPS: usize = 32;

impl Core {
    /// Counts an attempt against `key`, or refuses it with the seconds to wait when the key is
    /// blocked.
    pub async fn reserve_attempt(&self, key: &ThrottleKey) -> Result<Reservation, AuthError> {
        let policy = &self.policy.throttle;
        for _ in 0..MAX_SWAPS {
            let now = self.now_ms();
            let current = self.store.get_throttle(&key.key).await?;

            // Blocked: refuse unchecked, without extending the block.
            if let Some(row) = current.as_ref().filter(|row| row.blocked_until_ms > now) {
                let wait_ms = row.blocked_until_ms - now;
                let secs = u64::try_from((wait_ms + 999) / 1000).unwrap_or(1);
                return Err(AuthError::Throttled {
                    retry_after_secs: secs,
                });
            }

            // Count the attempt as a failure, with the block it would earn; old failures are
            // forgotten after a quiet period.
            let forgotten = current
                .as_ref()
                .is_none_or(|row| row.last_failure_ms < now - policy.forget_after_ms);
            let failures = if forgotten {
                1
            } else {
                current.as_ref().map_or(1, |r| r.failures + 1)
            };
            let delay = policy.delay_ms(failures, key.free);
            let next = ThrottleRow {
                key: key.key.clone(),
                failures,
                last_failure_ms: now,
                blocked_until_ms: if delay > 0 { now + delay } else { 0 },
            };

            // A concurrent attempt that swapped first sends us round again.
            if self.store.swap_throttle(current.as_ref(), &next).await? {
                return Ok(Reservation {
                    key: key.key.clone(),
                    previous_blocked_until_ms: current.map_or(0, |r| r.blocked_until_ms),
                    blocked_until_ms: next.blocked_until_ms,
                });
            }
        }

        // Still contended after every try: refuse, to be safe.
        Err(AuthError::Throttled {
            retry_after_secs: 1,
        })
    }

    /// Takes back an attempt that turned out not to be a failure: one count less, and the
    /// block it set (if still the current one) lifted again.
    pub async fn release_attempt(&self, reservation: &Reservation) -> Result<(), AuthError> {
        for _ in 0..MAX_SWAPS {
            let Some(current) = self.store.get_throttle(&reservation.key).await? else {
                return Ok(());
            };

            // Lift the block only if no later attempt has replaced it.
            let blocked_until_ms = if current.blocked_until_ms == reservation.blocked_until_ms {
                reservation.previous_blocked_until_ms
            } else {
                current.blocked_until_ms
            };
            let next = ThrottleRow {
                failures: (current.failures - 1).max(0),
                blocked_until_ms,
                ..current.clone()
            };
            if self.store.swap_throttle(Some(&current), &next).await? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The bucket an attempt on `account` from `address` counts against: the account's own,
    /// unless its owner has logged in from this address recently. The lookup happens for
    /// unknown identifiers too, so its cost tells nothing about whether an account exists.
    pub async fn account_bucket(
        &self,
        account: ThrottleKey,
        address: Option<&str>,
    ) -> Result<ThrottleKey, StoreError> {
        let Some(address) = address else {
            return Ok(account);
        };

        let known = self
            .store
            .get_throttle(&known_address_row_key(&account, address))
            .await?;
        let is_known =
            known.is_some_and(|row| row.last_failure_ms > self.now_ms() - KNOWN_ADDRESS_MS);
        Ok(if is_known {
            ThrottleKey::account_at_known_address(&self.policy.throttle, &account.key, address)
        } else {
            account
        })
    }

    /// Remembers that the owner of `account` logged in from `address`.
    pub async fn remember_address(
        &self,
        account: &ThrottleKey,
        address: &str,
    ) -> Result<(), StoreError> {
        let key = known_address_row_key(account, address);
        let current = self.store.get_throttle(&key).await?;

        let next = ThrottleRow {
            key,
            failures: 0,
            last_failure_ms: self.now_ms(),
            blocked_until_ms: 0,
        };
        // A concurrent login from the same place wrote the same fact; losing the race is fine.
        self.store.swap_throttle(current.as_ref(), &next).await?;
        Ok(())
    }

    /// Forgets every failure of `key`: its owner has just proved the password.
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
