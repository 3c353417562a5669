//! Authentication and rate limiting for every `/api/v1` route.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::auth::ApiKey;
use crate::api::error::ApiError;
use crate::domain::Plan;
use crate::keys;
use crate::rate_limit::Decision;
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
    let secret = bearer_token(request.headers())?;
    // The checksum catches typos and junk before any database work.
    if !keys::is_well_formed(secret) {
        return Err(ApiError::Unauthorized("malformed API key"));
    }
    let key = app
        .store
        .key_for_auth(&keys::hash_key(secret))
        .await?
        .filter(|key| !key.revoked)
        .ok_or(ApiError::Unauthorized("invalid or revoked API key"))?;

    let now = app.clock.now().timestamp_millis();
    let decision = match app.limiter.check(key.key_id.as_str(), now).await {
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
    let mut response = if !decision.allowed {
        ApiError::RateLimited {
            retry_after: decision.retry_after,
        }
        .into_response()
    } else if key.plan != Plan::Business {
        ApiError::PlanRequired.into_response()
    } else {
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
        request.extensions_mut().insert(ApiKey {
            id: key.key_id,
            user_id: key.user_id,
            scopes: key.scopes,
        });
        next.run(request).await
    };
    rate_limit_headers(response.headers_mut(), &decision);
    Ok(response)
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
