//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and the request and response types, then completed here with what every
//! operation shares: the bearer scheme and the scopes each operation needs, the error envelope
//! on every error response, the rate-limit and idempotency headers, and links between operations.
//! Served at `GET /api/v1/openapi.json` without a key.

use std::sync::LazyLock;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::{OpenApi, ToSchema};

use crate::api::idempotency::MAX_KEY_CHARS;
use crate::domain::{Scope, NOT_BLANK_PATTERN};

/// The error envelope every error response uses.
#[derive(Serialize, ToSchema)]
#[schema(examples(json!({"error": {"code": "INVALID_CONTENT", "message": "Post content cannot be empty"}})))]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable UPPER_SNAKE_CASE code to branch on, such as `INVALID_CONTENT` or `NOT_FOUND`.
    #[schema(pattern = "^[A-Z][A-Z0-9_]*$")]
    pub code: String,
    /// A sentence for people; it may change between versions.
    pub message: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "LinkedGrow API",
        description = include_str!("openapi_intro.md"),
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(
        super::posts::list_posts,
        super::posts::create_post,
        super::posts::get_post,
        super::posts::update_post,
        super::posts::delete_post,
        super::analytics::post_analytics,
        super::ideas::list_ideas,
        super::ideas::create_idea,
        super::ideas::get_idea,
        super::ideas::update_idea,
        super::ideas::delete_idea,
        super::ideas::convert_idea,
        super::analytics::account_analytics,
        super::account::profile,
        super::account::current_key,
        super::health::healthz,
        super::health::readyz,
    ),
    components(schemas(ErrorEnvelope, ErrorBody)),
    tags(
        (name = "Posts", description = "Drafts and scheduled posts. Scopes: `posts:read`, `posts:write`, `posts:delete`."),
        (name = "Ideas", description = "The backlog before a post exists. Scopes: `ideas:read`, `ideas:write` (which also deletes: there is no `ideas:delete`)."),
        (name = "Analytics", description = "Figures from LinkedIn's member post analytics, per UTC day. Scope: `analytics:read`."),
        (name = "Account", description = "The key owner's profile (`profile:read`) and the calling key (any key)."),
        (name = "Health", description = "Probes for load balancers and orchestrators; no key."),
    )
)]
struct ApiDoc;

/// The document as JSON.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the document serializes");
    complete(&mut doc);
    doc
}

static DOCUMENT: LazyLock<Vec<u8>> =
    LazyLock::new(|| serde_json::to_vec(&document()).expect("the document serializes"));

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> Response {
    let mut response = DOCUMENT.as_slice().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

const RATE_LIMIT_HEADERS: [&str; 3] = [
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
];

fn error_example(code: &str, message: &str) -> Value {
    json!({ "error": { "code": code, "message": message } })
}

fn error_content(examples: &[(&str, &str)]) -> Value {
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
fn examples_for(status: &str) -> Vec<(&'static str, &'static str)> {
    match status {
        "400" => vec![
            ("INVALID_CONTENT", "Post content cannot be empty"),
            ("INVALID_BODY", "invalid request body: unknown field `scheduled_at`, expected one of `content`, `status`, `scheduledAt`"),
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

/// Adds what the annotations leave to one place.
fn complete(doc: &mut Value) {
    let components = doc["components"].as_object_mut().expect("components");
    components.insert("securitySchemes".into(), security_schemes());
    components.insert("headers".into(), shared_headers());
    components.insert("parameters".into(), shared_parameters());
    components.insert("responses".into(), shared_responses());
    complete_request_schemas(&mut doc["components"]["schemas"]);

    let paths = doc["paths"].as_object_mut().expect("paths");
    for (_, item) in paths.iter_mut() {
        for (method, operation) in item.as_object_mut().expect("path item").iter_mut() {
            complete_operation(method, operation);
        }
    }
    add_links(doc);
}

fn security_schemes() -> Value {
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

fn shared_headers() -> Value {
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
    })
}

fn shared_parameters() -> Value {
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
        }
    })
}

fn shared_responses() -> Value {
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

fn rate_limit_header_refs() -> Map<String, Value> {
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

/// Request bodies refuse unknown fields, and posts have rules between fields.
fn complete_request_schemas(schemas: &mut Value) {
    for name in [
        "CreatePostBody",
        "UpdatePostBody",
        "CreateIdeaBody",
        "UpdateIdeaBody",
    ] {
        schemas[name]["additionalProperties"] = json!(false);
    }
    // `scheduled` needs a time; any other status refuses one.
    schemas["CreatePostBody"]["if"] =
        json!({ "properties": { "status": { "const": "scheduled" } }, "required": ["status"] });
    schemas["CreatePostBody"]["then"] = json!({
        "required": ["scheduledAt"],
        "properties": { "scheduledAt": { "type": "string" } }
    });
    schemas["CreatePostBody"]["else"] =
        json!({ "properties": { "scheduledAt": { "type": "null" } } });
    schemas["UpdatePostBody"]["if"] =
        json!({ "properties": { "status": { "const": "draft" } }, "required": ["status"] });
    schemas["UpdatePostBody"]["then"] =
        json!({ "properties": { "scheduledAt": { "type": "null" } } });
    debug_assert!(serde_json::to_string(schemas)
        .unwrap()
        .contains(&serde_json::to_string(NOT_BLANK_PATTERN).unwrap()));
}

fn complete_operation(method: &str, operation: &mut Value) {
    let scopes: Option<Vec<String>> = operation["security"]
        .as_array()
        .and_then(|requirements| requirements.first())
        .and_then(|requirement| requirement.get("bearer"))
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        });
    let has_body = operation.get("requestBody").is_some();
    let op = operation.as_object_mut().expect("operation");

    if let Some(scopes) = &scopes {
        for scope in scopes {
            debug_assert!(scope.parse::<Scope>().is_ok(), "unknown scope {scope}");
        }
        op.insert("x-required-scopes".into(), json!(scopes));
        let needs = if scopes.is_empty() {
            "**Scopes:** none; any valid key.".to_owned()
        } else {
            let names: Vec<String> = scopes.iter().map(|s| format!("`{s}`")).collect();
            format!("**Scopes:** {}.", names.join(" and "))
        };
        let description = match op.get("description").and_then(Value::as_str) {
            Some(text) if !text.is_empty() => format!("{text}\n\n{needs}"),
            _ => needs,
        };
        op.insert("description".into(), json!(description));
    }

    if method == "post" && scopes.is_some() {
        let parameters = op.entry("parameters").or_insert_with(|| json!([]));
        parameters
            .as_array_mut()
            .expect("parameters")
            .push(json!({ "$ref": "#/components/parameters/IdempotencyKey" }));
    }

    let responses = op
        .get_mut("responses")
        .and_then(Value::as_object_mut)
        .expect("responses");
    if scopes.is_some() {
        responses.insert(
            "401".into(),
            json!({ "$ref": "#/components/responses/Unauthorized" }),
        );
        responses.insert(
            "403".into(),
            json!({ "$ref": "#/components/responses/Forbidden" }),
        );
        responses.insert(
            "429".into(),
            json!({ "$ref": "#/components/responses/RateLimited" }),
        );
    }
    responses.insert(
        "414".into(),
        json!({ "$ref": "#/components/responses/UriTooLong" }),
    );
    responses.insert(
        "431".into(),
        json!({ "$ref": "#/components/responses/HeaderFieldsTooLarge" }),
    );
    if has_body {
        responses.insert(
            "408".into(),
            json!({ "$ref": "#/components/responses/RequestTimeout" }),
        );
        responses.insert(
            "413".into(),
            json!({ "$ref": "#/components/responses/PayloadTooLarge" }),
        );
        responses.insert(
            "415".into(),
            json!({ "$ref": "#/components/responses/UnsupportedMediaType" }),
        );
    }
    if method == "post" && scopes.is_some() {
        responses.insert(
            "422".into(),
            json!({ "$ref": "#/components/responses/IdempotencyKeyMismatch" }),
        );
        let conflict = responses.entry("409").or_insert_with(|| {
            json!({ "description": "A request with this `Idempotency-Key` is still running (`IDEMPOTENCY_KEY_IN_USE`)." })
        });
        if let Some(text) = conflict["description"].as_str() {
            if !text.contains("IDEMPOTENCY_KEY_IN_USE") {
                conflict["description"] = json!(format!(
                    "{text} Or a request with this `Idempotency-Key` is still running (`IDEMPOTENCY_KEY_IN_USE`)."
                ));
            }
        }
        if !responses.contains_key("400") {
            responses.insert(
                "400".into(),
                json!({ "description": "The `Idempotency-Key` is malformed (`INVALID_IDEMPOTENCY_KEY`)." }),
            );
        }
    }
    responses.insert(
        "500".into(),
        json!({ "$ref": "#/components/responses/InternalError" }),
    );

    for (status, response) in responses.iter_mut() {
        if response.get("$ref").is_some() {
            continue;
        }
        let response = response.as_object_mut().expect("response");
        let is_error = status.starts_with('4') || status.starts_with('5');
        if is_error && !response.contains_key("content") {
            let examples = examples_for(status);
            response.insert("content".into(), error_content(&examples));
        }
        if scopes.is_some() {
            let headers = response
                .entry("headers")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("headers");
            headers.extend(rate_limit_header_refs());
            if method == "post" && status.starts_with('2') {
                headers.insert(
                    "Idempotent-Replayed".into(),
                    json!({ "$ref": "#/components/headers/Idempotent-Replayed" }),
                );
            }
        }
    }
}

/// OpenAPI links from the responses that create a resource to the operations on it, so tools
/// (and schemathesis' stateful tests) can follow them.
fn add_links(doc: &mut Value) {
    let id_from_body = json!({ "id": "$response.body#/id" });
    let link =
        |operation_id: &str| json!({ "operationId": operation_id, "parameters": id_from_body });
    let post_links = json!({
        "GetPost": link("getPost"),
        "UpdatePost": link("updatePost"),
        "DeletePost": link("deletePost"),
        "GetPostAnalytics": link("getPostAnalytics"),
    });
    let idea_links = json!({
        "GetIdea": link("getIdea"),
        "UpdateIdea": link("updateIdea"),
        "DeleteIdea": link("deleteIdea"),
        "ConvertIdea": link("convertIdea"),
    });
    let paths = &mut doc["paths"];
    paths["/api/v1/posts"]["post"]["responses"]["201"]["links"] = post_links.clone();
    paths["/api/v1/ideas/{id}/convert"]["post"]["responses"]["201"]["links"] = post_links;
    paths["/api/v1/ideas"]["post"]["responses"]["201"]["links"] = idea_links;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_complete() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut count = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                count += 1;
                let name = format!("{method} {path}");
                assert!(op["operationId"].is_string(), "{name}");
                assert!(op["summary"].is_string(), "{name}");
                for (status, response) in op["responses"].as_object().unwrap() {
                    if status.starts_with('4') || status.starts_with('5') {
                        let content = response
                            .get("content")
                            .map(|c| c["application/json"]["schema"]["$ref"].clone());
                        assert!(
                            content.is_some_and(|r| r == "#/components/schemas/ErrorEnvelope")
                                || response["$ref"].is_string(),
                            "{name} {status}"
                        );
                    }
                }
                if path.starts_with("/api/") {
                    assert!(op["x-required-scopes"].is_array(), "{name}");
                    assert!(op["responses"]["401"].is_object(), "{name}");
                    assert!(op["responses"]["429"].is_object(), "{name}");
                }
            }
        }
        assert_eq!(count, 17);
    }
}
