//! `validate_post`: what creating a post would say, and what LinkedIn would be sent, without
//! creating anything. The arguments are read and checked by `create_post`'s own code; the text
//! is the publisher's own "little" escaping.

use serde::Serialize;

use crate::api::error::ApiError;
use crate::domain::post::PostFields;
use crate::domain::time::rfc3339;
use crate::linkedin::little_text;

/// The verdict.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Validation {
    /// Whether `create_post` with these arguments would make the post.
    pub accepted: bool,
    /// The content's length as LinkedIn counts it (escaping does not count).
    pub length: usize,
    /// LinkedIn's limit, 3,000.
    pub max_length: usize,
    /// The status the post would have (`draft` or `scheduled`); `null` when refused.
    pub status: Option<&'static str>,
    /// The time it would be published (RFC 3339, UTC); `null` for a draft or when refused.
    pub scheduled_at: Option<String>,
    /// The exact `commentary` LinkedIn's Posts API would receive.
    pub commentary: String,
    /// Why it would be refused, with the code and message `create_post` would answer; `null`
    /// when accepted. Named like a post's `failure`: a result with an `error` field reads like
    /// an error to clients.
    pub failure: Option<Refusal>,
}

/// A refusal's code and message, as the error envelope would carry them.
#[derive(Debug, Serialize)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Validation {
    /// The verdict on `content`, given what `create_post`'s own reading and checking of the
    /// same arguments (`checked`) came to.
    pub fn of(content: &str, checked: Result<PostFields, ApiError>) -> Self {
        let (fields, failure) = match checked {
            Ok(fields) => (Some(fields), None),
            Err(err) => {
                let refusal = Refusal {
                    code: err.code(),
                    message: err.client_message(),
                };
                (None, Some(refusal))
            }
        };
        Self {
            accepted: fields.is_some(),
            length: little_text::visible_len(content),
            max_length: little_text::MAX_CHARS,
            status: fields.as_ref().map(|f| f.status.as_str()),
            scheduled_at: fields.as_ref().and_then(|f| f.scheduled_at).map(rfc3339),
            commentary: little_text::escape(content),
            failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::api::posts::{check_new_post, CreatePostBody};

    fn now() -> DateTime<Utc> {
        "2026-01-05T09:00:00Z".parse().unwrap()
    }

    fn verdict(content: &str, status: Option<&str>, scheduled_at: Option<&str>) -> Validation {
        let body = CreatePostBody {
            content: Some(content.into()),
            status: status.map(Into::into),
            scheduled_at: scheduled_at.map(Into::into),
        };
        Validation::of(content, check_new_post(body, now()))
    }

    #[test]
    fn an_accepted_post_shows_linkedins_text() {
        let verdict = verdict("Hi (all) #rust", None, None);
        assert!(verdict.accepted);
        assert_eq!(verdict.length, 14);
        assert_eq!(verdict.status, Some("draft"));
        assert_eq!(verdict.commentary, "Hi \\(all\\) {hashtag|\\#|rust}");
        assert!(verdict.failure.is_none());
    }

    #[test]
    fn a_schedule_needs_the_scheduled_status_and_a_future_time() {
        let later = verdict("x", Some("scheduled"), Some("2026-01-06T10:00:00+01:00"));
        assert_eq!(later.status, Some("scheduled"));
        assert_eq!(later.scheduled_at.as_deref(), Some("2026-01-06T09:00:00Z"));
        let draft = verdict("x", None, Some("2026-01-06T10:00:00+01:00"));
        assert!(!draft.accepted);
        assert_eq!(draft.failure.unwrap().code, "INVALID_SCHEDULE");
        let past = verdict("x", Some("scheduled"), Some("2026-01-04T10:00:00Z"));
        assert!(!past.accepted);
        assert_eq!(past.failure.unwrap().code, "INVALID_SCHEDULE");
    }

    #[test]
    fn too_long_is_refused_with_its_length() {
        let verdict = verdict(&"a".repeat(3_001), None, None);
        assert!(!verdict.accepted);
        assert_eq!((verdict.length, verdict.max_length), (3_001, 3_000));
        assert_eq!(verdict.failure.unwrap().code, "INVALID_CONTENT");
    }
}
