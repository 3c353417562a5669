//! The counts that several instances share, in Redis: each reservation and each ending is one
//! Lua script (`reserve.lua`, `end.lua`), which Redis runs alone, so simultaneous attempts
//! through any instances cannot overdraw a budget. Times are Redis' own. An attempt whose
//! server stopped before ending it counts as a failure once it is [`ABANDONED_AFTER_MS`] old,
//! as an attempt dropped unended does in memory.

use redis::Script;
use sha2::{Digest, Sha256};

use super::{Outcome, FIRST_DELAY_MS, FORGET_AFTER_MS, MAX_DELAY_MS};
use crate::shared::{Redis, Unavailable};

/// An attempt still under way after this long counts as a failure: a sign-in takes well
/// under a second, or a few while many passwords are being checked.
pub const ABANDONED_AFTER_MS: i64 = 60_000;

/// The Redis keys of one account's or address's counts: `lg:signin:<hash>` (a hash of
/// `count` and `last_at`) and `lg:signin:<hash>:pending` (attempts under way). Hashed, so
/// Redis holds no email addresses.
fn redis_keys(key: &str) -> [String; 2] {
    let digest = hex::encode(&Sha256::digest(key.as_bytes())[..16]);
    let counts = format!("lg:signin:{digest}");
    let pending = format!("{counts}:pending");
    [counts, pending]
}

/// Failure counts in Redis.
pub(super) struct SharedCounts {
    redis: Redis,
    reserve: Script,
    end: Script,
    /// Whether attempts are made at the caller's `now` instead of Redis' time (tests).
    caller_clock: bool,
}

impl SharedCounts {
    pub(super) fn new(redis: Redis, caller_clock: bool) -> Self {
        Self {
            redis,
            reserve: Script::new(include_str!("reserve.lua")),
            end: Script::new(include_str!("end.lua")),
            caller_clock,
        }
    }

    /// Counts attempt `id` as under way for each `(key, free failures)`, answering its time
    /// (Redis', Unix ms; or `now` with the caller's clock), or the whole seconds it must wait
    /// first.
    pub(super) async fn reserve(
        &self,
        keys: [(&str, u32); 2],
        id: &str,
        now: i64,
    ) -> Result<Result<i64, u64>, Unavailable> {
        let now = if self.caller_clock {
            now.to_string()
        } else {
            String::new()
        };
        let [(account, free_account), (address, free_address)] = keys;
        let (allowed, value): (i64, i64) = self
            .redis
            .exchange(|mut conn| async move {
                let mut invocation = self.reserve.prepare_invoke();
                for key in redis_keys(account).into_iter().chain(redis_keys(address)) {
                    invocation.key(key);
                }
                invocation
                    .arg(id)
                    .arg(free_account)
                    .arg(free_address)
                    .arg(FIRST_DELAY_MS)
                    .arg(MAX_DELAY_MS)
                    .arg(FORGET_AFTER_MS)
                    .arg(ABANDONED_AFTER_MS)
                    .arg(now)
                    .invoke_async(&mut conn)
                    .await
            })
            .await?;
        Ok(if allowed == 1 {
            Ok(value)
        } else {
            Err(value.max(1).unsigned_abs())
        })
    }

    /// Ends attempt `id`, reserved at `at`; `account` is the first of `keys`.
    pub(super) async fn end(
        &self,
        keys: [&str; 2],
        id: &str,
        at: i64,
        outcome: Outcome,
    ) -> Result<(), Unavailable> {
        let outcome = match outcome {
            Outcome::Failed => "failed",
            Outcome::Succeeded => "succeeded",
            Outcome::NotChecked => "not_checked",
        };
        let [account, address] = keys;
        self.redis
            .exchange(|mut conn| async move {
                let mut invocation = self.end.prepare_invoke();
                for key in redis_keys(account).into_iter().chain(redis_keys(address)) {
                    invocation.key(key);
                }
                invocation
                    .arg(id)
                    .arg(outcome)
                    .arg(at)
                    .arg(FORGET_AFTER_MS)
                    .invoke_async::<i64>(&mut conn)
                    .await
            })
            .await
            .map(|_| ())
    }
}
