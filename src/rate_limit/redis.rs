//! The limiter that several instances share: each key's log of accepted requests is a sorted
//! set in Redis, and each decision is one Lua script (`window.lua`), which Redis runs alone, so
//! concurrent requests through any instances can never overdraw a window. The script reads
//! Redis' own clock (`TIME`), so instances whose clocks disagree still agree on the windows.
//! One round trip per request: `EVALSHA`, with the script sent again only after Redis lost it.

use async_trait::async_trait;
use redis::Script;

use super::{Decision, RateLimiter};
use crate::shared::{Redis, Unavailable};

/// Where the logs live: `lg:rl:<key id>`.
const KEY_PREFIX: &str = "lg:rl:";

/// The Redis-backed limiter.
pub struct RedisLimiter {
    redis: Redis,
    script: Script,
    per_minute: u32,
    per_hour: u32,
    caller_clock: bool,
}

impl RedisLimiter {
    /// A limiter with the given limits, keeping its logs in `redis`.
    pub fn new(redis: Redis, per_minute: u32, per_hour: u32) -> Self {
        Self {
            redis,
            script: Script::new(include_str!("window.lua")),
            per_minute,
            per_hour,
            caller_clock: false,
        }
    }

    /// Decides at the `now_ms` the caller passes instead of at Redis' time: for tests that
    /// compare this limiter with the in-process one on the same sequence of instants.
    #[must_use]
    pub fn with_caller_clock(mut self) -> Self {
        self.caller_clock = true;
        self
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn check(&self, key_id: &str, now_ms: i64) -> Result<Decision, Unavailable> {
        let now = if self.caller_clock {
            now_ms.to_string()
        } else {
            String::new()
        };
        let log = format!("{KEY_PREFIX}{key_id}");
        let (allowed, limit, remaining, reset_at, retry_after): (i64, u32, u32, i64, u64) = self
            .redis
            .exchange(|mut conn| async move {
                self.script
                    .key(log)
                    .arg(self.per_minute)
                    .arg(self.per_hour)
                    .arg(now)
                    .invoke_async(&mut conn)
                    .await
            })
            .await?;
        Ok(Decision {
            allowed: allowed == 1,
            limit,
            remaining,
            reset_at,
            retry_after,
        })
    }
}
