//! Posts: what a client may send, and the rules that turn it into a post's state.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// LinkedIn's limit on a post, in Unicode scalar values.
pub const MAX_CONTENT_CHARS: usize = 3_000;

/// Where a post is in its life: `draft`, `scheduled` (to be published at `scheduledAt`) or
/// `published`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    Scheduled,
    Published,
}

impl PostStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Published => "published",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(PostStatus::Draft),
            "scheduled" => Some(PostStatus::Scheduled),
            "published" => Some(PostStatus::Published),
            _ => None,
        }
    }
}

/// The statuses a client may set; `published` is set only by publishing.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SettableStatus {
    Draft,
    Scheduled,
}

/// The body of `POST /api/v1/posts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(examples(
    json!({"content": "Hello LinkedIn"}),
    json!({"content": "Monday thoughts", "status": "scheduled", "scheduledAt": "2030-03-04T09:00:00+01:00"})
))]
pub struct CreatePostBody {
    /// The text of the post: not blank, at most 3,000 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 3000,
             pattern = "[^\t-\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]")]
    pub content: Option<String>,
    /// `draft` (the default) or `scheduled`; `scheduled` needs `scheduledAt`.
    #[schema(value_type = Option<SettableStatus>)]
    pub status: Option<String>,
    /// When to publish (RFC 3339 with an offset, in the future); only with status `scheduled`.
    #[schema(format = DateTime)]
    pub scheduled_at: Option<String>,
}

/// The body of `PUT /api/v1/posts/{id}`: only the fields sent change; `null` is the same as
/// leaving a field out.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(examples(json!({"content": "Hello again"}), json!({"status": "draft"})))]
pub struct UpdatePostBody {
    /// New text: not blank, at most 3,000 characters.
    #[schema(
        min_length = 1,
        max_length = 3000,
        pattern = "[^\t-\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub content: Option<String>,
    /// `draft` (clears `scheduledAt`) or `scheduled` (needs a `scheduledAt`, sent or kept).
    #[schema(value_type = Option<SettableStatus>)]
    pub status: Option<String>,
    /// A new time in the future (RFC 3339 with an offset); only for a post that is or becomes
    /// scheduled.
    #[schema(format = DateTime)]
    pub scheduled_at: Option<String>,
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
    pub fn create(body: CreatePostBody, now: DateTime<Utc>) -> Result<Self, ApiError> {
        let content = body
            .content
            .ok_or_else(|| ApiError::bad_request("INVALID_CONTENT", "content is required"))?;
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
        body: UpdatePostBody,
        now: DateTime<Utc>,
    ) -> Result<Self, ApiError> {
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
    ) -> Result<Self, ApiError> {
        let scheduled_at = match status {
            PostStatus::Scheduled => Some(sent_schedule.or(kept_schedule).ok_or_else(|| {
                ApiError::bad_request(
                    "INVALID_SCHEDULE",
                    "scheduledAt is required when status is \"scheduled\"",
                )
            })?),
            _ if sent_schedule.is_some() => {
                return Err(ApiError::bad_request(
                    "INVALID_SCHEDULE",
                    "scheduledAt can only be set together with status \"scheduled\"",
                ))
            }
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

fn parse_content(content: String) -> Result<String, ApiError> {
    if super::is_blank(&content) {
        return Err(ApiError::bad_request(
            "INVALID_CONTENT",
            "Post content cannot be empty",
        ));
    }
    let chars = content.chars().count();
    if chars > MAX_CONTENT_CHARS {
        return Err(ApiError::bad_request(
            "INVALID_CONTENT",
            format!("Post content is {chars} characters long; the maximum is {MAX_CONTENT_CHARS}"),
        ));
    }
    Ok(content)
}

fn parse_settable_status(s: &str) -> Result<PostStatus, ApiError> {
    match PostStatus::parse(s) {
        Some(PostStatus::Published) => Err(ApiError::bad_request(
            "INVALID_STATUS",
            "status cannot be set to \"published\"; posts are published by the scheduler",
        )),
        Some(status) => Ok(status),
        None => Err(ApiError::bad_request(
            "INVALID_STATUS",
            format!("invalid status {s:?}; allowed: \"draft\", \"scheduled\""),
        )),
    }
}

fn parse_future_time(s: &str, now: DateTime<Utc>) -> Result<i64, ApiError> {
    let at = DateTime::parse_from_rfc3339(s).map_err(|_| {
        ApiError::bad_request(
            "INVALID_SCHEDULE",
            format!(
                "scheduledAt {s:?} is not an ISO 8601 date-time with an offset, like 2026-03-01T09:00:00Z"
            ),
        )
    })?;
    let at = at.with_timezone(&Utc);
    if at.year() > 9999 {
        // RFC 3339 has four-digit years; such a time could not be shown back.
        return Err(ApiError::bad_request(
            "INVALID_SCHEDULE",
            "scheduledAt must be before the year 10000 (UTC)",
        ));
    }
    if at <= now {
        return Err(ApiError::bad_request(
            "INVALID_SCHEDULE",
            "scheduledAt must be in the future",
        ));
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
    ) -> Result<PostFields, ApiError> {
        PostFields::create(
            CreatePostBody {
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
            UpdatePostBody {
                status: Some("draft".into()),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
        assert_eq!((back.status, back.scheduled_at), (PostStatus::Draft, None));
    }
}
