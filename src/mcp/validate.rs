//! `validate_post`: what creating a post would say, and what LinkedIn would be sent, without
//! creating anything. The checks are the post validation every face uses; the text is the
//! publisher's own "little" escaping.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::error::ApiError;
use crate::domain::post::{PostFields, PostInput};
use crate::domain::time::rfc3339;
use crate::linkedin::little_text;

/// The arguments: those of `create_post` but the status, which follows from `scheduledAt`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValidateArgs {
    pub content: Option<String>,
    pub scheduled_at: Option<String>,
}

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
    /// `draft`, or `scheduled` when `scheduledAt` was given; `null` when refused.
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

/// Checks `args` as `create_post` would at `now`.
pub fn dry_run(args: ValidateArgs, now: DateTime<Utc>) -> Validation {
    let content = args.content.clone().unwrap_or_default();
    let status = args.scheduled_at.as_ref().map(|_| "scheduled".to_owned());
    let input = PostInput {
        content: args.content,
        status,
        scheduled_at: args.scheduled_at,
    };
    let (fields, failure) = match PostFields::create(input, now) {
        Ok(fields) => (Some(fields), None),
        Err(err) => {
            let err = ApiError::from(err);
            let refusal = Refusal {
                code: err.code(),
                message: err.client_message(),
            };
            (None, Some(refusal))
        }
    };
    Validation {
        accepted: fields.is_some(),
        length: little_text::visible_len(&content),
        max_length: little_text::MAX_CHARS,
        status: fields.as_ref().map(|f| f.status.as_str()),
        scheduled_at: fields.as_ref().and_then(|f| f.scheduled_at).map(rfc3339),
        commentary: little_text::escape(&content),
        failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-01-05T09:00:00Z".parse().unwrap()
    }

    fn args(content: &str, scheduled_at: Option<&str>) -> ValidateArgs {
        ValidateArgs {
            content: Some(content.into()),
            scheduled_at: scheduled_at.map(Into::into),
        }
    }

    #[test]
    fn an_accepted_post_shows_linkedins_text() {
        let verdict = dry_run(args("Hi (all) #rust", None), now());
        assert!(verdict.accepted);
        assert_eq!(verdict.length, 14);
        assert_eq!(verdict.status, Some("draft"));
        assert_eq!(verdict.commentary, "Hi \\(all\\) {hashtag|\\#|rust}");
        assert!(verdict.failure.is_none());
    }

    #[test]
    fn a_schedule_makes_it_scheduled_and_a_past_one_is_refused() {
        let later = dry_run(args("x", Some("2026-01-06T10:00:00+01:00")), now());
        assert_eq!(later.status, Some("scheduled"));
        assert_eq!(later.scheduled_at.as_deref(), Some("2026-01-06T09:00:00Z"));
        let past = dry_run(args("x", Some("2026-01-04T10:00:00Z")), now());
        assert!(!past.accepted);
        assert_eq!(past.failure.unwrap().code, "INVALID_SCHEDULE");
    }

    #[test]
    fn too_long_is_refused_with_its_length() {
        let verdict = dry_run(args(&"a".repeat(3_001), None), now());
        assert!(!verdict.accepted);
        assert_eq!((verdict.length, verdict.max_length), (3_001, 3_000));
        assert_eq!(verdict.failure.unwrap().code, "INVALID_CONTENT");
    }
}
