//! The counts of one server process, in memory: they reset when it restarts, which costs an
//! attacker a restart they cannot cause.

use std::collections::HashMap;

use parking_lot::Mutex;

use super::{Outcome, FIRST_DELAY_MS, FORGET_AFTER_MS, MAX_DELAY_MS};

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

/// Failure counts keyed by account and by client address.
#[derive(Debug, Default)]
pub(super) struct MemoryCounts {
    entries: Mutex<HashMap<String, Failures>>,
}

impl MemoryCounts {
    /// Counts an attempt as under way for each `(key, free failures)` at `now`, or answers
    /// until when it must wait (Unix ms), counting nothing.
    pub(super) fn reserve(&self, keys: [(&str, u32); 2], now: i64) -> Result<(), i64> {
        let mut entries = self.entries.lock();
        if entries.len() > SWEEP_ABOVE {
            entries.retain(|_, f| !f.is_stale(now));
        }
        let until = keys
            .iter()
            .filter_map(|(key, free)| entries.get(*key)?.wait_until(*free, now))
            .max();
        if let Some(until) = until {
            return Err(until);
        }
        for (key, _) in keys {
            let entry = entries.entry(key.to_owned()).or_default();
            if entry.is_stale(now) {
                *entry = Failures::default();
            }
            entry.pending += 1;
        }
        Ok(())
    }

    /// Ends an attempt reserved at `at`; `account` is the first of `keys`.
    pub(super) fn end(&self, keys: [&str; 2], at: i64, outcome: Outcome) {
        let mut entries = self.entries.lock();
        for (index, key) in keys.into_iter().enumerate() {
            let Some(entry) = entries.get_mut(key) else {
                continue;
            };
            entry.pending = entry.pending.saturating_sub(1);
            match outcome {
                Outcome::Failed => {
                    entry.count += 1;
                    entry.last_at = entry.last_at.max(at);
                }
                Outcome::Succeeded if index == 0 => entry.count = 0,
                Outcome::Succeeded | Outcome::NotChecked => {}
            }
            if entry.count == 0 && entry.pending == 0 {
                entries.remove(key);
            }
        }
    }
}
