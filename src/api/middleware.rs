//! Authentication and rate limiting for every `/api/v1` route, and the same authentication for
//! `/mcp`.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::auth::ApiKey;
use crate::api::error::ApiError;
use crate::domain::{KeyId, Plan};
use crate::keys;
use crate::rate_limit::Decision;
use crate::store::KeyAuth;
use crate::AppState;

/// `lastUsedAt` is written at a key's first use, then at most once per this many milliseconds.
const LAST_USED_GRANULARITY_MS: i64 = 60_000;

/// Finds the key, counts the request against its limits, checks the plan, and puts the
/// [`ApiKey`] into the request for the handler.
pub async fn authenticate(
    State(app): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let key = identify(&app, request.headers()).await?;
    let decision = count_request(&app, &key.key_id).await?;
    let mut response = if decision.allowed {
        match admit(&app, key).await {
            Ok(key) => {
                request.extensions_mut().insert(key);
                next.run(request).await
            }
            Err(refusal) => refusal.into_response(),
        }
    } else {
        ApiError::RateLimited {
            retry_after: decision.retry_after,
        }
        .into_response()
    };
    rate_limit_headers(response.headers_mut(), &decision);
    Ok(response)
}

/// The same authentication for `/mcp`, without counting the HTTP request: there the unit of the
/// rate limit is the tool call, counted with [`count_request`] when one is made, so that the
/// protocol's own messages (initialize, tools/list, notifications) cost an assistant nothing.
pub async fn authenticate_agent(
    State(app): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let key = identify(&app, request.headers()).await?;
    let key = admit(&app, key).await?;
    request.extensions_mut().insert(key);
    Ok(next.run(request).await)
}

/// The key the request's `Authorization` header names: 401 unless it is well formed, known and
/// not revoked. Read from the database every time, so a revocation counts from the next request.
async fn identify(app: &AppState, headers: &HeaderMap) -> Result<KeyAuth, ApiError> {
    let secret = bearer_token(headers)?;
    // The checksum catches typos and junk before any database work.
    if !keys::is_well_formed(secret) {
        return Err(ApiError::Unauthorized("malformed API key"));
    }
    app.store
        .key_for_auth(&keys::hash_key(secret))
        .await?
        .filter(|key| !key.revoked)
        .ok_or(ApiError::Unauthorized("invalid or revoked API key"))
}

/// Counts one request against `key`'s limits and says whether it may go on; 503 when the
/// limiter cannot count it (Redis down).
pub async fn count_request(app: &AppState, key: &KeyId) -> Result<Decision, ApiError> {
    let now = app.clock.now().timestamp_millis();
    let decision = match app.limiter.check(key.as_str(), now).await {
        Ok(decision) => decision,
        Err(err) => {
            // Fail closed: a request the limiter cannot count is refused, never let through.
            tracing::warn!(error = %err, "rate limit unavailable; request refused");
            metrics::counter!(crate::telemetry::RATE_LIMIT_DECISIONS, "decision" => "unavailable")
                .increment(1);
            return Err(ApiError::Unavailable {
                retry_after: crate::shared::RETRY_AFTER_SECS,
            });
        }
    };
    let verdict = if decision.allowed {
        "allowed"
    } else {
        "refused"
    };
    metrics::counter!(crate::telemetry::RATE_LIMIT_DECISIONS, "decision" => verdict).increment(1);
    Ok(decision)
}

/// 403 below the Business plan; otherwise records the key's use and answers what handlers see.
async fn admit(app: &AppState, key: KeyAuth) -> Result<ApiKey, ApiError> {
    if key.plan != Plan::Business {
        return Err(ApiError::PlanRequired);
    }
    let now = app.clock.now().timestamp_millis();
    if key
        .last_used_at
        .is_none_or(|at| at <= now - LAST_USED_GRANULARITY_MS)
    {
        let since = now - LAST_USED_GRANULARITY_MS + 1;
        if let Err(err) = app.store.touch_key(&key.key_id, now, since).await {
            // Bookkeeping must not fail the request it describes.
            tracing::warn!(error = %err, key_id = %key.key_id, "could not record key use");
        }
    }
    Ok(ApiKey {
        id: key.key_id,
        user_id: key.user_id,
        scopes: key.scopes,
    })
}

fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(
            "missing API key; send it as Authorization: Bearer <key>",
        ))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(token.trim()),
        _ => Err(ApiError::Unauthorized(
            "the Authorization header must use the Bearer scheme",
        )),
    }
}

fn rate_limit_headers(headers: &mut HeaderMap, decision: &Decision) {
    headers.insert("x-ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(decision.remaining),
    );
    headers.insert("x-ratelimit-reset", HeaderValue::from(decision.reset_at));
}
