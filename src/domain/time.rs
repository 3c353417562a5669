//! Timestamps: stored as Unix milliseconds, shown as RFC 3339 in UTC with `Z`.

use chrono::{DateTime, SecondsFormat, Utc};

/// Unix milliseconds of `at`.
pub fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The instant of Unix milliseconds `ms`.
pub fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// RFC 3339 in UTC with `Z`, to the second, as the documentation's examples show.
pub fn rfc3339(ms: i64) -> String {
    from_millis(ms).to_rfc3339_opts(SecondsFormat::Secs, true)
}
