//! Analytics figures: what LinkedIn reports per post and day, and what the API derives from it.

use std::ops::AddAssign;

use chrono::{Duration, NaiveDate};

/// The longest range one analytics request may cover, in days (both ends included).
pub const MAX_RANGE_DAYS: i64 = 366;
/// The range used when the client names none, in days (ending today).
pub const DEFAULT_RANGE_DAYS: i64 = 30;

/// One post's (or a sum of posts') figures, as LinkedIn's member post analytics name them:
/// IMPRESSION, MEMBERS_REACHED, REACTION, COMMENT, RESHARE.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metrics {
    pub impressions: u64,
    pub members_reached: u64,
    pub reactions: u64,
    pub comments: u64,
    pub reposts: u64,
}

impl Metrics {
    /// (reactions + comments + reposts) / impressions; 0 without impressions.
    pub fn engagement_rate(&self) -> f64 {
        if self.impressions == 0 {
            return 0.0;
        }
        (self.reactions + self.comments + self.reposts) as f64 / self.impressions as f64
    }
}

impl AddAssign for Metrics {
    fn add_assign(&mut self, other: Self) {
        self.impressions += other.impressions;
        self.members_reached += other.members_reached;
        self.reactions += other.reactions;
        self.comments += other.comments;
        self.reposts += other.reposts;
    }
}

/// Why a range of days was refused; the messages are the API's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// `name` (`from` or `to`) is not a `YYYY-MM-DD` date.
    #[error("{name} must be a date as YYYY-MM-DD, got {raw:?}")]
    MalformedDay { name: String, raw: String },
    #[error("from ({from}) is after to ({to})")]
    FromAfterTo { from: NaiveDate, to: NaiveDate },
    #[error("the range covers {days} days; at most {MAX_RANGE_DAYS} are allowed")]
    TooLong { days: i64 },
}

/// A range of UTC days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DayRange {
    /// The range the query names: `to` defaults to `today`, `from` to `default_from(to)`.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
        default_from: impl FnOnce(NaiveDate) -> NaiveDate,
    ) -> Result<Self, RangeError> {
        let to = match to {
            Some(raw) => parse_day("to", raw)?,
            None => today,
        };
        let from = match from {
            Some(raw) => parse_day("from", raw)?,
            None => default_from(to),
        };
        if from > to {
            return Err(RangeError::FromAfterTo { from, to });
        }
        let range = Self { from, to };
        if range.days() > MAX_RANGE_DAYS {
            return Err(RangeError::TooLong { days: range.days() });
        }
        Ok(range)
    }

    /// The last [`DEFAULT_RANGE_DAYS`] days ending with `to`.
    pub fn default_from(to: NaiveDate) -> NaiveDate {
        to - Duration::days(DEFAULT_RANGE_DAYS - 1)
    }

    /// How many days the range covers.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// Every day of the range, in order.
    pub fn iter(&self) -> impl Iterator<Item = NaiveDate> {
        self.from.iter_days().take(self.days() as usize)
    }
}

/// A `YYYY-MM-DD` date, exactly.
pub fn parse_day(name: &str, raw: &str) -> Result<NaiveDate, RangeError> {
    let well_formed = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    well_formed
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| RangeError::MalformedDay {
            name: name.to_owned(),
            raw: raw.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn engagement_rate_is_zero_without_impressions() {
        assert_eq!(Metrics::default().engagement_rate(), 0.0);
        let m = Metrics {
            impressions: 200,
            reactions: 5,
            comments: 3,
            reposts: 2,
            ..Default::default()
        };
        assert_eq!(m.engagement_rate(), 0.05);
    }

    #[test]
    fn ranges() {
        let today = day("2026-03-01");
        let r = DayRange::parse(None, None, today, DayRange::default_from).unwrap();
        assert_eq!((r.from, r.to, r.days()), (day("2026-01-31"), today, 30));
        let r = DayRange::parse(Some("2025-03-01"), None, today, DayRange::default_from).unwrap();
        assert_eq!(r.days(), 366);
        assert!(DayRange::parse(Some("2025-02-28"), None, today, DayRange::default_from).is_err());
        assert!(DayRange::parse(Some("2026-03-02"), None, today, DayRange::default_from).is_err());
        for bad in [
            "2026-3-01",
            "2026-02-30",
            "20260301",
            "2026-03-01T00:00:00Z",
            "+2026-03-1",
        ] {
            assert!(parse_day("from", bad).is_err(), "{bad}");
        }
        assert_eq!(r.iter().count(), 366);
    }
}
