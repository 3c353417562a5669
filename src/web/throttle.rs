//! Slowing down password guessing: failed sign-ins are counted per account and per client
//! address, in memory.
//!
//! The first few failures are free (people mistype); after that each further attempt must
//! wait, 30 seconds after the last failure and doubling with every failure up to 15 minutes.
//! While an account or address has to wait, the password is not even checked, so guesses
//! made then learn nothing. A success clears the account's count (not the address's, or an
//! attacker with one account of their own could clear it). Counts are forgotten an hour after
//! the last failure. Being in memory, they reset when the server restarts, which costs an
//! attacker a restart they cannot cause.

use std::collections::HashMap;

use parking_lot::Mutex;

/// Failures an account may have before it must wait.
pub const FREE_ACCOUNT_FAILURES: u32 = 5;
/// Failures one client address may have (across accounts) before it must wait; higher,
/// since many people can share an address.
pub const FREE_ADDRESS_FAILURES: u32 = 20;
/// The wait after the first failure past the free ones.
const FIRST_DELAY_MS: i64 = 30_000;
/// The longest wait.
const MAX_DELAY_MS: i64 = 15 * 60_000;
/// Counts older than this (since the last failure) are forgotten.
const FORGET_AFTER_MS: i64 = 60 * 60_000;
/// Above this many tracked entries, stale ones are swept on the next failure.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last_at: i64,
}

impl Failures {
    /// When the next attempt is allowed, if the count is past `free`.
    fn locked_until(self, free: u32) -> Option<i64> {
        let over = self.count.checked_sub(free)?;
        let delay = FIRST_DELAY_MS
            .saturating_mul(1_i64 << over.min(20))
            .min(MAX_DELAY_MS);
        Some(self.last_at + delay)
    }
}

/// Failed sign-in counts, keyed by account and by client address.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<String, Failures>>,
}

fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("address:{address}")
}

impl LoginThrottle {
    /// Seconds to wait before `email` may be tried from `address` at `now` (ms), if any.
    pub fn retry_after(&self, email: &str, address: &str, now: i64) -> Option<u64> {
        let entries = self.entries.lock();
        let until = |key: String, free: u32| {
            entries
                .get(&key)
                .filter(|f| now - f.last_at < FORGET_AFTER_MS)
                .and_then(|f| f.locked_until(free))
                .filter(|until| *until > now)
        };
        let until = until(account_key(email), FREE_ACCOUNT_FAILURES)
            .into_iter()
            .chain(until(address_key(address), FREE_ADDRESS_FAILURES))
            .max()?;
        // Whole seconds, rounded up, so waiting that long is always enough.
        Some(((until - now + 999) / 1000) as u64)
    }

    /// Counts a failed sign-in.
    pub fn record_failure(&self, email: &str, address: &str, now: i64) {
        let mut entries = self.entries.lock();
        if entries.len() > SWEEP_ABOVE {
            entries.retain(|_, f| now - f.last_at < FORGET_AFTER_MS);
        }
        for key in [account_key(email), address_key(address)] {
            let entry = entries.entry(key).or_insert(Failures {
                count: 0,
                last_at: now,
            });
            if now - entry.last_at >= FORGET_AFTER_MS {
                entry.count = 0;
            }
            entry.count += 1;
            entry.last_at = now;
        }
    }

    /// Clears the account's count after a successful sign-in.
    pub fn record_success(&self, email: &str) {
        self.entries.lock().remove(&account_key(email));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_failures_then_a_doubling_wait() {
        let throttle = LoginThrottle::default();
        let now = 1_000_000;
        for _ in 0..FREE_ACCOUNT_FAILURES {
            assert_eq!(throttle.retry_after("a\u{40}x.io", "1.1.1.1", now), None);
            throttle.record_failure("a\u{40}x.io", "1.1.1.1", now);
        }
        assert_eq!(
            throttle.retry_after("A\u{40}x.io", "2.2.2.2", now),
            Some(30)
        );
        assert_eq!(
            throttle.retry_after("a\u{40}x.io", "2.2.2.2", now + 30_000),
            None
        );
        throttle.record_failure("a\u{40}x.io", "2.2.2.2", now + 30_000);
        assert_eq!(
            throttle.retry_after("a\u{40}x.io", "3.3.3.3", now + 30_000),
            Some(60)
        );
        throttle.record_success("a\u{40}x.io");
        assert_eq!(
            throttle.retry_after("a\u{40}x.io", "3.3.3.3", now + 30_000),
            None
        );
    }

    #[test]
    fn one_address_guessing_many_accounts_is_slowed_too() {
        let throttle = LoginThrottle::default();
        for i in 0..FREE_ADDRESS_FAILURES {
            throttle.record_failure(&format!("user{i}\u{40}x.io"), "9.9.9.9", 0);
        }
        assert_eq!(
            throttle.retry_after("new\u{40}x.io", "9.9.9.9", 0),
            Some(30)
        );
        assert_eq!(throttle.retry_after("new\u{40}x.io", "8.8.8.8", 0), None);
    }

    #[test]
    fn the_wait_is_capped_and_counts_are_forgotten() {
        let throttle = LoginThrottle::default();
        for _ in 0..40 {
            throttle.record_failure("a\u{40}x.io", "1.1.1.1", 0);
        }
        assert_eq!(throttle.retry_after("a\u{40}x.io", "1.1.1.1", 0), Some(900));
        assert_eq!(
            throttle.retry_after("a\u{40}x.io", "1.1.1.1", FORGET_AFTER_MS),
            None
        );
    }
}
