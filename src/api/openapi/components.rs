//! What every operation of the OpenAPI document shares: the bearer scheme, the rate-limit and
//! idempotency headers and parameters, and the error responses with the envelope and examples.

use serde_json::{json, Map, Value};

use crate::api::idempotency::MAX_KEY_CHARS;

const RATE_LIMIT_HEADERS: [&str; 3] = [
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
];

fn error_example(code: &str, message: &str) -> Value {
    json!({ "error": { "code": code, "message": message } })
}

pub(super) fn error_content(examples: &[(&str, &str)]) -> Value {
    let mut named = Map::new();
    for (code, message) in examples {
        named.insert(
            (*code).to_owned(),
            json!({ "value": error_example(code, message) }),
        );
    }
    json!({
        "application/json": {
            "schema": { "$ref": "#/components/schemas/ErrorEnvelope" },
            "examples": named,
        }
    })
}

/// Example error codes for each status an operation may declare.
pub(super) fn examples_for(status: &str) -> Vec<(&'static str, &'static str)> {
    match status {
        "400" => vec![
            ("INVALID_CONTENT", "Post content cannot be empty"),
            ("INVALID_BODY", "invalid request body: unknown field `scheduled_at`; allowed: `content`, `status`, `scheduledAt`"),
            ("MALFORMED_JSON", "the request body is not valid JSON"),
            ("INVALID_PARAMETER", "limit must be an integer from 1 to 100, got \"0\""),
        ],
        "404" => vec![("NOT_FOUND", "post not found")],
        "409" => vec![("CONFLICT", "the post changed since it was read")],
        "412" => vec![("PRECONDITION_FAILED", "If-Match does not match the current ETag of this resource; read it again and retry with its ETag")],
        "503" => vec![("NOT_READY", "the database does not answer")],
        _ => vec![],
    }
}

pub(super) fn security_schemes() -> Value {
    json!({
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "lg_ + 32 letters or digits + a 6-character checksum",
            "description": "An API key, sent as `Authorization: Bearer lg_…`. Keys are created with \
                `linkedgrow keys create` and hold scopes; each operation lists the scopes it needs \
                in its security requirement (OpenAPI 3.1 allows role names there for non-OAuth \
                schemes), in `x-required-scopes` and in its description."
        }
    })
}

pub(super) fn shared_headers() -> Value {
    let integer = |description: &str| json!({ "description": description, "schema": { "type": "integer", "minimum": 0 } });
    json!({
        "X-RateLimit-Limit": integer("The request limit of the tighter window (per rolling minute or rolling hour)."),
        "X-RateLimit-Remaining": integer("Requests left in that window."),
        "X-RateLimit-Reset": integer("Unix time (seconds) at which that window next frees a request."),
        "Retry-After": integer("Whole seconds to wait; a retry after exactly that long is accepted."),
        "Idempotent-Replayed": {
            "description": "`true` when this response is the stored response of an earlier request with the same `Idempotency-Key`.",
            "schema": { "type": "string", "enum": ["true"] }
        },
        "WWW-Authenticate": {
            "description": "`Bearer`.",
            "schema": { "type": "string" }
        },
        "ETag": {
            "description": "The strong entity tag of this representation (a hash of its exact bytes). \
                Send it back in `If-None-Match` to be answered 304 while it is current; posts and \
                ideas also take it in `If-Match`.",
            "schema": { "type": "string" }
        },
    })
}

pub(super) fn shared_parameters() -> Value {
    json!({
        "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": format!(
                "Makes the POST safe to retry. The first successful (2xx) response is stored for \
                 24 hours per API key and key, and a retry with the same method, path and body \
                 gets it again (with `Idempotent-Replayed: true`) instead of a second effect. The \
                 same key with a different request is 422 `IDEMPOTENCY_KEY_MISMATCH`; a retry \
                 while the first request still runs is 409 `IDEMPOTENCY_KEY_IN_USE`. Error \
                 responses are not stored, so the request may be corrected and retried under the \
                 same key. 1 to {MAX_KEY_CHARS} visible ASCII characters; a UUID is a good choice."
            ),
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_KEY_CHARS,
                "pattern": "^[!-~]([ -~]*[!-~])?$"
            },
            "example": "4f9c2b1e-8d7a-4c3b-9e6f-0a1b2c3d4e5f"
        },
        "IfNoneMatch": {
            "name": "If-None-Match",
            "in": "header",
            "required": false,
            "description": "The `ETag` of the representation the client holds (or several, \
                comma-separated, or `*`). While it is still current the answer is 304 Not Modified \
                with that `ETag` and no body; a 304 counts against the rate limit like a 200.",
            "schema": { "type": "string" },
            "example": "\"5d41402abc4b2a76b9719d911017c592\""
        }
    })
}

pub(super) fn shared_responses() -> Value {
    json!({
        "Unauthorized": {
            "description": "No usable API key: missing, malformed, unknown or revoked (`UNAUTHORIZED`).",
            "headers": { "WWW-Authenticate": { "$ref": "#/components/headers/WWW-Authenticate" } },
            "content": error_content(&[("UNAUTHORIZED", "missing API key; send it as Authorization: Bearer <key>")]),
        },
        "Forbidden": {
            "description": "The key lacks a scope this operation needs (`INSUFFICIENT_SCOPE`, naming it), or its owner is not on the Business plan (`PLAN_REQUIRED`).",
            "headers": rate_limit_header_refs(),
            "content": error_content(&[
                ("INSUFFICIENT_SCOPE", "this API key lacks the posts:write scope"),
                ("PLAN_REQUIRED", "API access requires the Business plan"),
            ]),
        },
        "RateLimited": {
            "description": "A rate limit is used up (`RATE_LIMITED`): at most 60 requests in any rolling minute and 1,000 in any rolling hour per key, by default.",
            "headers": {
                "Retry-After": { "$ref": "#/components/headers/Retry-After" },
                "X-RateLimit-Limit": { "$ref": "#/components/headers/X-RateLimit-Limit" },
                "X-RateLimit-Remaining": { "$ref": "#/components/headers/X-RateLimit-Remaining" },
                "X-RateLimit-Reset": { "$ref": "#/components/headers/X-RateLimit-Reset" },
            },
            "content": error_content(&[("RATE_LIMITED", "rate limit exceeded; retry in 12 seconds")]),
        },
        "ServiceUnavailable": {
            "description": "Only when the server shares its rate limits through Redis (`LINKEDGROW_REDIS_URL`) and Redis does not answer (`SERVICE_UNAVAILABLE`): the request is refused rather than let through unlimited, and nothing was changed. Retry after `Retry-After` seconds.",
            "headers": { "Retry-After": { "$ref": "#/components/headers/Retry-After" } },
            "content": error_content(&[("SERVICE_UNAVAILABLE", "the server cannot check this key's rate limit right now; retry in 1 seconds")]),
        },
        "NotModified": {
            "description": "The representation matching `If-None-Match` is still current: no body.",
            "headers": {
                "ETag": { "$ref": "#/components/headers/ETag" },
                "X-RateLimit-Limit": { "$ref": "#/components/headers/X-RateLimit-Limit" },
                "X-RateLimit-Remaining": { "$ref": "#/components/headers/X-RateLimit-Remaining" },
                "X-RateLimit-Reset": { "$ref": "#/components/headers/X-RateLimit-Reset" },
            },
        },
        "PayloadTooLarge": {
            "description": "The body is larger than 64 KiB (`PAYLOAD_TOO_LARGE`).",
            "content": error_content(&[("PAYLOAD_TOO_LARGE", "the request body is larger than 64 KiB")]),
        },
        "UnsupportedMediaType": {
            "description": "The body is not sent as `application/json` (`UNSUPPORTED_MEDIA_TYPE`).",
            "content": error_content(&[("UNSUPPORTED_MEDIA_TYPE", "send the body as JSON with Content-Type: application/json")]),
        },
        "IdempotencyKeyMismatch": {
            "description": "This `Idempotency-Key` was used for a different request (`IDEMPOTENCY_KEY_MISMATCH`).",
            "headers": rate_limit_header_refs(),
            "content": error_content(&[("IDEMPOTENCY_KEY_MISMATCH", "this Idempotency-Key was already used for a different request (method, path or body); use a new key for a new request")]),
        },
        "RequestTimeout": {
            "description": "The body did not arrive in full within the body timeout, 30 s by default (`REQUEST_TIMEOUT`); the connection is closed.",
            "content": error_content(&[("REQUEST_TIMEOUT", "the request body did not arrive within 30 seconds")]),
        },
        "UriTooLong": {
            "description": "The request URI is longer than 8 KiB (`URI_TOO_LONG`).",
            "content": error_content(&[("URI_TOO_LONG", "the request URI is longer than 8192 bytes")]),
        },
        "HeaderFieldsTooLarge": {
            "description": "More than 100 header fields, or more than 16 KiB of header names and values (`REQUEST_HEADER_FIELDS_TOO_LARGE`).",
            "content": error_content(&[("REQUEST_HEADER_FIELDS_TOO_LARGE", "a request may have at most 100 header fields and 16384 bytes of header names and values")]),
        },
        "InternalError": {
            "description": "Something broke (`INTERNAL_ERROR`); the `X-Request-Id` response header finds it in the server log.",
            "content": error_content(&[("INTERNAL_ERROR", "internal server error; the request id identifies it in the server log")]),
        },
    })
}

pub(super) fn rate_limit_header_refs() -> Map<String, Value> {
    RATE_LIMIT_HEADERS
        .iter()
        .map(|name| {
            (
                (*name).to_owned(),
                json!({ "$ref": format!("#/components/headers/{name}") }),
            )
        })
        .collect()
}
