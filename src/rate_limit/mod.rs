//! Exact rolling-window rate limits per API key: the limiter interface and its two
//! implementations.
//!
//! A key may have at most `per_minute` accepted requests in any rolling 60 seconds and
//! `per_hour` in any rolling 3,600 seconds. Fixed windows and token buckets let through up to
//! twice that across a boundary, so both limiters keep a log of accepted requests per key;
//! refused requests are not logged, so they use up neither window. [`InProcessLimiter`] keeps
//! the log in memory, for one server; [`RedisLimiter`] keeps it in Redis, where several
//! instances share it, and decides with the same rules.

mod in_process;
mod redis;

use async_trait::async_trait;

pub use in_process::InProcessLimiter;
pub use redis::RedisLimiter;

use crate::shared::Unavailable;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;

/// What the limiter decided, and what the response headers should say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may go ahead (it has then been counted).
    pub allowed: bool,
    /// The limit of the window reported in the headers.
    pub limit: u32,
    /// Requests left in that window after this one.
    pub remaining: u32,
    /// Unix time (seconds) at which that window next frees a request.
    pub reset_at: i64,
    /// When refused: whole seconds after which a retry is accepted.
    pub retry_after: u64,
}

/// A rate limiter.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts a request by `key_id` at `now_ms` (Unix milliseconds) unless a limit is used up.
    /// A limiter with a clock of its own (Redis') may use that instead of `now_ms`. An error
    /// means no decision could be made: the request must be refused, never let through.
    async fn check(&self, key_id: &str, now_ms: i64) -> Result<Decision, Unavailable>;
}

/// Milliseconds to whole seconds, rounded up: waiting that long is always enough.
fn ceil_seconds(ms: i64) -> i64 {
    (ms + 999).div_euclid(1000)
}
