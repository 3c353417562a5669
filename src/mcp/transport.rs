//! The HTTP around the SDK's transport: who may reach `/mcp` (DNS-rebinding protection), and
//! the API's envelope on the SDK's refusals.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::IgnoredAny;

use crate::api::error::{envelope, payload_too_large, ApiError};
use crate::api::json_body;

/// The hosts `/mcp` answers to: that of the public URL, and loopback (for assistants on the
/// same machine, and for tests). An entry without a port matches any port.
pub fn allowed_hosts(public_url: Option<&str>) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(String::from)
        .collect();
    if let Some(host) = public_url
        .and_then(|url| url::Url::parse(url).ok())
        .and_then(|url| url.host_str().map(str::to_owned))
    {
        hosts.push(host);
    }
    hosts
}

/// The browser origins `/mcp` answers: pages served from one of `hosts`, over either scheme and
/// on any port. A request without `Origin` (what assistants' clients send) is not affected; a
/// page elsewhere is refused, even when DNS rebinding has pointed its name at this server.
pub fn allowed_origins(hosts: &[String]) -> Vec<String> {
    hosts
        .iter()
        .flat_map(|host| {
            let host = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]")
            } else {
                host.clone()
            };
            ["http", "https"].map(|scheme| format!("{scheme}://{host}:*"))
        })
        .collect()
}

/// The SDK answers transport problems (a disallowed `Host` or `Origin`, a wrong `Accept`) in
/// plain text; they get the API's envelope, keeping the SDK's words as the message.
pub async fn envelope_for_sdk_errors(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|value| value.as_bytes().starts_with(b"text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, crate::MAX_BODY_BYTES)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let reason = status.canonical_reason().unwrap_or("error");
    let code = reason.to_uppercase().replace([' ', '-'], "_");
    let message = if text.is_empty() { reason } else { &text };
    let mut replacement = envelope(status, &code, message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replacement.headers_mut().insert(name, value.clone());
        }
    }
    replacement.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    replacement.map(Body::new)
}

/// The SDK answers a JSON body that is not a JSON-RPC message with 415, as if the
/// `Content-Type` were wrong. Such a body gets 400 with the REST API's codes instead:
/// `MALFORMED_JSON` when it is not JSON at all, `INVALID_BODY` when it is JSON of another shape.
///
/// The API's envelope rather than a JSON-RPC parse error (-32700): the transport lets a server
/// refuse a POST it cannot accept with any HTTP error status, a JSON-RPC error could not name
/// the request it answers (there is no id to read), and every other refusal on `/mcp` before
/// the protocol begins (401, 403, 406, 413, 415) is already the envelope.
pub async fn refuse_unreadable_messages(request: Request, next: Next) -> Response {
    if request.method() != Method::POST || !declares_json(request.headers()) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await else {
        return payload_too_large().into_response();
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    // With the Content-Type the SDK asks for, its 415 can only be about the body.
    if response.status() != StatusCode::UNSUPPORTED_MEDIA_TYPE {
        return response;
    }
    let refusal = match json_body::parse::<IgnoredAny>(&bytes) {
        Err(malformed) => malformed,
        Ok(_) => ApiError::bad_request(
            "INVALID_BODY",
            "invalid request body: it must be one JSON-RPC 2.0 request, notification or response",
        ),
    };
    refusal.into_response()
}

/// Whether `Content-Type` is what the SDK accepts: `application/json`, parameters aside.
fn declares_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<mime::Mime>().ok())
        .is_some_and(|mime| mime.essence_str() == "application/json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_the_allowed_hosts_over_either_scheme_on_any_port() {
        let hosts = allowed_hosts(Some("https://grow.example.org/app"));
        assert_eq!(
            allowed_origins(&hosts),
            [
                "http://localhost:*",
                "https://localhost:*",
                "http://127.0.0.1:*",
                "https://127.0.0.1:*",
                "http://[::1]:*",
                "https://[::1]:*",
                "http://grow.example.org:*",
                "https://grow.example.org:*",
            ]
        );
    }
}
