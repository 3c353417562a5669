//! The limiter of a single server process: a log of accepted requests per key, in memory.
//! Requests that land in the same millisecond share one log entry, which bounds memory by time
//! as well as count.

use std::collections::{HashMap, VecDeque};

use async_trait::async_trait;
use parking_lot::Mutex;

use super::{ceil_seconds, Decision, RateLimiter, HOUR_MS, MINUTE_MS};
use crate::shared::Unavailable;

/// The limiter for a single server process.
pub struct InProcessLimiter {
    per_minute: u32,
    per_hour: u32,
    keys: Mutex<HashMap<String, KeyLog>>,
}

impl InProcessLimiter {
    /// A limiter with the given limits.
    pub fn new(per_minute: u32, per_hour: u32) -> Self {
        Self {
            per_minute,
            per_hour,
            keys: Mutex::new(HashMap::new()),
        }
    }
}

#[derive(Default)]
struct KeyLog {
    minute: Window,
    hour: Window,
}

/// Accepted requests within one rolling span: (millisecond, how many) oldest first.
#[derive(Default)]
struct Window {
    entries: VecDeque<(i64, u32)>,
    total: u32,
}

impl Window {
    fn prune(&mut self, now_ms: i64, span_ms: i64) {
        while let Some(&(at, n)) = self.entries.front() {
            if at > now_ms - span_ms {
                break;
            }
            self.entries.pop_front();
            self.total -= n;
        }
    }

    fn push(&mut self, now_ms: i64) {
        match self.entries.back_mut() {
            Some((at, n)) if *at == now_ms => *n += 1,
            _ => self.entries.push_back((now_ms, 1)),
        }
        self.total += 1;
    }

    /// When the oldest entry leaves the span, freeing room (now, for an empty window).
    fn frees_at_ms(&self, now_ms: i64, span_ms: i64) -> i64 {
        self.entries.front().map_or(now_ms, |&(at, _)| at + span_ms)
    }
}

#[async_trait]
impl RateLimiter for InProcessLimiter {
    async fn check(&self, key_id: &str, now_ms: i64) -> Result<Decision, Unavailable> {
        Ok(self.decide(key_id, now_ms))
    }
}

impl InProcessLimiter {
    /// The decision for a request by `key_id` at `now_ms`; it never fails.
    pub fn decide(&self, key_id: &str, now_ms: i64) -> Decision {
        let mut keys = self.keys.lock();
        let log = match keys.get_mut(key_id) {
            Some(log) => log,
            None => keys.entry(key_id.to_owned()).or_default(),
        };
        log.minute.prune(now_ms, MINUTE_MS);
        log.hour.prune(now_ms, HOUR_MS);

        let minute_full = log.minute.total >= self.per_minute;
        let hour_full = log.hour.total >= self.per_hour;
        if minute_full || hour_full {
            // Nothing is recorded: a refused request uses up neither window.
            let mut frees_at = now_ms;
            if minute_full {
                frees_at = frees_at.max(log.minute.frees_at_ms(now_ms, MINUTE_MS));
            }
            if hour_full {
                frees_at = frees_at.max(log.hour.frees_at_ms(now_ms, HOUR_MS));
            }
            let (limit, window, span) = if hour_full {
                (self.per_hour, &log.hour, HOUR_MS)
            } else {
                (self.per_minute, &log.minute, MINUTE_MS)
            };
            return Decision {
                allowed: false,
                limit,
                remaining: 0,
                reset_at: ceil_seconds(window.frees_at_ms(now_ms, span)),
                retry_after: ceil_seconds(frees_at - now_ms).max(1) as u64,
            };
        }

        log.minute.push(now_ms);
        log.hour.push(now_ms);
        let minute_left = self.per_minute - log.minute.total;
        let hour_left = self.per_hour - log.hour.total;
        let (limit, remaining, window, span) = if hour_left < minute_left {
            (self.per_hour, hour_left, &log.hour, HOUR_MS)
        } else {
            (self.per_minute, minute_left, &log.minute, MINUTE_MS)
        };
        Decision {
            allowed: true,
            limit,
            remaining,
            reset_at: ceil_seconds(window.frees_at_ms(now_ms, span)),
            retry_after: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts accepted requests in every rolling span ending at an accepted request.
    fn max_in_any_span(accepted: &[i64], span: i64) -> usize {
        accepted
            .iter()
            .map(|&end| {
                accepted
                    .iter()
                    .filter(|&&t| t > end - span && t <= end)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn never_more_than_the_limit_in_any_rolling_span() {
        let limiter = InProcessLimiter::new(60, 1_000);
        let mut accepted = Vec::new();
        // A request every 250 ms for 2.5 hours, bursts at window edges included.
        let mut t = 1_000_000;
        while t < 1_000_000 + 9_000_000 {
            if limiter.decide("k", t).allowed {
                accepted.push(t);
            }
            t += 250;
        }
        assert_eq!(max_in_any_span(&accepted, MINUTE_MS), 60);
        assert_eq!(max_in_any_span(&accepted, HOUR_MS), 1_000);
    }

    #[test]
    fn waiting_retry_after_is_enough() {
        let limiter = InProcessLimiter::new(3, 100);
        let start = 10_500;
        for i in 0..3 {
            assert!(limiter.decide("k", start + i * 100).allowed);
        }
        let refused = limiter.decide("k", start + 400);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, 60);
        assert!(!limiter.decide("k", start + 400 + 59_000).allowed);
        assert!(limiter.decide("k", start + 400 + 60_000).allowed);
    }

    #[test]
    fn refused_requests_do_not_use_up_the_hour() {
        let limiter = InProcessLimiter::new(2, 4);
        assert!(limiter.decide("k", 0).allowed);
        assert!(limiter.decide("k", 1).allowed);
        for t in 2..50 {
            assert!(!limiter.decide("k", t).allowed);
        }
        assert!(limiter.decide("k", 60_000).allowed);
        let last = limiter.decide("k", 60_001);
        assert!(last.allowed);
        assert_eq!(last.remaining, 0);
        let refused = limiter.decide("k", 120_002);
        assert!(!refused.allowed, "the hour holds 4 accepted requests");
        assert_eq!(refused.limit, 4);
        assert_eq!(refused.retry_after, 3_480);
    }

    #[test]
    fn keys_are_limited_independently() {
        let limiter = InProcessLimiter::new(1, 10);
        assert!(limiter.decide("a", 0).allowed);
        assert!(!limiter.decide("a", 1).allowed);
        assert!(limiter.decide("b", 1).allowed);
    }
}
