//! Posts: what a client may send, and the rules that turn it into a post's state.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// LinkedIn's limit on a post, in Unicode scalar values.
pub const MAX_CONTENT_CHARS: usize = 3_000;

/// Where a post is in its life: `draft`, `scheduled` (to be published at `scheduledAt`),
/// `published`, or `failed` (LinkedIn did not take it; `failure` says why).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    Scheduled,
    Published,
    Failed,
}

impl PostStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Published => "published",
            PostStatus::Failed => "failed",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(PostStatus::Draft),
            "scheduled" => Some(PostStatus::Scheduled),
            "published" => Some(PostStatus::Published),
            "failed" => Some(PostStatus::Failed),
            _ => None,
        }
    }
}

/// What a client sent for a post, each part as sent (`None`: left out). The API's JSON bodies and
/// the web app's form both become this, so both go through the same rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostInput {
    pub content: Option<String>,
    pub status: Option<String>,
    /// RFC 3339 with an offset.
    pub scheduled_at: Option<String>,
}

/// Why a post's content, status or schedule was refused; the messages are the API's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    #[error("content is required")]
    ContentMissing,
    #[error("Post content cannot be empty")]
    ContentBlank,
    #[error("Post content is {chars} characters long; the maximum is {MAX_CONTENT_CHARS}")]
    ContentTooLong { chars: usize },
    #[error("status cannot be set to \"published\"; posts are published by the scheduler")]
    StatusPublished,
    #[error("status cannot be set to \"failed\"; only a refused publication sets it")]
    StatusFailed,
    #[error("invalid status {0:?}; allowed: \"draft\", \"scheduled\"")]
    StatusUnknown(String),
    #[error("scheduledAt is required when status is \"scheduled\"")]
    ScheduleMissing,
    #[error("scheduledAt can only be set together with status \"scheduled\"")]
    ScheduleWithoutStatus,
    #[error(
        "scheduledAt {0:?} is not an ISO 8601 date-time with an offset, like 2026-03-01T09:00:00Z"
    )]
    ScheduleMalformed(String),
    /// RFC 3339 has four-digit years; such a time could not be shown back.
    #[error("scheduledAt must be before the year 10000 (UTC)")]
    ScheduleTooLate,
    #[error("scheduledAt must be in the future")]
    ScheduleInPast,
}

/// The client-settable state of a post, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostFields {
    pub content: String,
    pub status: PostStatus,
    /// Unix milliseconds; `Some` exactly when the status is scheduled.
    pub scheduled_at: Option<i64>,
}

impl PostFields {
    /// Validates a new post at `now`.
    pub fn create(body: PostInput, now: DateTime<Utc>) -> Result<Self, PostError> {
        let content = body.content.ok_or(PostError::ContentMissing)?;
        let status = match body.status.as_deref() {
            Some(s) => parse_settable_status(s)?,
            None => PostStatus::Draft,
        };
        let scheduled_at = body
            .scheduled_at
            .as_deref()
            .map(|s| parse_future_time(s, now))
            .transpose()?;
        Self::checked(parse_content(content)?, status, scheduled_at, None)
    }

    /// Applies a partial update to the current state at `now`.
    pub fn update(
        current: &PostFields,
        body: PostInput,
        now: DateTime<Utc>,
    ) -> Result<Self, PostError> {
        let content = match body.content {
            Some(content) => parse_content(content)?,
            None => current.content.clone(),
        };
        let status = match body.status.as_deref() {
            Some(s) => parse_settable_status(s)?,
            None => current.status,
        };
        let scheduled_at = body
            .scheduled_at
            .as_deref()
            .map(|s| parse_future_time(s, now))
            .transpose()?;
        Self::checked(content, status, scheduled_at, current.scheduled_at)
    }

    fn checked(
        content: String,
        status: PostStatus,
        sent_schedule: Option<i64>,
        kept_schedule: Option<i64>,
    ) -> Result<Self, PostError> {
        let scheduled_at = match status {
            PostStatus::Scheduled => Some(
                sent_schedule
                    .or(kept_schedule)
                    .ok_or(PostError::ScheduleMissing)?,
            ),
            _ if sent_schedule.is_some() => return Err(PostError::ScheduleWithoutStatus),
            // Back to draft: the schedule is cleared.
            _ => None,
        };
        Ok(Self {
            content,
            status,
            scheduled_at,
        })
    }
}

fn parse_content(content: String) -> Result<String, PostError> {
    if super::is_blank(&content) {
        return Err(PostError::ContentBlank);
    }
    let chars = content.chars().count();
    if chars > MAX_CONTENT_CHARS {
        return Err(PostError::ContentTooLong { chars });
    }
    Ok(content)
}

fn parse_settable_status(s: &str) -> Result<PostStatus, PostError> {
    match PostStatus::parse(s) {
        Some(PostStatus::Published) => Err(PostError::StatusPublished),
        Some(PostStatus::Failed) => Err(PostError::StatusFailed),
        Some(status) => Ok(status),
        None => Err(PostError::StatusUnknown(s.to_owned())),
    }
}

fn parse_future_time(s: &str, now: DateTime<Utc>) -> Result<i64, PostError> {
    let at = DateTime::parse_from_rfc3339(s)
        .map_err(|_| PostError::ScheduleMalformed(s.to_owned()))?
        .with_timezone(&Utc);
    if at.year() > 9999 {
        return Err(PostError::ScheduleTooLate);
    }
    if at <= now {
        return Err(PostError::ScheduleInPast);
    }
    Ok(at.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn create(
        content: &str,
        status: Option<&str>,
        at: Option<&str>,
    ) -> Result<PostFields, PostError> {
        PostFields::create(
            PostInput {
                content: Some(content.into()),
                status: status.map(Into::into),
                scheduled_at: at.map(Into::into),
            },
            now(),
        )
    }

    #[test]
    fn content_counts_characters_not_bytes() {
        assert!(create(&"é".repeat(3_000), None, None).is_ok());
        assert!(create(&"é".repeat(3_001), None, None).is_err());
        assert!(create(" \n\t", None, None).is_err());
    }

    #[test]
    fn scheduling_rules() {
        let post = create("x", Some("scheduled"), Some("2026-01-01T02:00:00+02:00"));
        assert!(post.is_err(), "midnight UTC is not in the future");
        let post = create("x", Some("scheduled"), Some("2026-01-01T03:00:00+02:00")).unwrap();
        assert_eq!(
            post.scheduled_at,
            Some(3_600_000 + now().timestamp_millis())
        );
        assert!(create("x", Some("scheduled"), None).is_err());
        assert!(create("x", None, Some("2026-02-01T00:00:00Z")).is_err());
        assert!(create("x", Some("published"), None).is_err());
        assert!(create("x", Some("scheduled"), Some("2026-02-01T00:00:00")).is_err());
        let back = PostFields::update(
            &post,
            PostInput {
                status: Some("draft".into()),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
        assert_eq!((back.status, back.scheduled_at), (PostStatus::Draft, None));
    }
}
