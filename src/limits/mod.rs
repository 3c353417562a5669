//! Limits on one request that are enforced above hyper's parser, so that a request over one
//! gets the error envelope: a declared body over [`MAX_BODY_BYTES`], refused before any
//! `100 Continue`, and the time the body may take ([`body_deadline`]).

pub mod body_deadline;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::payload_too_large;
use crate::MAX_BODY_BYTES;

/// Refuses a request that declares a body over the body limit without reading the body:
/// hyper sends `100 Continue` only once the body is read, so a client that asked for one
/// learns of the 413 before it sends anything.
pub async fn check_request_head(request: Request, next: Next) -> Response {
    let headers = request.headers();
    if declared_body_bytes(headers).is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        let mut response = payload_too_large().into_response();
        // The body, if the client sends it anyway, is not read: the connection cannot be reused.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    next.run(request).await
}

fn declared_body_bytes(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}
