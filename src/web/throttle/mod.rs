//! Slowing down password guessing: failed sign-ins are counted per account and per client
//! address.
//!
//! The first few failures are free (people mistype); after that each further attempt must
//! wait, 30 seconds after the last failure and doubling with every failure up to 15 minutes.
//! While an account or address has to wait, the password is not even checked, so guesses
//! made then learn nothing. Counts are forgotten an hour after the last failure.
//!
//! An attempt is counted before its password is checked, atomically with the check that lets
//! it through ([`LoginThrottle::reserve`]), and stays counted as a failure until it ends
//! otherwise. So simultaneous attempts cannot overdraw the budget: an account with no failures
//! gets exactly five password checks, however many guesses arrive at once. How an attempt ends:
//! - wrong password, or the request never finishes (an error, a dropped connection): a failure;
//! - right password: the account's count starts over, and the address only gets its own
//!   reservation back. Clearing the address's count instead would let an attacker with an
//!   account of their own wipe it between guesses at other accounts; keeping the reservation
//!   would make a shared address (an office, a NAT) pay for its people's successes;
//! - not checked at all (the server had no capacity left for password work): both get the
//!   reservation back, since nothing was learned.
//!
//! One server keeps the counts in memory ([`memory`]); several instances keep them in Redis
//! ([`shared`]), so a guesser cannot multiply the budget by spreading guesses over instances.
//! When Redis does not answer, sign-in fails closed: no password is checked.

mod memory;
mod shared;

pub use shared::ABANDONED_AFTER_MS;

use std::mem::take;
use std::sync::Arc;

use crate::shared::{Redis, Unavailable};

use super::session::random_token;

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

/// Where the counts are kept.
enum Counts {
    Memory(memory::MemoryCounts),
    Shared(shared::SharedCounts),
}

/// Failed sign-in counts, keyed by account and by client address.
pub struct LoginThrottle {
    counts: Counts,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.counts {
            Counts::Memory(_) => "memory",
            Counts::Shared(_) => "redis",
        };
        write!(f, "LoginThrottle({kind})")
    }
}

impl Default for LoginThrottle {
    /// Counts in this process's memory.
    fn default() -> Self {
        Self {
            counts: Counts::Memory(memory::MemoryCounts::default()),
        }
    }
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

/// Why [`LoginThrottle::reserve`] did not let an attempt through.
#[derive(Debug)]
pub enum Refusal {
    /// The account or the address must wait this many whole seconds.
    Wait(u64),
    /// The shared counts (Redis) do not answer, so no attempt may be checked.
    Unavailable(Unavailable),
}

/// A sign-in attempt let through by [`LoginThrottle::reserve`]. It counts as a failure unless
/// it is ended otherwise, also when it is dropped unended.
#[must_use = "an attempt that is not ended counts as a failure"]
#[derive(Debug)]
pub struct Attempt {
    throttle: Arc<LoginThrottle>,
    account: String,
    address: String,
    /// The attempt's name among those under way (in Redis).
    id: String,
    at: i64,
    ended: bool,
}

impl Attempt {
    /// The password was wrong.
    pub async fn failed(mut self) {
        self.end(Outcome::Failed).await;
    }

    /// The password was right: the account's count starts over; the address gets this
    /// attempt back.
    pub async fn succeeded(mut self) {
        self.end(Outcome::Succeeded).await;
    }

    /// The password was never checked: both get this attempt back.
    pub async fn not_checked(mut self) {
        self.end(Outcome::NotChecked).await;
    }

    async fn end(&mut self, outcome: Outcome) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        let keys = [self.account.as_str(), self.address.as_str()];
        match &self.throttle.counts {
            Counts::Memory(counts) => counts.end(keys, self.at, outcome),
            Counts::Shared(counts) => {
                if let Err(err) = counts.end(keys, &self.id, self.at, outcome).await {
                    // Still under way in Redis, so it counts as a failure once abandoned:
                    // erring towards fewer guesses.
                    tracing::warn!(error = %err, "could not record how a sign-in attempt ended");
                }
            }
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        match &self.throttle.counts {
            Counts::Memory(counts) => {
                self.ended = true;
                counts.end(
                    [self.account.as_str(), self.address.as_str()],
                    self.at,
                    Outcome::Failed,
                );
            }
            Counts::Shared(_) => {
                self.ended = true;
                // Ending it takes a round trip; without a runtime it counts as a failure
                // once it is abandoned anyway. The task holds the parts, not an `Attempt`,
                // whose own drop would start another.
                let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                    return;
                };
                let throttle = Arc::clone(&self.throttle);
                let (account, address) = (take(&mut self.account), take(&mut self.address));
                let (id, at) = (take(&mut self.id), self.at);
                runtime.spawn(async move {
                    if let Counts::Shared(counts) = &throttle.counts {
                        let keys = [account.as_str(), address.as_str()];
                        if let Err(err) = counts.end(keys, &id, at, Outcome::Failed).await {
                            tracing::warn!(error = %err, "could not record a dropped sign-in attempt");
                        }
                    }
                });
            }
        }
    }
}

impl LoginThrottle {
    /// Counts kept in Redis, shared by every instance that uses it.
    pub fn shared(redis: Redis) -> Self {
        Self {
            counts: Counts::Shared(shared::SharedCounts::new(redis, false)),
        }
    }

    /// Counts kept in Redis, with attempts made at the `now` the caller passes instead of at
    /// Redis' time: for tests that compare them with the counts in memory.
    pub fn shared_with_caller_clock(redis: Redis) -> Self {
        Self {
            counts: Counts::Shared(shared::SharedCounts::new(redis, true)),
        }
    }

    /// Lets an attempt at `email` from `address` through and counts it, or answers why not.
    /// In memory the attempt is made at `now` (ms); Redis uses its own clock.
    pub async fn reserve(
        self: &Arc<Self>,
        email: &str,
        address: &str,
        now: i64,
    ) -> Result<Attempt, Refusal> {
        let (account, address) = (account_key(email), address_key(address));
        let keys = [
            (account.as_str(), FREE_ACCOUNT_FAILURES),
            (address.as_str(), FREE_ADDRESS_FAILURES),
        ];
        let id = random_token();
        let at = match &self.counts {
            Counts::Memory(counts) => match counts.reserve(keys, now) {
                // Whole seconds, rounded up, so waiting that long is always enough.
                Err(until) => return Err(Refusal::Wait(((until - now + 999) / 1000) as u64)),
                Ok(()) => now,
            },
            Counts::Shared(counts) => match counts.reserve(keys, &id, now).await {
                Err(err) => return Err(Refusal::Unavailable(err)),
                Ok(Err(seconds)) => return Err(Refusal::Wait(seconds)),
                Ok(Ok(at)) => at,
            },
        };
        Ok(Attempt {
            throttle: Arc::clone(self),
            account,
            address,
            id,
            at,
            ended: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADA: &str = "a\u{40}x.io";

    /// Reserves in memory at `now`: the attempt, or the seconds to wait.
    async fn reserve(
        throttle: &Arc<LoginThrottle>,
        email: &str,
        address: &str,
        now: i64,
    ) -> Result<Attempt, u64> {
        throttle
            .reserve(email, address, now)
            .await
            .map_err(|refusal| match refusal {
                Refusal::Wait(seconds) => seconds,
                Refusal::Unavailable(err) => panic!("memory cannot be unavailable: {err}"),
            })
    }

    async fn fail(throttle: &Arc<LoginThrottle>, email: &str, address: &str, now: i64) {
        reserve(throttle, email, address, now)
            .await
            .unwrap()
            .failed()
            .await;
    }

    #[tokio::test]
    async fn free_failures_then_a_doubling_wait() {
        let throttle = Arc::new(LoginThrottle::default());
        let now = 1_000_000;
        for _ in 0..FREE_ACCOUNT_FAILURES {
            fail(&throttle, ADA, "1.1.1.1", now).await;
        }
        let upper = "A\u{40}x.io";
        assert_eq!(
            reserve(&throttle, upper, "2.2.2.2", now).await.unwrap_err(),
            30
        );
        fail(&throttle, ADA, "2.2.2.2", now + 30_000).await;
        let later = now + 30_000;
        assert_eq!(
            reserve(&throttle, ADA, "3.3.3.3", later).await.unwrap_err(),
            60
        );
        reserve(&throttle, ADA, "3.3.3.3", now + 90_000)
            .await
            .unwrap()
            .succeeded()
            .await;
        assert!(reserve(&throttle, ADA, "3.3.3.3", now + 90_000)
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn attempts_under_way_count_against_the_budget() {
        let throttle = Arc::new(LoginThrottle::default());
        let mut attempts = Vec::new();
        for _ in 0..FREE_ACCOUNT_FAILURES {
            attempts.push(reserve(&throttle, ADA, "1.1.1.1", 0).await.unwrap());
        }
        assert_eq!(reserve(&throttle, ADA, "1.1.1.1", 0).await.unwrap_err(), 30);
        // One that was never checked gives its place back; dropped ones count as failures.
        let mut attempts = attempts.into_iter();
        attempts.next().unwrap().not_checked().await;
        let again = reserve(&throttle, ADA, "1.1.1.1", 0).await.unwrap();
        drop(attempts);
        again.failed().await;
        assert_eq!(
            reserve(&throttle, ADA, "1.1.1.1", 29_000)
                .await
                .unwrap_err(),
            1
        );
    }

    #[tokio::test]
    async fn a_success_clears_the_account_but_leaves_the_address_its_failures() {
        let throttle = Arc::new(LoginThrottle::default());
        for i in 0..FREE_ADDRESS_FAILURES {
            fail(&throttle, &format!("user{i}\u{40}x.io"), "9.9.9.9", 0).await;
        }
        let new = "new\u{40}x.io";
        assert_eq!(reserve(&throttle, new, "9.9.9.9", 0).await.unwrap_err(), 30);
        // After the wait, a success from that address neither clears nor extends its wait.
        reserve(&throttle, "own\u{40}x.io", "9.9.9.9", 30_000)
            .await
            .unwrap()
            .succeeded()
            .await;
        assert!(reserve(&throttle, new, "9.9.9.9", 30_000).await.is_ok());
        assert!(reserve(&throttle, new, "8.8.8.8", 0).await.is_ok());
    }

    #[tokio::test]
    async fn the_wait_is_capped_and_counts_are_forgotten() {
        let throttle = Arc::new(LoginThrottle::default());
        for i in 0..40 {
            // Each after the previous wait, as the throttle demands.
            fail(&throttle, ADA, "1.1.1.1", i * MAX_DELAY_MS).await;
        }
        let last = 39 * MAX_DELAY_MS;
        assert_eq!(
            reserve(&throttle, ADA, "1.1.1.1", last).await.unwrap_err(),
            900
        );
        let forgotten = last + FORGET_AFTER_MS;
        assert!(reserve(&throttle, ADA, "1.1.1.1", forgotten).await.is_ok());
    }
}
