//! Malformed bodies, sent to every operation of the live OpenAPI document: the answers speak of
//! JSON and the API's fields, never of the server's own types. New operations are swept as soon
//! as the document lists them.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, TestApp};

/// Words of the server's code that no message may contain, besides the document's own schema
/// names (`CreatePostBody` …).
const RUST_WORDS: [&str; 16] = [
    "struct", "enum", "Option", "Vec", "String", "str", "HashMap", "sequence", "u8", "u16", "u32",
    "u64", "i32", "i64", "usize", "f64",
];

/// Bodies no operation takes, whatever its fields: not objects, or an unknown field.
const NOT_OBJECTS: [&str; 7] = [
    "[]",
    "[1, 2]",
    "\"text\"",
    "5",
    "null",
    "true",
    "{\"x\": [1]}",
];

/// Fails if `message` names anything of the server's code.
fn assert_in_api_terms(message: &str, schema_names: &[String], context: &str) {
    assert!(!message.contains("::"), "{context}: {message}");
    for word in message.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
        assert!(
            !RUST_WORDS.contains(&word) && !schema_names.iter().any(|name| name == word),
            "{context}: {word:?} in {message:?}"
        );
    }
}

/// `schema`, or the component it refers to.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// `schema` and, through `$ref`, `oneOf` and `anyOf`, each of its alternatives.
fn alternatives<'a>(doc: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let schema = resolve(doc, schema);
    let mut found = vec![schema];
    for key in ["oneOf", "anyOf"] {
        for alternative in schema[key].as_array().into_iter().flatten() {
            found.extend(alternatives(doc, alternative));
        }
    }
    found
}

/// The JSON types `schema` allows (`"string"`, `"array"` …).
fn types(doc: &Value, schema: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for alternative in alternatives(doc, schema) {
        match &alternative["type"] {
            Value::String(one) => found.push(one.clone()),
            Value::Array(many) => {
                found.extend(many.iter().filter_map(|t| t.as_str().map(str::to_owned)));
            }
            _ => {}
        }
    }
    found
}

/// Values of every JSON type `allowed` does not include (null aside: an absent field).
fn wrong_values(allowed: &[String]) -> Vec<Value> {
    let candidates = [
        ("string", json!("text")),
        ("number", json!(5)),
        ("boolean", json!(true)),
        ("array", json!(["a"])),
        ("object", json!({ "a": 1 })),
    ];
    candidates
        .into_iter()
        .filter(|(kind, _)| {
            !allowed
                .iter()
                .any(|t| t == kind || (*kind == "number" && t == "integer"))
        })
        .map(|(_, value)| value)
        .collect()
}

/// Per field of the body `schema`: bodies with a value of the wrong type there, and the field
/// the message must name.
fn wrong_fields(doc: &Value, schema: &Value) -> Vec<(String, String)> {
    let schema = resolve(doc, schema);
    let mut cases = Vec::new();
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        let allowed = types(doc, property);
        for value in wrong_values(&allowed) {
            cases.push((json!({ name: value }).to_string(), format!("`{name}`")));
        }
        // An array whose items are of the wrong type: the message names the item.
        let items = alternatives(doc, property)
            .into_iter()
            .map(|alternative| types(doc, &alternative["items"]))
            .find(|items| !items.is_empty());
        if let Some(items) = items {
            if let Some(value) = wrong_values(&items).into_iter().next() {
                cases.push((
                    json!({ name: ["fine", value] }).to_string(),
                    format!("`{name}[1]`"),
                ));
            }
        }
    }
    cases
}

async fn send(app: &TestApp, key: &str, method: &str, path: &str, body: &str) -> (u16, Value) {
    let method: Method = method.to_uppercase().parse().unwrap();
    let response = app
        .request(method, path, key)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn malformed_bodies_are_explained_in_the_api_s_terms_on_every_operation() {
    let app = spawn_app_with(|config| {
        config.rate_limit_per_minute = 100_000;
        config.rate_limit_per_hour = 100_000;
    })
    .await;
    let key = app.full_key().await;
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schema_names: Vec<String> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();

    let (mut operations, mut with_bodies, mut field_cases) = (0, 0, 0);
    for (template, item) in doc["paths"].as_object().unwrap() {
        // Any id will do: a body is read before the resource is looked up.
        let path: String = template
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "x"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let body_schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            let takes_body = !body_schema.is_null();
            with_bodies += usize::from(takes_body);
            for body in NOT_OBJECTS {
                let context = format!("{method} {template} with {body}");
                let (status, answer) = send(&app, &key, method, &path, body).await;
                if status < 400 {
                    assert!(!takes_body, "{context}: {status}");
                    continue;
                }
                let message = answer["error"]["message"].as_str().unwrap_or_else(|| {
                    panic!("{context}: {status} without the envelope: {answer}")
                });
                assert_in_api_terms(message, &schema_names, &context);
                if takes_body {
                    assert_eq!(
                        (status, answer["error"]["code"].as_str()),
                        (400, Some("INVALID_BODY")),
                        "{context}: {answer}"
                    );
                    let expected = if body.starts_with('{') {
                        "unknown field `x`"
                    } else {
                        "the body must be a JSON object"
                    };
                    assert!(message.contains(expected), "{context}: {message}");
                }
            }
            if !takes_body {
                continue;
            }
            for (body, field) in wrong_fields(&doc, body_schema) {
                field_cases += 1;
                let context = format!("{method} {template} with {body}");
                let (status, answer) = send(&app, &key, method, &path, &body).await;
                assert_eq!(
                    (status, answer["error"]["code"].as_str()),
                    (400, Some("INVALID_BODY")),
                    "{context}: {answer}"
                );
                let message = answer["error"]["message"].as_str().unwrap();
                assert_in_api_terms(message, &schema_names, &context);
                assert!(
                    message.contains(&format!("{field} must be ")),
                    "{context}: {message}"
                );
            }
        }
    }
    // The sweep covered what the document lists today, at least.
    assert!(operations >= 17, "{operations}");
    assert!(with_bodies >= 4, "{with_bodies}");
    assert!(field_cases >= 30, "{field_cases}");
}

#[tokio::test]
async fn the_body_from_the_issue_is_answered_in_the_api_s_terms() {
    let app = spawn_app_with(|_| {}).await;
    let key = app.full_key().await;
    let (status, answer) = send(&app, &key, "post", "/api/v1/posts", "[]").await;
    assert_eq!(status, 400);
    assert_eq!(
        answer,
        json!({ "error": {
            "code": "INVALID_BODY",
            "message": "invalid request body: the body must be a JSON object, not an array"
        }})
    );
    let (_, answer) = send(
        &app,
        &key,
        "post",
        "/api/v1/ideas",
        r#"{"content": "x", "tags": ["a", 7]}"#,
    )
    .await;
    assert_eq!(
        answer["error"]["message"],
        "invalid request body: `tags[1]` must be a string, not 7"
    );
    // As the OpenAPI document's example of INVALID_BODY says.
    let (_, answer) = send(
        &app,
        &key,
        "post",
        "/api/v1/posts",
        r#"{"content": "x", "scheduled_at": "2030-01-01T00:00:00Z"}"#,
    )
    .await;
    assert_eq!(
        answer["error"]["message"],
        "invalid request body: unknown field `scheduled_at`; allowed: `content`, `status`, `scheduledAt`"
    );
}
