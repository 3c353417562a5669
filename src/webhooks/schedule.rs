//! When a message is attempted: the delay before each attempt, the first one included, as
//! Svix and most Standard Webhooks senders space them (immediately, 5 s, 5 min, 30 min, 2 h,
//! 5 h, 10 h, 10 h: a receiver down for a day still gets the message).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The default schedule, as `LINKEDGROW_WEBHOOK_RETRY_SCHEDULE` writes it.
pub const DEFAULT_RETRY_SCHEDULE: &str = "0,5,300,1800,7200,18000,36000,36000";

/// The longest one delay may be: a week (a longer one is surely a typo).
const MAX_DELAY_SECS: u64 = 7 * 24 * 3_600;

/// The longest a receiver's `Retry-After` may push the next attempt back.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3_600);

/// The delay before each attempt, the first being the initial one: its length is the number
/// of attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

/// Why a retry schedule does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// No delay at all.
    #[error("the retry schedule needs at least one delay in seconds, e.g. \"0,5,300\"")]
    Empty,
    /// An entry that is not a whole number of seconds.
    #[error("{0:?} in the retry schedule is not a whole number of seconds; write delays like \"0,5,300\"")]
    NotSeconds(String),
    /// An entry longer than a week.
    #[error("{0} seconds in the retry schedule is longer than a week (604800 seconds)")]
    TooLong(u64),
}

impl RetrySchedule {
    /// How many attempts a message gets in all.
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// The delay before attempt `attempt_number` (1 is the first attempt); `None` past the end.
    pub fn delay_before(&self, attempt_number: u32) -> Option<Duration> {
        let index = usize::try_from(attempt_number.checked_sub(1)?).ok()?;
        self.0.get(index).copied()
    }

    /// How long to wait after `attempts_made` attempts failed: the schedule's next delay, or the
    /// receiver's `Retry-After` (at most a day) when that is longer; `None` when no attempt is
    /// left.
    pub fn next_after_failure(
        &self,
        attempts_made: u32,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let scheduled = self.delay_before(attempts_made.checked_add(1)?)?;
        let asked = retry_after.map_or(Duration::ZERO, |asked| asked.min(MAX_RETRY_AFTER));
        Some(scheduled.max(asked))
    }
}

impl Default for RetrySchedule {
    fn default() -> Self {
        DEFAULT_RETRY_SCHEDULE
            .parse()
            .expect("the default retry schedule parses")
    }
}

impl FromStr for RetrySchedule {
    type Err = ScheduleError;

    /// Seconds separated by commas, spaces allowed: `"0, 5, 300"`.
    fn from_str(text: &str) -> Result<Self, ScheduleError> {
        if text.trim().is_empty() {
            return Err(ScheduleError::Empty);
        }
        let delays = text
            .split(',')
            .map(|entry| {
                let entry = entry.trim();
                let secs: u64 = entry
                    .parse()
                    .map_err(|_| ScheduleError::NotSeconds(entry.to_owned()))?;
                if secs > MAX_DELAY_SECS {
                    return Err(ScheduleError::TooLong(secs));
                }
                Ok(Duration::from_secs(secs))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self(delays))
    }
}

impl fmt::Display for RetrySchedule {
    /// The form [`FromStr`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, delay) in self.0.iter().enumerate() {
            let separator = if i == 0 { "" } else { "," };
            write!(f, "{separator}{}", delay.as_secs())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn the_default_is_svix_s_eight_attempts() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.attempts(), 8);
        assert_eq!(schedule.to_string(), DEFAULT_RETRY_SCHEDULE);
        let delays: Vec<_> = (1..=8).map(|n| schedule.delay_before(n).unwrap()).collect();
        assert_eq!(
            delays,
            [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000].map(secs)
        );
        assert_eq!(schedule.delay_before(0), None);
        assert_eq!(schedule.delay_before(9), None);
    }

    #[test]
    fn a_schedule_parses_from_seconds_with_spaces() {
        let schedule: RetrySchedule = " 0, 1 ,1,1 ".parse().unwrap();
        assert_eq!(schedule.attempts(), 4);
        assert_eq!(schedule.to_string(), "0,1,1,1");
        assert_eq!("30".parse::<RetrySchedule>().unwrap().attempts(), 1);
    }

    #[test]
    fn a_bad_schedule_says_what_is_wrong() {
        let error = |text: &str| text.parse::<RetrySchedule>().unwrap_err().to_string();
        assert_eq!(
            error(""),
            "the retry schedule needs at least one delay in seconds, e.g. \"0,5,300\""
        );
        assert_eq!(
            error("0,5m,300"),
            "\"5m\" in the retry schedule is not a whole number of seconds; write delays like \"0,5,300\""
        );
        assert_eq!(
            error("0,,1"),
            "\"\" in the retry schedule is not a whole number of seconds; write delays like \"0,5,300\""
        );
        assert_eq!(
            error("-1"),
            "\"-1\" in the retry schedule is not a whole number of seconds; write delays like \"0,5,300\""
        );
        assert_eq!(
            error("0,604801"),
            "604801 seconds in the retry schedule is longer than a week (604800 seconds)"
        );
    }

    #[test]
    fn after_a_failure_the_next_delay_or_a_longer_retry_after() {
        let schedule: RetrySchedule = "0,5,300".parse().unwrap();
        assert_eq!(schedule.next_after_failure(1, None), Some(secs(5)));
        assert_eq!(schedule.next_after_failure(2, None), Some(secs(300)));
        assert_eq!(schedule.next_after_failure(3, None), None);
        assert_eq!(schedule.next_after_failure(3, Some(secs(1))), None);
        assert_eq!(schedule.next_after_failure(u32::MAX, None), None);
        // A shorter Retry-After does not bring the schedule forward; a longer one pushes it back.
        assert_eq!(schedule.next_after_failure(1, Some(secs(2))), Some(secs(5)));
        assert_eq!(
            schedule.next_after_failure(1, Some(secs(60))),
            Some(secs(60))
        );
        // At most a day, however long the receiver asks for.
        assert_eq!(
            schedule.next_after_failure(1, Some(secs(10 * 86_400))),
            Some(secs(86_400))
        );
    }
}
