//! Slowing down password guessing: failed sign-ins are counted per account and per client
//! address, in memory.
//!
//! The first few failures are free (people mistype); after that each further attempt must
//! wait, 30 seconds after the last failure and doubling with every failure up to 15 minutes.
//! While an account or address has to wait, the password is not even checked, so guesses
//! made then learn nothing. Counts are forgotten an hour after the last failure. Being in
//! memory, they reset when the server restarts, which costs an attacker a restart they cannot
//! cause.
//!
//! An attempt is counted before its password is checked, in the same lock as the check that
//! lets it through ([`LoginThrottle::reserve`]), and stays counted as a failure until it ends
//! otherwise. So simultaneous attempts cannot overdraw the budget: an account with no failures
//! gets exactly five password checks, however many guesses arrive at once. How an attempt ends:
//! - wrong password, or the request never finishes (an error, a dropped connection): a failure;
//! - right password: the account's count starts over, and the address only gets its own
//!   reservation back. Clearing the address's count instead would let an attacker with an
//!   account of their own wipe it between guesses at other accounts; keeping the reservation
//!   would make a shared address (an office, a NAT) pay for its people's successes;
//! - not checked at all (the server had no capacity left for password work): both get the
//!   reservation back, since nothing was learned.

use std::collections::HashMap;
use std::sync::Arc;

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
/// Above this many tracked entries, stale ones are swept on the next attempt.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy, Default)]
struct Failures {
    /// Attempts that ended as failures.
    count: u32,
    /// Attempts under way, counted as failures until they end.
    pending: u32,
    /// When the last failure was counted.
    last_at: i64,
}

impl Failures {
    /// When the next attempt is allowed, if the count is past `free`.
    fn locked_until(count: u32, last_at: i64, free: u32) -> Option<i64> {
        let over = count.checked_sub(free)?;
        let delay = FIRST_DELAY_MS
            .saturating_mul(1_i64 << over.min(20))
            .min(MAX_DELAY_MS);
        Some(last_at + delay)
    }

    /// Until when a new attempt must wait at `now`, if it must. Attempts under way count as
    /// failures made now.
    fn wait_until(&self, free: u32, now: i64) -> Option<i64> {
        let count = if now - self.last_at >= FORGET_AFTER_MS {
            0
        } else {
            self.count
        };
        let last_at = if self.pending > 0 { now } else { self.last_at };
        Self::locked_until(count + self.pending, last_at, free).filter(|until| *until > now)
    }

    fn is_stale(&self, now: i64) -> bool {
        self.pending == 0 && now - self.last_at >= FORGET_AFTER_MS
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

/// How an [`Attempt`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Failed,
    Succeeded,
    NotChecked,
}

/// A sign-in attempt let through by [`LoginThrottle::reserve`]. It counts as a failure unless
/// it is ended otherwise, also when it is dropped unended.
#[must_use = "an attempt that is not ended counts as a failure"]
#[derive(Debug)]
pub struct Attempt {
    throttle: Arc<LoginThrottle>,
    account: String,
    address: String,
    at: i64,
    ended: bool,
}

impl Attempt {
    /// The password was wrong.
    pub fn failed(mut self) {
        self.end(Outcome::Failed);
    }

    /// The password was right: the account's count starts over; the address gets this
    /// attempt back.
    pub fn succeeded(mut self) {
        self.end(Outcome::Succeeded);
    }

    /// The password was never checked: both get this attempt back.
    pub fn not_checked(mut self) {
        self.end(Outcome::NotChecked);
    }

    fn end(&mut self, outcome: Outcome) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        let mut entries = self.throttle.entries.lock();
        for key in [&self.account, &self.address] {
            let Some(entry) = entries.get_mut(key) else {
                continue;
            };
            entry.pending = entry.pending.saturating_sub(1);
            match outcome {
                Outcome::Failed => {
                    entry.count += 1;
                    entry.last_at = entry.last_at.max(self.at);
                }
                Outcome::Succeeded if key == &self.account => entry.count = 0,
                Outcome::Succeeded | Outcome::NotChecked => {}
            }
            if entry.count == 0 && entry.pending == 0 {
                entries.remove(key);
            }
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        self.end(Outcome::Failed);
    }
}

impl LoginThrottle {
    /// Lets an attempt at `email` from `address` through at `now` (ms) and counts it, or
    /// answers how many seconds to wait first.
    pub fn reserve(self: &Arc<Self>, email: &str, address: &str, now: i64) -> Result<Attempt, u64> {
        let (account, address) = (account_key(email), address_key(address));
        let mut entries = self.entries.lock();
        if entries.len() > SWEEP_ABOVE {
            entries.retain(|_, f| !f.is_stale(now));
        }
        let until = [
            (&account, FREE_ACCOUNT_FAILURES),
            (&address, FREE_ADDRESS_FAILURES),
        ]
        .into_iter()
        .filter_map(|(key, free)| entries.get(key)?.wait_until(free, now))
        .max();
        if let Some(until) = until {
            // Whole seconds, rounded up, so waiting that long is always enough.
            return Err(((until - now + 999) / 1000) as u64);
        }
        for key in [&account, &address] {
            let entry = entries.entry(key.clone()).or_default();
            if entry.is_stale(now) {
                *entry = Failures::default();
            }
            entry.pending += 1;
        }
        drop(entries);
        Ok(Attempt {
            throttle: Arc::clone(self),
            account,
            address,
            at: now,
            ended: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(throttle: &Arc<LoginThrottle>, email: &str, address: &str, now: i64) {
        throttle.reserve(email, address, now).unwrap().failed();
    }

    #[test]
    fn free_failures_then_a_doubling_wait() {
        let throttle = Arc::new(LoginThrottle::default());
        let now = 1_000_000;
        for _ in 0..FREE_ACCOUNT_FAILURES {
            fail(&throttle, "a\u{40}x.io", "1.1.1.1", now);
        }
        assert_eq!(
            throttle.reserve("A\u{40}x.io", "2.2.2.2", now).unwrap_err(),
            30
        );
        fail(&throttle, "a\u{40}x.io", "2.2.2.2", now + 30_000);
        assert_eq!(
            throttle
                .reserve("a\u{40}x.io", "3.3.3.3", now + 30_000)
                .unwrap_err(),
            60
        );
        throttle
            .reserve("a\u{40}x.io", "3.3.3.3", now + 90_000)
            .unwrap()
            .succeeded();
        assert!(throttle
            .reserve("a\u{40}x.io", "3.3.3.3", now + 90_000)
            .is_ok());
    }

    #[test]
    fn attempts_under_way_count_against_the_budget() {
        let throttle = Arc::new(LoginThrottle::default());
        let attempts: Vec<_> = (0..FREE_ACCOUNT_FAILURES)
            .map(|_| throttle.reserve("a\u{40}x.io", "1.1.1.1", 0).unwrap())
            .collect();
        assert_eq!(
            throttle.reserve("a\u{40}x.io", "1.1.1.1", 0).unwrap_err(),
            30
        );
        // One that was never checked gives its place back; dropped ones count as failures.
        let mut attempts = attempts.into_iter();
        attempts.next().unwrap().not_checked();
        let again = throttle.reserve("a\u{40}x.io", "1.1.1.1", 0).unwrap();
        drop(attempts);
        again.failed();
        assert_eq!(
            throttle
                .reserve("a\u{40}x.io", "1.1.1.1", 29_000)
                .unwrap_err(),
            1
        );
    }

    #[test]
    fn a_success_clears_the_account_but_leaves_the_address_its_failures() {
        let throttle = Arc::new(LoginThrottle::default());
        for i in 0..FREE_ADDRESS_FAILURES {
            fail(&throttle, &format!("user{i}\u{40}x.io"), "9.9.9.9", 0);
        }
        assert_eq!(
            throttle.reserve("new\u{40}x.io", "9.9.9.9", 0).unwrap_err(),
            30
        );
        // After the wait, a success from that address neither clears nor extends its wait.
        throttle
            .reserve("own\u{40}x.io", "9.9.9.9", 30_000)
            .unwrap()
            .succeeded();
        assert!(throttle.reserve("new\u{40}x.io", "9.9.9.9", 30_000).is_ok());
        assert!(throttle.reserve("new\u{40}x.io", "8.8.8.8", 0).is_ok());
    }

    #[test]
    fn the_wait_is_capped_and_counts_are_forgotten() {
        let throttle = Arc::new(LoginThrottle::default());
        for i in 0..40 {
            // Each after the previous wait, as the throttle demands.
            fail(&throttle, "a\u{40}x.io", "1.1.1.1", i * MAX_DELAY_MS);
        }
        let last = 39 * MAX_DELAY_MS;
        assert_eq!(
            throttle
                .reserve("a\u{40}x.io", "1.1.1.1", last)
                .unwrap_err(),
            900
        );
        assert!(throttle
            .reserve("a\u{40}x.io", "1.1.1.1", last + FORGET_AFTER_MS)
            .is_ok());
    }
}
