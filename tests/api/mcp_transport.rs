//! `/mcp` at the transport: bodies that are not JSON-RPC messages, the text of a result, the
//! Origin check, the default log, ill-shaped `tools/call` params, `/mcp/` and HEAD.

use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, spawn_app_with, TestApp};
use crate::mcp::{call, rpc};

/// Posts `body` to `/mcp` as JSON with `key`, as a client would.
async fn post_raw(app: &TestApp, key: &str, content_type: &str, body: &str) -> Response {
    app.client
        .post(app.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .header("content-type", content_type)
        .bearer_auth(key)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_body_that_is_not_a_json_rpc_message_is_400_with_the_rest_apis_codes() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    for (body, code) in [
        ("nope", "MALFORMED_JSON"),
        ("", "MALFORMED_JSON"),
        (r#"{"jsonrpc":"2.0","id":1,"#, "MALFORMED_JSON"),
        ("42", "INVALID_BODY"),
        (
            r#"{"jsonrpc":"2.0","id":null,"method":"tools/list"}"#,
            "INVALID_BODY",
        ),
    ] {
        let response = post_raw(&app, &key, "application/json", body).await;
        assert_eq!(response.status(), 400, "{body:?}");
        let message = assert_error(response, 400, code).await;
        assert!(!message.contains("deserialize"), "{message}");
    }
    let charset = post_raw(&app, &key, "application/json; charset=utf-8", "{").await;
    assert_error(charset, 400, "MALFORMED_JSON").await;
    // A wrong Content-Type is still 415, whatever the body.
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    for content_type in ["text/plain", "application/vnd.api+json"] {
        let response = post_raw(&app, &key, content_type, list).await;
        assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE").await;
    }
    let fine = post_raw(&app, &key, "application/json", list).await;
    assert_eq!(fine.status(), 200);
}

#[tokio::test]
async fn a_results_text_carries_the_whole_result_as_json() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let created = call(
        &app,
        &key,
        "create_post",
        json!({"content": "Line one\nline two"}),
    )
    .await;
    let refused = call(
        &app,
        &key,
        "get_post",
        json!({"id": "post_AAAAAAAAAAAAAAAA"}),
    )
    .await;
    let listed = call(&app, &key, "list_posts", json!({})).await;
    for result in [created, refused, listed] {
        let content = result["content"].as_array().unwrap();
        assert_eq!(content.len(), 1, "{result}");
        let text = content[0]["text"].as_str().unwrap();
        let (summary, json) = text.split_once('\n').unwrap();
        assert!(!summary.is_empty());
        let json: Value = serde_json::from_str(json).unwrap();
        assert_eq!(json, result["structuredContent"], "{text}");
    }
}

#[tokio::test]
async fn a_browser_page_from_another_origin_is_refused() {
    let app = spawn_app_with(|config| {
        config.publishing.public_url = Some("https://grow.example.org".into());
    })
    .await;
    let key = app.full_key().await;
    let send = |origin: Option<&'static str>| {
        let mut request = app
            .client
            .post(app.url("/mcp"))
            .header("accept", "application/json, text/event-stream")
            .bearer_auth(&key)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    for origin in [
        "https://evil.example.net",
        "http://grow.example.org.evil.net",
        "null",
    ] {
        let refused = send(Some(origin)).await.unwrap();
        let message = assert_error(refused, 403, "FORBIDDEN").await;
        assert!(message.contains("Origin"), "{origin}: {message}");
    }
    for origin in [
        None,
        Some("https://grow.example.org"),
        Some("http://localhost:5173"),
        Some("http://127.0.0.1:8080"),
        Some("http://[::1]:3000"),
    ] {
        let response = send(origin).await.unwrap();
        assert_eq!(response.status(), 200, "{origin:?}");
    }
}

#[tokio::test]
async fn the_default_log_has_one_line_per_mcp_request_and_no_client_text() {
    use std::process::{Command, Stdio};

    let app = spawn_app().await;
    let key = app.full_key().await;
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let (mut child, address) =
        crate::cli::serve_logging_to(&app.database_url(), &[], Stdio::from(log));
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for message in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "client-secret-7q", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "create_post", "arguments": {"content": "post-secret-7q"}}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
            "name": "validate_post", "arguments": {"content": "post-secret-7q"}}}),
    ] {
        let response = client
            .post(format!("{address}/mcp"))
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18")
            .bearer_auth(&key)
            .json(&message)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        ids.push(
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let stopped = crate::cli::wait_at_most(&mut child, std::time::Duration::from_secs(20));
    assert!(stopped.success());

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(!log.contains("secret-7q"), "{log}");
    for id in ids {
        let lines = log.lines().filter(|line| line.contains(&id)).count();
        assert_eq!(lines, 1, "{id} in:\n{log}");
    }
}

#[tokio::test]
async fn tools_call_with_params_of_the_wrong_shape_is_invalid_params() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    for params in [
        None,
        Some(json!({"name": 5})),
        Some(json!({"arguments": {}})),
        Some(json!({"name": "validate_post", "arguments": [1]})),
    ] {
        let mut message = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call"});
        if let Some(params) = &params {
            message["params"] = params.clone();
        }
        let response = post_raw(&app, &key, "application/json", &message.to_string()).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["id"], 7);
        assert_eq!(body["error"]["code"], -32602, "{params:?}: {body}");
    }
    let unknown = rpc(&app, Some(&key), "resources/list", json!({})).await;
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32601, "{body}");
}

#[tokio::test]
async fn a_trailing_slash_is_the_same_endpoint_and_head_is_405_like_get() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let response = app
        .client
        .post(app.url("/mcp/"))
        .header("accept", "application/json, text/event-stream")
        .bearer_auth(&key)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"]["tools"].as_array().unwrap().len(), 16);
    let anonymous = app.client.post(app.url("/mcp/")).send().await.unwrap();
    assert_error(anonymous, 401, "UNAUTHORIZED").await;

    for path in ["/mcp", "/mcp/"] {
        let get = app
            .client
            .get(app.url(path))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(get.headers()["allow"], "POST");
        let get_length = get.headers()["content-length"].clone();
        assert_error(get, 405, "METHOD_NOT_ALLOWED").await;
        let head = app
            .client
            .head(app.url(path))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 405, "{path}");
        assert_eq!(head.headers()["allow"], "POST");
        assert_eq!(head.headers()["content-type"], "application/json");
        assert_eq!(head.headers()["content-length"], get_length);
    }
}
