//! The error envelope for everything, including what the framework refuses by itself.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn malformed_json_wrong_type_and_oversized_bodies() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let post = |body: &'static str, content_type: &'static str| {
        app.request(Method::POST, "/api/v1/posts", &key)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    assert_error(
        post("{\"content\": ", "application/json").await.unwrap(),
        400,
        "MALFORMED_JSON",
    )
    .await;
    assert_error(
        post("[1, 2]", "application/json").await.unwrap(),
        400,
        "INVALID_BODY",
    )
    .await;
    assert_error(
        post("{\"content\": \"x\"}", "text/plain").await.unwrap(),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;

    let big = format!("{{\"content\": \"{}\"}}", "a".repeat(64 * 1024));
    let response = app
        .request(Method::POST, "/api/v1/posts", &key)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_error(response, 413, "PAYLOAD_TOO_LARGE").await;
    let list: Value = app
        .request(Method::GET, "/api/v1/posts", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_use_the_envelope() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    // Outside /api a missing page is an HTML page for people (see web::unknown_pages_…).
    let response = app
        .client
        .get(app.url("/api/nowhere"))
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "NOT_FOUND").await;
    let response = app
        .request(Method::GET, "/api/v1/unknown", &key)
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "NOT_FOUND").await;
    let response = app
        .request(Method::PATCH, "/api/v1/posts", &key)
        .send()
        .await
        .unwrap();
    assert!(response.headers()["allow"]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert_error(response, 405, "METHOD_NOT_ALLOWED").await;
    let response = app.client.delete(app.url("/healthz")).send().await.unwrap();
    assert_error(response, 405, "METHOD_NOT_ALLOWED").await;
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let mut ids = std::collections::HashSet::new();
    for (method, path, key) in [
        (Method::GET, "/healthz", ""),
        (Method::GET, "/api/v1/posts", key.as_str()),
        (Method::GET, "/api/v1/posts", "bad"),
        (Method::GET, "/nowhere", ""),
    ] {
        let response = app.request(method, path, key).send().await.unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(id.len() >= 16, "{path}: {id}");
        ids.insert(id);
    }
    assert_eq!(ids.len(), 4, "each request gets its own id");
}

#[tokio::test]
async fn internal_errors_leak_nothing() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    // Break the database underneath the running server.
    let conn = rusqlite::Connection::open(&app.db_path).unwrap();
    conn.execute_batch("DROP TABLE posts").unwrap();
    let response = app
        .request(Method::GET, "/api/v1/posts", &key)
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("x-request-id"));
    let message = assert_error(response, 500, "INTERNAL_ERROR").await;
    assert!(
        !message.contains("posts") && !message.to_lowercase().contains("sql"),
        "{message}"
    );
}

#[tokio::test]
async fn health_and_readiness_need_no_key() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn over_long_uris_and_too_many_or_too_large_headers_use_the_envelope() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let get = |query: String| {
        app.request(Method::GET, &format!("/api/v1/posts?{query}"), &key)
            .send()
    };
    // At the limit the request is read as usual (and refused for its unknown parameter).
    let path = "/api/v1/posts?x=";
    let at_limit = "a".repeat(8 * 1024 - path.len());
    assert_error(
        get(format!("x={at_limit}")).await.unwrap(),
        400,
        "INVALID_PARAMETER",
    )
    .await;
    let message = assert_error(
        get(format!("x={at_limit}a")).await.unwrap(),
        414,
        "URI_TOO_LONG",
    )
    .await;
    assert!(message.contains("8192 bytes"), "{message}");

    let mut many = app.request(Method::GET, "/api/v1/posts", &key);
    // With Authorization, Host and Accept: more than 100 fields.
    for i in 0..98 {
        many = many.header(format!("x-filler-{i}"), "1");
    }
    let response = many.send().await.unwrap();
    assert_error(response, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE").await;

    let response = app
        .request(Method::GET, "/api/v1/posts", &key)
        .header("x-filler", "a".repeat(16 * 1024))
        .send()
        .await
        .unwrap();
    let message = assert_error(response, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE").await;
    assert!(message.contains("100 header fields"), "{message}");

    // Under both limits, nothing is refused.
    let response = app
        .request(Method::GET, "/api/v1/posts", &key)
        .header("x-filler", "a".repeat(8 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_method_a_path_lacks_is_405_even_with_an_idempotency_key() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let used = "4f9c2b1e-8d7a-4c3b-9e6f-0a1b2c3d4e5f";
    let created = app
        .request(Method::POST, "/api/v1/ideas", &key)
        .header("idempotency-key", used)
        .json(&serde_json::json!({ "content": "an idea" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    for (method, path, idempotency_key) in [
        (Method::TRACE, "/api/v1/ideas", used),
        (Method::TRACE, "/api/v1/ideas", "a-fresh-key"),
        (Method::PATCH, "/api/v1/posts", used),
        (Method::DELETE, "/api/v1/ideas/x/convert", used),
    ] {
        let response = app
            .request(method.clone(), path, &key)
            .header("idempotency-key", idempotency_key)
            .send()
            .await
            .unwrap();
        let allow = response.headers()["allow"].to_str().unwrap().to_owned();
        assert!(allow.contains("POST"), "{method} {path}: {allow}");
        assert!(!allow.contains(method.as_str()), "{method} {path}: {allow}");
        assert_error(response, 405, "METHOD_NOT_ALLOWED").await;
    }
}

#[tokio::test]
async fn pages_redirects_and_the_reference_are_not_cached() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &'static str| client.get(app.url(path)).send();
    // The first-run page, then (with a user) the redirect to sign in.
    let setup = get("/").await.unwrap();
    assert_eq!(setup.status(), 200);
    assert_eq!(setup.headers()["cache-control"], "no-store");
    app.create_user(linkedgrow::domain::Plan::Business).await;
    for (path, status) in [
        ("/", 303),
        ("/settings", 303),
        ("/docs", 303),
        ("/docs/", 200),
    ] {
        let response = get(path).await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    // The reference's script and the API's answers are not pages.
    let script = get("/docs/swagger-ui-bundle.js").await.unwrap();
    assert_eq!(script.status(), 200);
    assert!(!script.headers().contains_key("cache-control"));
}
