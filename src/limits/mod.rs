//! Limits on one request that are enforced above hyper's parser, so that a request over one
//! gets the error envelope: the URI's length, the number and size of header fields, a declared
//! body over [`MAX_BODY_BYTES`] (refused before any `100 Continue`), and the time the body may
//! take ([`body_deadline`]).

mod body_deadline;

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::error::{payload_too_large, ApiError};
use crate::MAX_BODY_BYTES;

/// Longest request target (path and query), in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header fields in one request.
pub const MAX_HEADERS: usize = 100;
/// Most bytes of header names and values in one request, together.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Enforces this module's limits on `request`; its body gets `body_timeout`. One layer rather
/// than two: each costs an allocation or two on every request.
pub async fn enforce(
    State(body_timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match refusal(&request) {
        Some(response) => response,
        None => body_deadline::run(body_timeout, request, next).await,
    }
}

/// The answer to a request whose head is over a limit, or that declares a body over the body
/// limit. The body is not read: hyper sends `100 Continue` only once the body is read, so a
/// client that asked for one learns of the 413 before it sends anything.
fn refusal(request: &Request) -> Option<Response> {
    if uri_bytes(request) > MAX_URI_BYTES {
        let error = ApiError::Http {
            status: StatusCode::URI_TOO_LONG,
            code: "URI_TOO_LONG",
            message: format!("the request URI is longer than {MAX_URI_BYTES} bytes"),
        };
        return Some(error.into_response());
    }
    let headers = request.headers();
    if headers.len() > MAX_HEADERS || header_bytes(headers) > MAX_HEADER_BYTES {
        let error = ApiError::Http {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            code: "REQUEST_HEADER_FIELDS_TOO_LARGE",
            message: format!(
                "a request may have at most {MAX_HEADERS} header fields and \
                 {MAX_HEADER_BYTES} bytes of header names and values"
            ),
        };
        return Some(error.into_response());
    }
    if declared_body_bytes(headers).is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        let mut response = payload_too_large().into_response();
        // The body, if the client sends it anyway, is not read: the connection cannot be reused.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return Some(response);
    }
    None
}

fn uri_bytes(request: &Request) -> usize {
    let uri = request.uri();
    uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(0, |pq| pq.as_str().len())
}

fn header_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum()
}

fn declared_body_bytes(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}
