//! `Idempotency-Key` on every POST, with the semantics of Stripe and the IETF httpapi draft.
//!
//! - The first request with a key runs; its response is stored per API key + Idempotency-Key
//!   for [`RETENTION_MS`] (24 hours) and replayed, status and body byte for byte, for a retry with
//!   the same method, path and body. Replays carry `Idempotent-Replayed: true`.
//! - The same key with a different request (method, path or body) is refused with 422
//!   `IDEMPOTENCY_KEY_MISMATCH`; a retry while the first request still runs gets 409
//!   `IDEMPOTENCY_KEY_IN_USE`.
//! - Only successful (2xx) responses are stored. A 4xx or 5xx means nothing was written (each
//!   handler commits in one transaction, the last thing before answering), so executing the
//!   retry again is safe, and a client that got a 400 can fix the body and retry with the same
//!   key instead of being held to its mistake for a day. A 5xx is not stored either, so that a
//!   retry after a transient failure (a busy database) can succeed. The record of a request
//!   that ends without a response (a panic, a dropped connection) is released too.
//! - A response that carries a secret (a new webhook's signing secret) says so with
//!   [`ContainsSecret`]; its body is stored sealed with the server's key, as the secret itself is
//!   in its own table, and opened again to be replayed. A client whose first answer was lost
//!   gets the secret from the retry; a copy of the database alone does not.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::api::auth::ApiKey;
use crate::api::error::{payload_too_large, ApiError};
use crate::domain::KeyId;
use crate::linkedin::crypto::SEALED_PREFIX;
use crate::store::{IdempotencyBegin, Store, StoredResponse};
use crate::{AppState, MAX_BODY_BYTES};

/// The request header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// The response header marking a replay.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// How long a completed response is kept and replayed.
pub const RETENTION_MS: i64 = 24 * 60 * 60 * 1000;
/// The longest Idempotency-Key accepted, in characters.
pub const MAX_KEY_CHARS: usize = 255;

/// A response extension: the body holds a secret, so it is stored sealed (see the module's
/// documentation).
#[derive(Debug, Clone, Copy)]
pub struct ContainsSecret;

/// Response headers that describe the stored body and are replayed with it.
const REPLAYED_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::ETAG, header::LOCATION];

/// What identifies "the same request": method, path with query, and the exact body bytes.
pub fn fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update(b"\n");
    hash.update(path_and_query.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}

/// The middleware; it runs after authentication, on POST requests with an Idempotency-Key.
pub async fn idempotency(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    // Routed in front of POST handlers only (see `api::idempotent_post`).
    if !request.headers().contains_key(&IDEMPOTENCY_KEY) {
        return Ok(next.run(request).await);
    }
    let idem_key = parse_key(request.headers().get(&IDEMPOTENCY_KEY))?;
    let api_key = request
        .extensions()
        .get::<ApiKey>()
        .cloned()
        .ok_or(ApiError::Unauthorized("missing API key"))?;
    let path = match request.extensions().get::<OriginalUri>() {
        Some(OriginalUri(uri)) => uri.clone(),
        None => request.uri().clone(),
    };
    let path = path.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| payload_too_large())?;
    let fingerprint = fingerprint(parts.method.as_str(), &path, &bytes);

    let now = app.clock.now().timestamp_millis();
    let begun = app
        .store
        .begin_idempotent(
            &api_key.id,
            &idem_key,
            &fingerprint,
            now,
            now - RETENTION_MS,
        )
        .await?;
    match begun {
        IdempotencyBegin::Started => {}
        IdempotencyBegin::InProgress => return Err(in_progress()),
        IdempotencyBegin::Mismatch => return Err(mismatch()),
        IdempotencyBegin::Completed(stored) => {
            return Ok(replay(opened(&app, &api_key.id, &idem_key, stored)?));
        }
    }

    let mut pending = Pending {
        store: app.store.clone(),
        api_key_id: api_key.id,
        idem_key,
        settled: false,
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    if !response.status().is_success() {
        pending.release().await;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(err) => {
            pending.release().await;
            return Err(ApiError::Internal(anyhow::anyhow!(
                "cannot read the response body: {err}"
            )));
        }
    };
    let stored_body = if parts.extensions.get::<ContainsSecret>().is_some() {
        let context = seal_context(&pending.api_key_id, &pending.idem_key);
        app.publisher
            .key()
            .seal(&String::from_utf8_lossy(&body), &context)
            .into_bytes()
    } else {
        body.to_vec()
    };
    let stored = StoredResponse {
        status: parts.status.as_u16(),
        headers: REPLAYED_HEADERS
            .iter()
            .filter_map(|name| {
                let value = parts.headers.get(name)?.to_str().ok()?;
                Some((name.as_str().to_owned(), value.to_owned()))
            })
            .collect(),
        body: stored_body,
    };
    if let Err(err) = pending
        .store
        .complete_idempotent(&pending.api_key_id, &pending.idem_key, &stored)
        .await
    {
        // The work is done and must be reported; the key is released so a retry is not stuck.
        tracing::error!(error = %err, "could not store an idempotent response");
        pending.release().await;
    }
    pending.settled = true;
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn parse_key(value: Option<&HeaderValue>) -> Result<String, ApiError> {
    value
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_valid_key(v))
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::bad_request(
                "INVALID_IDEMPOTENCY_KEY",
                format!(
                    "Idempotency-Key must be 1 to {MAX_KEY_CHARS} visible ASCII characters, \
                     such as a UUID"
                ),
            )
        })
}

/// 1 to [`MAX_KEY_CHARS`] visible ASCII characters or spaces, starting and ending with a visible
/// one: the pattern `^[!-~]([ -~]*[!-~])?$` the OpenAPI document states.
pub fn is_valid_key(key: &str) -> bool {
    let visible = |b: u8| (b'!'..=b'~').contains(&b);
    let bytes = key.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_KEY_CHARS
        && bytes.iter().all(|&b| b == b' ' || visible(b))
        && visible(bytes[0])
        && visible(bytes[bytes.len() - 1])
}

/// What a sealed body is bound to: its record, so it opens nowhere else.
fn seal_context(api_key_id: &KeyId, idem_key: &str) -> Vec<u8> {
    format!("idempotent response {api_key_id} {idem_key}").into_bytes()
}

/// The stored response with its body opened if it was sealed. A sealed body starts with the
/// sealed format's marker (`v1:`), which no JSON text can start with.
fn opened(
    app: &AppState,
    api_key_id: &KeyId,
    idem_key: &str,
    mut stored: StoredResponse,
) -> Result<StoredResponse, ApiError> {
    if let Some(sealed) = std::str::from_utf8(&stored.body)
        .ok()
        .filter(|body| body.starts_with(SEALED_PREFIX))
    {
        let body = app
            .publisher
            .key()
            .open(sealed, &seal_context(api_key_id, idem_key))
            .map_err(|err| {
                ApiError::Internal(anyhow::anyhow!("cannot replay a response: {err}"))
            })?;
        stored.body = body.into_bytes();
    }
    Ok(stored)
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    response
}

fn in_progress() -> ApiError {
    ApiError::conflict(
        "IDEMPOTENCY_KEY_IN_USE",
        "a request with this Idempotency-Key is still being processed; retry shortly",
    )
}

fn mismatch() -> ApiError {
    ApiError::Http {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "IDEMPOTENCY_KEY_MISMATCH",
        message: "this Idempotency-Key was already used for a different request \
                  (method, path or body); use a new key for a new request"
            .into(),
    }
}

/// The in-progress record of a request; released unless settled, also when the request is
/// dropped half-way (a panic or a closed connection).
struct Pending {
    store: Arc<dyn Store>,
    api_key_id: KeyId,
    idem_key: String,
    settled: bool,
}

impl Pending {
    async fn release(&mut self) {
        self.settled = true;
        if let Err(err) = self
            .store
            .release_idempotent(&self.api_key_id, &self.idem_key)
            .await
        {
            tracing::error!(error = %err, "could not release an Idempotency-Key");
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let store = self.store.clone();
        let (api_key_id, idem_key) = (self.api_key_id.clone(), self.idem_key.clone());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = store.release_idempotent(&api_key_id, &idem_key).await;
            });
        }
    }
}
