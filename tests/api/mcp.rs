//! `/mcp`: authentication like the REST API's, the Host check, the tools a key's scopes allow,
//! tool calls that answer the REST API's bodies and errors, and the rate limit per tool call.

use linkedgrow::domain::{KeyId, Plan, Scope};
use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, spawn_app_with, TestApp};

/// Sends one JSON-RPC request to `/mcp` with `key` (if any), as a stateless client does.
pub(crate) async fn rpc(app: &TestApp, key: Option<&str>, method: &str, params: Value) -> Response {
    let mut request = app
        .client
        .post(app.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap()
}

/// The `result` of a request that must succeed at the HTTP and JSON-RPC levels.
pub(crate) async fn result(app: &TestApp, key: &str, method: &str, params: Value) -> Value {
    let response = rpc(app, Some(key), method, params).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("error").is_none(), "{body}");
    body["result"].clone()
}

pub(crate) async fn call(app: &TestApp, key: &str, tool: &str, arguments: Value) -> Value {
    let params = json!({"name": tool, "arguments": arguments});
    result(app, key, "tools/call", params).await
}

pub(crate) async fn tool_names(app: &TestApp, key: &str) -> Vec<String> {
    let listed = result(app, key, "tools/list", json!({})).await;
    listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) async fn key_with(app: &TestApp, scopes: &[Scope]) -> String {
    let user = app.create_user(Plan::Business).await;
    app.create_key(&user, scopes).await.1
}

pub(crate) fn initialize() -> Value {
    json!({"protocolVersion": "2025-06-18", "capabilities": {},
           "clientInfo": {"name": "test", "version": "1"}})
}

#[tokio::test]
async fn no_key_a_bad_key_and_a_revoked_key_get_401_before_any_mcp_exchange() {
    let app = spawn_app().await;
    let missing = rpc(&app, None, "initialize", initialize()).await;
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    assert_error(missing, 401, "UNAUTHORIZED").await;
    let bad = rpc(&app, Some("lg_nonsense"), "initialize", initialize()).await;
    assert_error(bad, 401, "UNAUTHORIZED").await;

    let user = app.create_user(Plan::Business).await;
    let (id, key) = app.create_key(&user, &[Scope::PostsRead]).await;
    result(&app, &key, "initialize", initialize()).await;
    app.store
        .revoke_key(&KeyId::from(id.as_str()), app.now_ms())
        .await
        .unwrap();
    let revoked = rpc(&app, Some(&key), "tools/list", json!({})).await;
    assert_error(revoked, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn a_key_below_business_gets_403_plan_required() {
    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    let key = app.create_key(&user, &Scope::ALL).await.1;
    linkedgrow::admin::set_plan(app.store.as_ref(), &user.email, Plan::Pro)
        .await
        .unwrap();
    let response = rpc(&app, Some(&key), "initialize", initialize()).await;
    assert_error(response, 403, "PLAN_REQUIRED").await;
}

#[tokio::test]
async fn a_foreign_host_is_refused_and_the_public_urls_host_is_allowed() {
    let app = spawn_app_with(|config| {
        config.publishing.public_url = Some("https://grow.example.org".into());
    })
    .await;
    let key = app.full_key().await;
    let send = |host: &'static str| {
        app.client
            .post(app.url("/mcp"))
            .header("host", host)
            .header("accept", "application/json, text/event-stream")
            .bearer_auth(&key)
            .json(
                &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize()}),
            )
            .send()
    };
    let foreign = send("evil.example.net").await.unwrap();
    let message = assert_error(foreign, 403, "FORBIDDEN").await;
    assert!(message.contains("Host"), "{message}");
    assert_eq!(send("grow.example.org").await.unwrap().status(), 200);
    assert_eq!(send("localhost:8080").await.unwrap().status(), 200);
}

#[tokio::test]
async fn tools_list_shows_only_what_the_keys_scopes_allow() {
    let app = spawn_app().await;
    let read = key_with(&app, &[Scope::PostsRead]).await;
    assert_eq!(
        tool_names(&app, &read).await,
        ["list_posts", "get_post", "validate_post"]
    );
    let writer = key_with(&app, &[Scope::PostsWrite, Scope::IdeasWrite]).await;
    assert_eq!(
        tool_names(&app, &writer).await,
        [
            "create_post",
            "update_post",
            "publish_post",
            "create_idea",
            "update_idea",
            "delete_idea",
            "convert_idea"
        ]
    );
    let everything = key_with(&app, &Scope::ALL).await;
    assert_eq!(tool_names(&app, &everything).await.len(), 16);

    let listed = result(&app, &everything, "tools/list", json!({})).await;
    let delete = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "delete_post")
        .unwrap();
    assert_eq!(delete["annotations"]["destructiveHint"], true);
    assert_eq!(delete["annotations"]["readOnlyHint"], false);
    assert_eq!(delete["inputSchema"]["required"], json!(["id"]));
}

#[tokio::test]
async fn create_post_answers_the_rest_body_and_the_post_is_the_apis() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let created = call(
        &app,
        &key,
        "create_post",
        json!({"content": "From an agent"}),
    )
    .await;
    assert_eq!(created["isError"], false);
    let post = &created["structuredContent"];
    assert_eq!(post["status"], "draft");
    let text = created["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("From an agent"), "{text}");

    let id = post["id"].as_str().unwrap();
    let rest = app.as_key(&key).get(&format!("/api/v1/posts/{id}")).await;
    assert_eq!(rest.status(), 200);
    assert_eq!(&rest.json::<Value>().await.unwrap(), post);

    let read = call(&app, &key, "get_post", json!({"id": id})).await;
    assert_eq!(&read["structuredContent"], post);
}

#[tokio::test]
async fn errors_are_results_with_the_rest_code_and_message() {
    let app = spawn_app().await;
    let read_only = key_with(&app, &[Scope::PostsRead]).await;
    let refused = call(&app, &read_only, "create_post", json!({"content": "x"})).await;
    assert_eq!(refused["isError"], true);
    assert_eq!(
        refused["structuredContent"]["error"],
        json!({"code": "INSUFFICIENT_SCOPE", "message": "this API key lacks the posts:write scope"})
    );

    let key = app.full_key().await;
    let missing = call(
        &app,
        &key,
        "get_post",
        json!({"id": "post_AAAAAAAAAAAAAAAA"}),
    )
    .await;
    assert_eq!(missing["isError"], true);
    assert_eq!(missing["structuredContent"]["error"]["code"], "NOT_FOUND");

    let blank = call(&app, &key, "create_post", json!({"content": "  "})).await;
    assert_eq!(
        blank["structuredContent"]["error"]["code"],
        "INVALID_CONTENT"
    );
    let typo = call(&app, &key, "create_post", json!({"contents": "x"})).await;
    assert_eq!(typo["structuredContent"]["error"]["code"], "INVALID_BODY");
    let limit = call(&app, &key, "list_posts", json!({"limit": 500})).await;
    assert_eq!(
        limit["structuredContent"]["error"]["code"],
        "INVALID_PARAMETER"
    );
}

#[tokio::test]
async fn every_tool_call_counts_against_the_limit_and_protocol_messages_do_not() {
    let app = spawn_app_with(|config| config.rate_limit_per_minute = 2).await;
    let key = app.full_key().await;
    for _ in 0..3 {
        result(&app, &key, "tools/list", json!({})).await;
    }
    for _ in 0..2 {
        let listed = call(&app, &key, "list_posts", json!({})).await;
        assert_eq!(listed["isError"], false);
    }
    let refused = call(&app, &key, "list_posts", json!({})).await;
    assert_eq!(refused["isError"], true);
    let error = &refused["structuredContent"]["error"];
    assert_eq!(error["code"], "RATE_LIMITED");
    let wait = error["retryAfter"].as_u64().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("retry in {wait} seconds")),
        "{message}"
    );
    // The REST API shares the key's budget.
    let rest = app.as_key(&key).get("/api/v1/posts").await;
    assert_error(rest, 429, "RATE_LIMITED").await;
}

#[tokio::test]
async fn validate_post_answers_what_create_post_would_and_creates_nothing() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let cases = [
        json!({"content": "Hi (all) #rust"}),
        json!({"content": "x", "status": "scheduled", "scheduledAt": "2030-01-07T09:00:00+01:00"}),
        json!({"content": "x", "scheduledAt": "2030-01-07T09:00:00Z"}),
        json!({"content": "x", "status": "scheduled"}),
        json!({"content": "x", "status": "published"}),
        json!({"content": "x", "status": "scheduled", "scheduledAt": "2020-01-01T00:00:00Z"}),
        json!({"content": "x", "colour": "red"}),
        json!({"content": 5}),
        json!({"content": "   "}),
        json!({}),
    ];
    for arguments in cases {
        let verdict = call(&app, &key, "validate_post", arguments.clone()).await;
        assert_eq!(verdict["isError"], false, "{arguments}: {verdict}");
        let verdict = &verdict["structuredContent"];
        let before = call(&app, &key, "list_posts", json!({})).await;
        let created = call(&app, &key, "create_post", arguments.clone()).await;
        if created["isError"] == true {
            assert_eq!(verdict["accepted"], false, "{arguments}: {verdict}");
            assert_eq!(
                verdict["failure"], created["structuredContent"]["error"],
                "{arguments}"
            );
            assert_eq!(verdict["status"], Value::Null);
        } else {
            let post = &created["structuredContent"];
            assert_eq!(verdict["accepted"], true, "{arguments}: {verdict}");
            assert_eq!(verdict["failure"], Value::Null);
            assert_eq!(verdict["status"], post["status"], "{arguments}");
            assert_eq!(verdict["scheduledAt"], post["scheduledAt"], "{arguments}");
        }
        // The dry run itself stored nothing: only create_post did.
        let total = |listed: &Value| listed["structuredContent"]["total"].as_u64().unwrap();
        let after = call(&app, &key, "list_posts", json!({})).await;
        let made = u64::from(created["isError"] == false);
        assert_eq!(total(&after), total(&before) + made, "{arguments}");
    }
    let refused = call(
        &app,
        &key,
        "validate_post",
        json!({"content": "x", "scheduledAt": "2030-01-07T09:00:00Z"}),
    )
    .await;
    assert_eq!(
        refused["structuredContent"]["failure"]["code"],
        "INVALID_SCHEDULE"
    );
}
