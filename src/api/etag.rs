//! Strong entity tags and `If-Match`: a representation's ETag is a hash of its exact JSON bytes,
//! so equal tags mean byte-identical bodies, as RFC 9110 asks of a strong validator.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::api::error::ApiError;

/// The strong ETag of `view`'s JSON representation, quotes included.
pub fn etag_of<T: Serialize>(view: &T) -> String {
    etag_of_bytes(&serde_json::to_vec(view).expect("views serialize"))
}

/// The strong ETag of a representation's exact bytes, quotes included.
pub(crate) fn etag_of_bytes(body: &[u8]) -> String {
    format!("\"{}\"", &crate::keys::hex_sha256(body)[..32])
}

/// A JSON response carrying its strong `ETag`.
pub struct Tagged<T>(pub StatusCode, pub T);

impl<T: Serialize> IntoResponse for Tagged<T> {
    fn into_response(self) -> Response {
        let body = match serde_json::to_vec(&self.1) {
            Ok(body) => body,
            Err(err) => return ApiError::Internal(err.into()).into_response(),
        };
        let etag = etag_of_bytes(&body);
        let mut response = (self.0, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::ETAG,
            HeaderValue::from_str(&etag).expect("hex is a valid header"),
        );
        response
    }
}

/// The request's `If-Match` precondition, if it sent one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IfMatch {
    /// No `If-Match`: the change is unconditional.
    #[default]
    Absent,
    /// `If-Match: *`: any current representation will do.
    Any,
    /// The strong tags (quotes included) the client accepts; weak or malformed ones never match.
    Tags(Vec<String>),
}

impl IfMatch {
    /// Parses the header's value: `*` or a comma-separated list of entity tags.
    pub fn parse(value: &str) -> Self {
        if value.trim() == "*" {
            return Self::Any;
        }
        let mut tags = Vec::new();
        let mut rest = value.trim_start();
        while !rest.is_empty() {
            let weak = rest.starts_with("W/");
            let after = if weak { &rest[2..] } else { rest };
            let Some(quoted) = after.strip_prefix('"') else {
                break; // malformed: what was read so far stands, the rest matches nothing
            };
            let Some(end) = quoted.find('"') else { break };
            if !weak {
                tags.push(format!("\"{}\"", &quoted[..end]));
            }
            rest = quoted[end + 1..].trim_start();
            match rest.strip_prefix(',') {
                Some(next) => rest = next.trim_start(),
                None => break,
            }
        }
        Self::Tags(tags)
    }

    /// Whether a precondition was sent.
    pub fn is_present(&self) -> bool {
        *self != Self::Absent
    }

    /// Refuses with 412 unless the precondition holds for a resource whose tag is `current`.
    pub fn check(&self, current: &str) -> Result<(), ApiError> {
        match self {
            Self::Absent | Self::Any => Ok(()),
            Self::Tags(tags) if tags.iter().any(|tag| tag == current) => Ok(()),
            Self::Tags(_) => Err(precondition_failed()),
        }
    }
}

/// The 412 for a stale or unknown `If-Match`.
pub fn precondition_failed() -> ApiError {
    ApiError::Http {
        status: StatusCode::PRECONDITION_FAILED,
        code: "PRECONDITION_FAILED",
        message: "If-Match does not match the current ETag of this resource; \
                  read it again and retry with its ETag"
            .into(),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let mut values = parts.headers.get_all(header::IF_MATCH).iter().peekable();
        if values.peek().is_none() {
            return Ok(Self::Absent);
        }
        let mut tags = Vec::new();
        for value in values {
            match Self::parse(value.to_str().unwrap_or_default()) {
                Self::Any => return Ok(Self::Any),
                Self::Tags(more) => tags.extend(more),
                Self::Absent => {}
            }
        }
        Ok(Self::Tags(tags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        assert_eq!(IfMatch::parse(" * "), IfMatch::Any);
        assert_eq!(
            IfMatch::parse(r#""a", W/"b" ,"c,d""#),
            IfMatch::Tags(vec!["\"a\"".into(), "\"c,d\"".into()])
        );
        assert_eq!(IfMatch::parse("abc"), IfMatch::Tags(vec![]));
        assert!(IfMatch::parse(r#""x""#).check("\"x\"").is_ok());
        assert!(IfMatch::parse(r#"W/"x""#).check("\"x\"").is_err());
        assert!(IfMatch::Absent.check("\"x\"").is_ok());
    }
}
