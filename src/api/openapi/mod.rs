//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and the request and response types, then completed here with what every
//! operation shares: the bearer scheme and the scopes each operation needs, the error envelope
//! on every error response, the rate-limit and idempotency headers, and links between operations.
//! Served at `GET /api/v1/openapi.json` without a key.

mod components;

use std::sync::LazyLock;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::{OpenApi, ToSchema};

use crate::domain::{Scope, NOT_BLANK_PATTERN};

use super::webhooks::views as webhooks;

use components::{
    error_content, examples_for, rate_limit_header_refs, security_schemes, shared_headers,
    shared_parameters, shared_responses,
};

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
        super::webhooks::list_webhooks,
        super::webhooks::create_webhook,
        super::webhooks::get_webhook,
        super::webhooks::update_webhook,
        super::webhooks::delete_webhook,
        super::webhooks::deliveries::test_webhook,
        super::webhooks::deliveries::list_deliveries,
        super::webhooks::deliveries::resend_delivery,
        super::health::healthz,
        super::health::readyz,
    ),
    components(schemas(ErrorEnvelope, ErrorBody)),
    tags(
        (name = "Posts", description = "Drafts and scheduled posts. Scopes: `posts:read`, `posts:write`, `posts:delete`."),
        (name = "Ideas", description = "The backlog before a post exists. Scopes: `ideas:read`, `ideas:write` (which also deletes: there is no `ideas:delete`)."),
        (name = "Analytics", description = "Figures from LinkedIn's member post analytics, per UTC day. Scope: `analytics:read`."),
        (name = "Account", description = "The key owner's profile (`profile:read`) and the calling key (any key)."),
        (name = "Webhooks", description = "Events sent to your url as they happen, signed as [Standard Webhooks](https://www.standardwebhooks.com/) specifies. No scope of their own: a key manages the webhooks whose events it may read (`post.*` needs `posts:read`, `idea.*` `ideas:read`, `linkedin.*` `profile:read`), and does not see the others."),
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

/// Request bodies refuse unknown fields, and posts have rules between fields.
fn complete_request_schemas(schemas: &mut Value) {
    for name in [
        "CreatePostBody",
        "UpdatePostBody",
        "CreateIdeaBody",
        "UpdateIdeaBody",
        "CreateWebhookBody",
        "UpdateWebhookBody",
    ] {
        schemas[name]["additionalProperties"] = json!(false);
    }
    // An events list is `["*"]` alone or event type names; the type names come from the domain.
    let events = webhooks::events_schema();
    schemas["CreateWebhookBody"]["properties"]["events"] = events.clone();
    schemas["WebhookView"]["properties"]["events"] = events.clone();
    let mut nullable = events;
    nullable["anyOf"]
        .as_array_mut()
        .expect("alternatives")
        .push(json!({ "type": "null" }));
    schemas["UpdateWebhookBody"]["properties"]["events"] = nullable;
    schemas["DeliveryView"]["properties"]["type"] = webhooks::event_type_schema();
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

/// What every webhook operation needs, in place of a fixed list of scopes.
const WEBHOOK_SCOPES: &str = "**Scopes:** none of their own. A key sees and manages the \
    webhooks whose events it may read: the read scope of each event type a webhook receives \
    (`post.*` `posts:read`, `idea.*` `ideas:read`, `linkedin.*` `profile:read`). Another webhook \
    is 404 to it, as another user's would be.";

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
        let is_webhooks = op["tags"]
            .as_array()
            .is_some_and(|tags| tags.iter().any(|tag| tag == "Webhooks"));
        let needs = if is_webhooks {
            WEBHOOK_SCOPES.to_owned()
        } else if scopes.is_empty() {
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
    // Every authenticated read is tagged and conditional (`api::conditional`).
    let conditional = method == "get" && scopes.is_some();
    if conditional {
        let parameters = op.entry("parameters").or_insert_with(|| json!([]));
        parameters
            .as_array_mut()
            .expect("parameters")
            .push(json!({ "$ref": "#/components/parameters/IfNoneMatch" }));
    }

    let responses = op
        .get_mut("responses")
        .and_then(Value::as_object_mut)
        .expect("responses");
    if conditional {
        if let Some(headers) = responses
            .get_mut("200")
            .and_then(Value::as_object_mut)
            .map(|ok| ok.entry("headers").or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut)
        {
            headers.insert(
                "ETag".into(),
                json!({ "$ref": "#/components/headers/ETag" }),
            );
        }
        responses.insert(
            "304".into(),
            json!({ "$ref": "#/components/responses/NotModified" }),
        );
    }
    if scopes.is_some() {
        responses.insert(
            "401".into(),
            json!({ "$ref": "#/components/responses/Unauthorized" }),
        );
        // An operation may say more about its 403 (which scope, and why); the shared one
        // covers the rest.
        responses
            .entry("403")
            .or_insert_with(|| json!({ "$ref": "#/components/responses/Forbidden" }));
        responses.insert(
            "429".into(),
            json!({ "$ref": "#/components/responses/RateLimited" }),
        );
        responses.insert(
            "503".into(),
            json!({ "$ref": "#/components/responses/ServiceUnavailable" }),
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
    let webhook_links = json!({
        "GetWebhook": link("getWebhook"),
        "UpdateWebhook": link("updateWebhook"),
        "DeleteWebhook": link("deleteWebhook"),
        "TestWebhook": link("testWebhook"),
        "ListWebhookDeliveries": link("listWebhookDeliveries"),
    });
    let resend_link = json!({
        "ResendWebhookDelivery": {
            "operationId": "resendWebhookDelivery",
            "parameters": { "id": "$request.path.id", "deliveryId": "$response.body#/id" }
        }
    });
    let paths = &mut doc["paths"];
    paths["/api/v1/webhooks"]["post"]["responses"]["201"]["links"] = webhook_links;
    paths["/api/v1/webhooks/{id}/test"]["post"]["responses"]["200"]["links"] = resend_link.clone();
    paths["/api/v1/webhooks/{id}/deliveries/{deliveryId}/resend"]["post"]["responses"]["200"]
        ["links"] = resend_link;
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
                    assert_eq!(
                        op["responses"]["503"]["$ref"], "#/components/responses/ServiceUnavailable",
                        "{name}"
                    );
                }
                if path.starts_with("/api/") && method == "get" {
                    assert_eq!(
                        op["responses"]["304"]["$ref"], "#/components/responses/NotModified",
                        "{name}"
                    );
                    assert_eq!(
                        op["responses"]["200"]["headers"]["ETag"]["$ref"],
                        "#/components/headers/ETag",
                        "{name}"
                    );
                    assert!(
                        op["parameters"]
                            .as_array()
                            .unwrap()
                            .contains(&json!({ "$ref": "#/components/parameters/IfNoneMatch" })),
                        "{name}"
                    );
                }
            }
        }
        assert_eq!(count, 25);
    }
}
