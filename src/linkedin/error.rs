//! What can go wrong talking to LinkedIn, classified once for every operation; the codes are
//! what the publisher stores on a post.
//!
//! # Retryable or in doubt
//!
//! A failed `POST /rest/posts` is either known not to have reached LinkedIn (safe to send again)
//! or *in doubt* (LinkedIn may have created the post). Only reqwest's `is_connect()` proves the
//! first: the TCP connection or the TLS handshake failed, or the connect timeout fired, so no
//! byte of the request left this machine. Everything else after that point is in doubt: the
//! overall timeout, a reset or close while the request was being written or its answer awaited,
//! a broken answer. hyper does not report how much of a request was written, so "reset while
//! writing the body" and "reset after LinkedIn read it all" look the same, and both are in doubt.
//! One case that would be safe is handled below us: a request given a kept-alive connection
//! that turns out closed before anything is written is re-sent by hyper-util on a new
//! connection (`retry_canceled_requests`, on by default), so it never reaches us. The client
//! speaks HTTP/1.1 only, where these rules hold; HTTP/2's `REFUSED_STREAM` would add cases.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use serde::Deserialize;

use super::urn::PostUrn;

/// The longest piece of LinkedIn's own message we keep; its validation messages can be long.
const MAX_MESSAGE_CHARS: usize = 500;

/// A failed LinkedIn call. `Display` is the message for the operator or the post's owner; it
/// never holds a token, secret or authorization code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkedInError {
    /// 401: the access token is expired or revoked; the member must connect again.
    #[error("LinkedIn refused the access token ({message}); connect LinkedIn again")]
    TokenInvalid { message: String },
    /// 403: the token lacks the permission (scope) or the member may not act on this.
    #[error("LinkedIn refused the request as not permitted: {message}")]
    Forbidden { message: String },
    /// 400 or 422 (or another 4xx): LinkedIn will not accept this request as it is.
    #[error("LinkedIn rejected the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// 422 `DUPLICATE_POST`: LinkedIn already has a post with this text from this member.
    #[error("LinkedIn already has this post{}: {message}", urn.as_ref().map(|u| format!(" as {u}")).unwrap_or_default())]
    Duplicate {
        /// The existing post, read from LinkedIn's message.
        urn: Option<PostUrn>,
        message: String,
    },
    /// 426 `NONEXISTENT_VERSION`: the configured `LinkedIn-Version` is retired.
    #[error("LinkedIn no longer serves API version {version}; set LINKEDGROW_LINKEDIN_VERSION to a current version (YYYYMM, e.g. last month's)")]
    VersionRetired { version: String },
    /// 404: the post (or resource) does not exist, for example deleted already.
    #[error("LinkedIn has no such resource: {message}")]
    NotFound { message: String },
    /// The OAuth token endpoint refused the code exchange (`invalid_grant`, `invalid_client` …).
    #[error("LinkedIn refused the authorization ({error}): {description}")]
    Authorization { error: String, description: String },
    /// 429, 5xx, or no connection: nothing was done, or LinkedIn asks to come back later.
    #[error("LinkedIn is unavailable: {reason}")]
    Retryable {
        reason: String,
        /// `Retry-After` in seconds, when LinkedIn sent one.
        retry_after: Option<Duration>,
        /// The HTTP status, when there was an answer.
        status: Option<u16>,
    },
    /// The request may have reached LinkedIn and been acted on, but no answer came back.
    #[error("no answer from LinkedIn, which may have acted on the request: {reason}")]
    InDoubt { reason: String },
    /// LinkedIn answered in a way the client does not understand.
    #[error("unexpected answer from LinkedIn: {reason}")]
    Unexpected { reason: String },
}

impl LinkedInError {
    /// The stable code stored on a post and shown by the API. A `Duplicate` is a rejection
    /// unless the publisher knows an earlier attempt of the same post is in doubt.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TokenInvalid { .. } => "LINKEDIN_TOKEN_INVALID",
            Self::Forbidden { .. } => "LINKEDIN_FORBIDDEN",
            Self::Rejected { .. } | Self::Duplicate { .. } => "LINKEDIN_REJECTED",
            Self::VersionRetired { .. } => "LINKEDIN_VERSION_RETIRED",
            Self::NotFound { .. } => "LINKEDIN_NOT_FOUND",
            Self::Authorization { .. } => "LINKEDIN_AUTHORIZATION_FAILED",
            Self::Retryable { .. } => "LINKEDIN_UNAVAILABLE",
            Self::InDoubt { .. } => "LINKEDIN_IN_DOUBT",
            Self::Unexpected { .. } => "LINKEDIN_UNEXPECTED_RESPONSE",
        }
    }

    /// Whether sending the same request again later is safe and may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }

    /// How long LinkedIn asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Retryable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether LinkedIn may have carried out the request although this call failed: true when
    /// in doubt, and for a 500/502/504, which an edge can answer after the backend acted. A
    /// publisher that resends such a post counts a `DUPLICATE_POST` as published.
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Self::InDoubt { .. } => true,
            Self::Retryable {
                status: Some(status),
                ..
            } => matches!(status, 500 | 502 | 504),
            _ => false,
        }
    }
}

/// LinkedIn's error bodies: Rest.li's `{message, status, code, serviceErrorCode, errorDetails}`
/// and OAuth's `{error, error_description}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ErrorBody {
    message: Option<String>,
    code: Option<String>,
    error_details: Option<ErrorDetails>,
    error: Option<String>,
    #[serde(rename = "error_description")]
    error_description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ErrorDetails {
    input_errors: Vec<InputError>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InputError {
    code: Option<String>,
}

/// Classifies a non-success answer; `version` is the `LinkedIn-Version` that was sent.
pub(crate) fn from_answer(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    version: &str,
) -> LinkedInError {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let message = shorten(
        parsed
            .message
            .clone()
            .or_else(|| parsed.error_description.clone())
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("no message").to_owned()),
    );
    if let Some(error) = parsed.error.clone() {
        if matches!(status.as_u16(), 400 | 401) {
            return LinkedInError::Authorization {
                error: shorten(error),
                description: message,
            };
        }
    }
    match status.as_u16() {
        401 => LinkedInError::TokenInvalid { message },
        403 => LinkedInError::Forbidden { message },
        404 => LinkedInError::NotFound { message },
        426 if parsed.code.as_deref() == Some("NONEXISTENT_VERSION") => {
            LinkedInError::VersionRetired {
                version: version.to_owned(),
            }
        }
        400 | 422 if is_duplicate(&parsed) => LinkedInError::Duplicate {
            urn: duplicate_of(parsed.message.as_deref().unwrap_or_default()),
            message,
        },
        429 | 500..=599 => LinkedInError::Retryable {
            reason: format!("{} {message}", status.as_u16()),
            retry_after: retry_after(headers),
            status: Some(status.as_u16()),
        },
        code => LinkedInError::Rejected {
            status: code,
            message,
        },
    }
}

/// Classifies a failure below HTTP; see the module documentation for why only a connect
/// failure is retryable.
pub(crate) fn from_transport(error: reqwest::Error) -> LinkedInError {
    let error = error.without_url();
    let reason = describe(&error);
    if error.is_builder() {
        LinkedInError::Unexpected { reason }
    } else if error.is_connect() {
        LinkedInError::Retryable {
            reason: format!("could not connect: {reason}"),
            retry_after: None,
            status: None,
        }
    } else if error.is_timeout() {
        LinkedInError::InDoubt {
            reason: format!("timed out after the request was sent: {reason}"),
        }
    } else {
        LinkedInError::InDoubt {
            reason: format!("the connection broke after the request was sent: {reason}"),
        }
    }
}

fn is_duplicate(body: &ErrorBody) -> bool {
    body.error_details.as_ref().is_some_and(|details| {
        details
            .input_errors
            .iter()
            .any(|e| e.code.as_deref() == Some("DUPLICATE_POST"))
    })
}

/// The URN in "… Content is a duplicate of urn:li:share:N", wherever the sentence sits.
fn duplicate_of(message: &str) -> Option<PostUrn> {
    const MARKER: &str = "duplicate of ";
    let start = message.find(MARKER)? + MARKER.len();
    let rest = &message[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == ':'))
        .unwrap_or(rest.len());
    PostUrn::parse(&rest[..end])
}

/// `Retry-After` as delta-seconds; LinkedIn sends seconds, and an HTTP-date would need a clock.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The error and its causes on one line, as reqwest's `Display` shows only the outermost.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    shorten(text)
}

fn shorten(text: String) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn classify(status: u16, body: &str) -> LinkedInError {
        classify_with(status, &HeaderMap::new(), body)
    }

    fn classify_with(status: u16, headers: &HeaderMap, body: &str) -> LinkedInError {
        let status = StatusCode::from_u16(status).unwrap();
        from_answer(status, headers, body.as_bytes(), "202610")
    }

    #[test]
    fn each_status_has_its_code() {
        let cases = [
            (
                401,
                r#"{"status":401,"serviceErrorCode":65600,"code":"INVALID_ACCESS_TOKEN","message":"Invalid access token"}"#,
                "LINKEDIN_TOKEN_INVALID",
            ),
            (
                403,
                r#"{"status":403,"serviceErrorCode":100,"code":"ACCESS_DENIED","message":"Not enough permissions"}"#,
                "LINKEDIN_FORBIDDEN",
            ),
            (
                400,
                r#"{"status":400,"message":"Invalid argument"}"#,
                "LINKEDIN_REJECTED",
            ),
            (
                422,
                r#"{"status":422,"message":"ERROR :: /commentary :: too long"}"#,
                "LINKEDIN_REJECTED",
            ),
            (409, "", "LINKEDIN_REJECTED"),
            (
                404,
                r#"{"status":404,"message":"Not found"}"#,
                "LINKEDIN_NOT_FOUND",
            ),
            (
                426,
                r#"{"status":426,"code":"NONEXISTENT_VERSION","message":"Requested version 20230101 is not active"}"#,
                "LINKEDIN_VERSION_RETIRED",
            ),
            (
                429,
                r#"{"status":429,"message":"Resource level throttle"}"#,
                "LINKEDIN_UNAVAILABLE",
            ),
            (500, "", "LINKEDIN_UNAVAILABLE"),
            (503, "<html>busy</html>", "LINKEDIN_UNAVAILABLE"),
        ];
        for (status, body, code) in cases {
            assert_eq!(classify(status, body).code(), code, "{status} {body}");
        }
    }

    #[test]
    fn a_rejection_carries_linkedins_message() {
        let error = classify(
            422,
            r#"{"message":"ERROR :: /author :: field is required","status":422}"#,
        );
        assert_eq!(
            error,
            LinkedInError::Rejected {
                status: 422,
                message: "ERROR :: /author :: field is required".into()
            }
        );
    }

    #[test]
    fn a_duplicate_post_carries_the_existing_urn() {
        let body = r#"{"message":"ERROR :: /commentary :: Content is a duplicate of urn:li:share:7295588489876647936","status":422,"errorDetails":{"inputErrors":[{"description":"Duplicate post is detected","input":{"inputPath":{"fieldPath":"/commentary"}},"code":"DUPLICATE_POST"}]}}"#;
        let error = classify(422, body);
        let LinkedInError::Duplicate { urn, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(
            urn.as_ref().unwrap().to_string(),
            "urn:li:share:7295588489876647936"
        );
        assert_eq!(error.code(), "LINKEDIN_REJECTED");
    }

    #[test]
    fn the_duplicate_urn_is_found_in_older_message_forms_too() {
        let body = r#"{"errorDetailType":"com.linkedin.common.error.BadRequest","message":"com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of urn:li:ugcPost:12","errorDetails":{"inputErrors":[{"code":"DUPLICATE_POST"}]},"status":422}"#;
        let LinkedInError::Duplicate { urn, .. } = classify(422, body) else {
            panic!()
        };
        assert_eq!(urn.unwrap().to_string(), "urn:li:ugcPost:12");
    }

    #[test]
    fn a_duplicate_without_a_readable_urn_is_still_a_duplicate() {
        let body = r#"{"message":"Duplicate","status":422,"errorDetails":{"inputErrors":[{"code":"DUPLICATE_POST"}]}}"#;
        assert!(matches!(
            classify(422, body),
            LinkedInError::Duplicate { urn: None, .. }
        ));
    }

    #[test]
    fn a_426_without_nonexistent_version_is_a_plain_rejection() {
        assert_eq!(classify(426, "{}").code(), "LINKEDIN_REJECTED");
    }

    #[test]
    fn the_retired_version_message_tells_the_operator_what_to_set() {
        let error = classify(426, r#"{"status":426,"code":"NONEXISTENT_VERSION"}"#);
        let text = error.to_string();
        assert!(text.contains("202610"), "{text}");
        assert!(text.contains("LINKEDGROW_LINKEDIN_VERSION"), "{text}");
        assert!(text.contains("YYYYMM"), "{text}");
    }

    #[test]
    fn retry_after_seconds_are_kept_when_present() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("17"));
        let error = classify_with(429, &headers, "{}");
        assert!(error.is_retryable());
        assert_eq!(error.retry_after(), Some(Duration::from_secs(17)));
        assert_eq!(classify(503, "").retry_after(), None);
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2026 07:28:00 GMT"),
        );
        assert_eq!(classify_with(503, &headers, "").retry_after(), None);
    }

    #[test]
    fn oauth_errors_are_authorization_failures() {
        let error = classify(
            400,
            r#"{"error":"invalid_grant","error_description":"The authorization code expired"}"#,
        );
        assert_eq!(
            error,
            LinkedInError::Authorization {
                error: "invalid_grant".into(),
                description: "The authorization code expired".into()
            }
        );
        assert_eq!(
            classify(401, r#"{"error":"invalid_client"}"#).code(),
            "LINKEDIN_AUTHORIZATION_FAILED"
        );
    }

    #[test]
    fn only_in_doubt_and_gateway_errors_may_have_been_applied() {
        assert!(classify(500, "").may_have_been_applied());
        assert!(classify(504, "").may_have_been_applied());
        assert!(!classify(503, "").may_have_been_applied());
        assert!(!classify(429, "").may_have_been_applied());
        assert!(!classify(422, "{}").may_have_been_applied());
        let in_doubt = LinkedInError::InDoubt { reason: "x".into() };
        assert!(in_doubt.may_have_been_applied());
        assert!(!in_doubt.is_retryable());
    }

    #[test]
    fn long_messages_are_shortened() {
        let long = "x".repeat(2_000);
        let LinkedInError::Rejected { message, .. } =
            classify(400, &format!(r#"{{"message":"{long}"}}"#))
        else {
            panic!()
        };
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}
