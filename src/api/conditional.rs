//! Conditional reads (RFC 9110 §13.1.2): every successful GET of the API carries a strong
//! `ETag`, and one whose `If-None-Match` holds the current tag is answered `304 Not Modified`
//! with that tag and no body. A dashboard polling an unchanged list then moves a few headers.
//!
//! One layer for every GET route, so a new one gets this without a line of its own: a handler
//! that tags its answer (`Tagged`, whose tag `If-Match` also checks) keeps its tag; for any
//! other 200 the tag is computed here over the body's bytes, which is how list pages, analytics
//! and the profile get theirs. The layer runs inside authentication, so a 304 is counted against
//! the key's rate limit like the 200 it stands for, and carries the rate-limit headers too.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use headers::{ETag, HeaderMapExt, IfNoneMatch};

use super::error::ApiError;
use super::etag::etag_of_bytes;

/// The middleware: tags successful reads and answers 304 when `If-None-Match` matches.
pub async fn conditional_get(request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    // An unreadable If-None-Match is no condition: the client gets the full answer.
    let condition = request.headers().typed_get::<IfNoneMatch>();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, mut body) = response.into_parts();
    if !parts.headers.contains_key(header::ETAG) {
        let bytes = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => bytes,
            Err(err) => {
                return ApiError::Internal(anyhow::anyhow!("cannot read a response body: {err}"))
                    .into_response()
            }
        };
        let tag = HeaderValue::from_str(&etag_of_bytes(&bytes)).expect("hex is a valid header");
        parts.headers.insert(header::ETAG, tag);
        body = Body::from(bytes);
    }
    let current = parts.headers.get(header::ETAG).and_then(|tag| {
        let tag: ETag = tag.to_str().ok()?.parse().ok()?;
        Some(tag)
    });
    match (condition, current) {
        (Some(condition), Some(current)) if !condition.precondition_passes(&current) => {
            not_modified(parts)
        }
        _ => Response::from_parts(parts, body),
    }
}

/// A 304 with the headers of the 200 it replaces (the `ETag` among them), less those that
/// describe the body it does not have.
fn not_modified(mut parts: axum::http::response::Parts) -> Response {
    parts.status = StatusCode::NOT_MODIFIED;
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::empty())
}
