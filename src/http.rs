//! Layers every response passes through: request ids, logging, panics, the body's size and
//! time limits, the envelope for errors the framework produces by itself, and `no-store` on
//! pages and redirects.

use std::any::Any;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::api::error::{envelope, payload_too_large, ApiError};
use crate::{limits, AppState, MAX_BODY_BYTES};

/// Wraps `router` in the layers every route shares; request bodies get `body_timeout`.
pub fn with_common_layers(router: Router<AppState>, body_timeout: Duration) -> Router<AppState> {
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &Request| {
                        let id = request
                            .headers()
                            .get("x-request-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!(
                            "request",
                            request_id = %id,
                            method = %request.method(),
                            path = %request.uri().path(),
                        )
                    })
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(axum::middleware::from_fn_with_state(
                body_timeout,
                limits::enforce,
            ))
            .layer(axum::middleware::from_fn(envelope_for_bare_errors))
            .layer(axum::middleware::map_response(no_store_for_pages))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
    )
}

/// Pages hold personal data and redirects depend on who is signed in, so neither is kept in
/// any cache: every HTML page and redirect without a `Cache-Control` of its own gets
/// `no-store`, those the web app renders, the framework's and the API reference's (`/docs`)
/// alike. Stylesheets and scripts set their own.
async fn no_store_for_pages(mut response: Response) -> Response {
    let headers = response.headers();
    let page = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    // A redirect has a Location; a 304 (also 3xx) is the API's, and stands for a 200 without it.
    let redirect = response.status().is_redirection() && headers.contains_key(header::LOCATION);
    if (page || redirect) && !headers.contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Request ids are random UUIDs (v4) drawn from the thread's user-space CSPRNG: tower-http's
/// `MakeRequestUuid` asks the kernel (`getrandom`) once per request, a system call that costs
/// more than the rest of making the id.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut text = uuid::Uuid::encode_buffer();
        let value = HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
            .expect("a UUID is a valid header value");
        Some(RequestId::new(value))
    }
}

/// The fallback for paths no route matches: an HTML page for people, the JSON envelope under
/// `/api`.
pub async fn fallback(request: Request) -> Response {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        not_found(request).await.into_response()
    } else {
        crate::web::WebError::NotFound.into_response()
    }
}

/// The 404 envelope for a path no route matches.
async fn not_found(request: Request) -> ApiError {
    ApiError::Http {
        status: StatusCode::NOT_FOUND,
        code: "NOT_FOUND",
        message: format!("no route for {} {}", request.method(), request.uri().path()),
    }
}

fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    envelope(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_ERROR",
        "internal server error; the request id identifies it in the server log",
    )
}

/// Gives error responses that carry no body of ours (405 from the router, 413 from a layer)
/// the documented envelope, keeping their headers (such as `Allow`). The framework's own
/// rejections (plain text, such as a path that does not decode as UTF-8) get the envelope under
/// `/api/` and an HTML page elsewhere: no client ever sees the framework's wording.
async fn envelope_for_bare_errors(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    match response.headers().get(header::CONTENT_TYPE) {
        None => with_envelope(response),
        Some(value) if value.as_bytes().starts_with(b"text/plain") => {
            framework_rejection(status, api)
        }
        Some(_) => response,
    }
}

/// A plain-text rejection of axum's, in our words. The only path parameters are ids (strings),
/// so a 400 here is a path whose percent-encoded bytes are not UTF-8.
fn framework_rejection(status: StatusCode, api: bool) -> Response {
    if !api {
        let error = match status {
            StatusCode::NOT_FOUND => crate::web::WebError::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => crate::web::WebError::MethodNotAllowed,
            _ => crate::web::WebError::BadRequest("the request could not be decoded".into()),
        };
        return error.into_response();
    }
    if status == StatusCode::BAD_REQUEST {
        return envelope(
            status,
            "INVALID_PATH",
            "the URL path is malformed: percent-encoded bytes must decode to UTF-8",
        );
    }
    let reason = status.canonical_reason().unwrap_or("error");
    envelope(status, &code_for(reason), reason)
}

/// `Payload Too Large` → `PAYLOAD_TOO_LARGE`.
fn code_for(reason: &str) -> String {
    reason.to_uppercase().replace([' ', '-'], "_")
}

fn with_envelope(response: Response) -> Response {
    let status = response.status();
    let (mut parts, _) = response.into_parts();
    let replacement = match status {
        StatusCode::METHOD_NOT_ALLOWED => envelope(
            status,
            "METHOD_NOT_ALLOWED",
            "this method is not allowed on this path; the Allow header lists those that are",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => payload_too_large().into_response(),
        _ => {
            let reason = status.canonical_reason().unwrap_or("error");
            envelope(status, &code_for(reason), reason)
        }
    };
    let (new_parts, body) = replacement.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(new_parts.headers);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::new(body))
}
