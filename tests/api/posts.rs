//! The posts endpoints: fields, defaults, validation, partial updates, deletes, pagination.

use std::collections::HashSet;

use chrono::Duration;
use linkedgrow::domain::PostId;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, spawn_app_with, TestApp};

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.request(method, path, key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

fn is_rfc3339_utc(value: &Value) -> bool {
    let s = value.as_str().unwrap_or_default();
    s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

#[tokio::test]
async fn create_then_get_returns_every_documented_field() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let response = send(
        &app,
        Method::POST,
        "/api/v1/posts",
        &key,
        Some(json!({ "content": "Hello LinkedIn" })),
    )
    .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("post_") && id.len() > 10, "{id}");
    assert!(id[5..].chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(created["content"], "Hello LinkedIn");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["scheduledAt"], Value::Null);
    assert_eq!(created["publishedAt"], Value::Null);
    assert_eq!(created["createdAt"], "2026-01-05T09:00:00Z");
    assert_eq!(created["updatedAt"], "2026-01-05T09:00:00Z");
    let keys: HashSet<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: HashSet<&str> = [
        "id",
        "content",
        "status",
        "scheduledAt",
        "publishedAt",
        "linkedinUrn",
        "linkedinUrl",
        "failure",
        "createdAt",
        "updatedAt",
    ]
    .into();
    assert_eq!(keys, expected);

    let fetched: Value = send(
        &app,
        Method::GET,
        &format!("/api/v1/posts/{id}"),
        &key,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn scheduled_posts_need_a_future_time_and_are_stored_in_utc() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let body = json!({ "content": "Later", "status": "scheduled", "scheduledAt": "2026-01-05T12:30:00+02:00" });
    let response = send(&app, Method::POST, "/api/v1/posts", &key, Some(body)).await;
    assert_eq!(response.status(), 201);
    let post: Value = response.json().await.unwrap();
    assert_eq!(post["status"], "scheduled");
    assert_eq!(post["scheduledAt"], "2026-01-05T10:30:00Z");

    let cases = [
        json!({ "content": "x", "status": "scheduled" }),
        json!({ "content": "x", "status": "scheduled", "scheduledAt": "2026-01-05T09:00:00Z" }),
        json!({ "content": "x", "status": "scheduled", "scheduledAt": "2025-12-31T09:00:00Z" }),
        json!({ "content": "x", "status": "scheduled", "scheduledAt": "2026-02-01T09:00:00" }),
        json!({ "content": "x", "status": "scheduled", "scheduledAt": "next tuesday" }),
        json!({ "content": "x", "scheduledAt": "2026-02-01T09:00:00Z" }),
    ];
    for body in cases {
        let response = send(
            &app,
            Method::POST,
            "/api/v1/posts",
            &key,
            Some(body.clone()),
        )
        .await;
        let message = assert_error(response, 400, "INVALID_SCHEDULE").await;
        assert!(message.contains("scheduledAt"), "{body}: {message}");
    }
}

#[tokio::test]
async fn content_is_required_not_blank_and_at_most_3000_characters() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    for content in [json!(""), json!("   \n\t ")] {
        let response = send(
            &app,
            Method::POST,
            "/api/v1/posts",
            &key,
            Some(json!({ "content": content })),
        )
        .await;
        let message = assert_error(response, 400, "INVALID_CONTENT").await;
        assert_eq!(message, "Post content cannot be empty");
    }
    let response = send(
        &app,
        Method::POST,
        "/api/v1/posts",
        &key,
        Some(json!({ "status": "draft" })),
    )
    .await;
    assert_error(response, 400, "INVALID_CONTENT").await;

    // 3,000 characters of 4 bytes each are allowed: the limit counts characters, not bytes.
    let emoji = "🚀".repeat(3_000);
    let response = send(
        &app,
        Method::POST,
        "/api/v1/posts",
        &key,
        Some(json!({ "content": emoji })),
    )
    .await;
    assert_eq!(response.status(), 201);
    let response = send(
        &app,
        Method::POST,
        "/api/v1/posts",
        &key,
        Some(json!({ "content": "a".repeat(3_001) })),
    )
    .await;
    let message = assert_error(response, 400, "INVALID_CONTENT").await;
    assert!(message.contains("3000"), "{message}");
}

#[tokio::test]
async fn clients_cannot_set_status_published_ids_timestamps_or_unknown_fields() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let message = assert_error(
        send(
            &app,
            Method::POST,
            "/api/v1/posts",
            &key,
            Some(json!({ "content": "x", "status": "published" })),
        )
        .await,
        400,
        "INVALID_STATUS",
    )
    .await;
    assert!(message.contains("published"));
    assert_error(
        send(
            &app,
            Method::POST,
            "/api/v1/posts",
            &key,
            Some(json!({ "content": "x", "status": "live" })),
        )
        .await,
        400,
        "INVALID_STATUS",
    )
    .await;
    for field in [
        "scheduled_at",
        "id",
        "createdAt",
        "updatedAt",
        "publishedAt",
    ] {
        let body = json!({ "content": "x", field: "2026-02-01T00:00:00Z" });
        let message = assert_error(
            send(&app, Method::POST, "/api/v1/posts", &key, Some(body)).await,
            400,
            "INVALID_BODY",
        )
        .await;
        assert!(
            message.contains(&format!("`{field}`")),
            "{field}: {message}"
        );
    }
    let post = app.create_post(&key, "x").await;
    let path = format!("/api/v1/posts/{}", post["id"].as_str().unwrap());
    let message = assert_error(
        send(
            &app,
            Method::PUT,
            &path,
            &key,
            Some(json!({ "id": "post_mine" })),
        )
        .await,
        400,
        "INVALID_BODY",
    )
    .await;
    assert!(message.contains("`id`"), "{message}");
    let list: Value = send(&app, Method::GET, "/api/v1/posts", &key, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "no rejected body created anything");
}

#[tokio::test]
async fn updates_change_only_the_fields_sent() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let body =
        json!({ "content": "First", "status": "scheduled", "scheduledAt": "2026-03-01T08:00:00Z" });
    let post: Value = send(&app, Method::POST, "/api/v1/posts", &key, Some(body))
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/posts/{}", post["id"].as_str().unwrap());

    app.clock.advance(Duration::minutes(5));
    let response = send(
        &app,
        Method::PUT,
        &path,
        &key,
        Some(json!({ "content": "Second" })),
    )
    .await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["content"], "Second");
    assert_eq!(updated["status"], "scheduled");
    assert_eq!(updated["scheduledAt"], "2026-03-01T08:00:00Z");
    assert_eq!(updated["createdAt"], post["createdAt"]);
    assert_eq!(updated["updatedAt"], "2026-01-05T09:05:00Z");

    let moved: Value = send(
        &app,
        Method::PUT,
        &path,
        &key,
        Some(json!({ "scheduledAt": "2026-04-01T08:00:00-05:00" })),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(moved["scheduledAt"], "2026-04-01T13:00:00Z");
    assert_eq!(moved["content"], "Second");

    // Back to draft clears the schedule.
    let draft: Value = send(
        &app,
        Method::PUT,
        &path,
        &key,
        Some(json!({ "status": "draft" })),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["scheduledAt"], Value::Null);

    // Scheduling a draft needs a time.
    let response = send(
        &app,
        Method::PUT,
        &path,
        &key,
        Some(json!({ "status": "scheduled" })),
    )
    .await;
    assert_error(response, 400, "INVALID_SCHEDULE").await;
    let response = send(
        &app,
        Method::PUT,
        &path,
        &key,
        Some(json!({ "content": "  " })),
    )
    .await;
    assert_error(response, 400, "INVALID_CONTENT").await;
    let fetched: Value = send(&app, Method::GET, &path, &key, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, draft, "failed updates change nothing");
    assert!(is_rfc3339_utc(&fetched["updatedAt"]));
}

#[tokio::test]
async fn published_posts_cannot_be_edited() {
    let app = spawn_app().await;
    let user = app.create_user(linkedgrow::domain::Plan::Business).await;
    let (_, key) = app.create_key(&user, &linkedgrow::domain::Scope::ALL).await;
    let post = app.create_post(&key, "Shipped").await;
    let id = post["id"].as_str().unwrap();
    app.clock.advance(Duration::hours(1));
    app.store
        .mark_published(&user.id, &PostId::from(id), app.now_ms())
        .await
        .unwrap();
    let path = format!("/api/v1/posts/{id}");

    let response = send(
        &app,
        Method::PUT,
        &path,
        &key,
        Some(json!({ "content": "Edited" })),
    )
    .await;
    assert_error(response, 409, "POST_PUBLISHED").await;
    let fetched: Value = send(&app, Method::GET, &path, &key, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["content"], "Shipped");
    assert_eq!(fetched["status"], "published");
    assert_eq!(fetched["publishedAt"], "2026-01-05T10:00:00Z");
}

#[tokio::test]
async fn delete_confirms_and_the_post_is_gone() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let post = app.create_post(&key, "Bye").await;
    let id = post["id"].as_str().unwrap();
    let path = format!("/api/v1/posts/{id}");
    let response = send(&app, Method::DELETE, &path, &key, None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "id": id, "deleted": true }));
    assert_error(
        send(&app, Method::GET, &path, &key, None).await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_error(
        send(&app, Method::DELETE, &path, &key, None).await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_error(
        send(
            &app,
            Method::PUT,
            &path,
            &key,
            Some(json!({ "content": "x" })),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    let list: Value = send(&app, Method::GET, "/api/v1/posts", &key, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn list_filters_by_status_and_reports_totals() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    for i in 0..3 {
        app.create_post(&key, &format!("draft {i}")).await;
    }
    let body =
        json!({ "content": "s", "status": "scheduled", "scheduledAt": "2026-06-01T00:00:00Z" });
    send(&app, Method::POST, "/api/v1/posts", &key, Some(body)).await;

    let all: Value = send(&app, Method::GET, "/api/v1/posts", &key, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            all["total"].as_u64(),
            all["limit"].as_u64(),
            all["offset"].as_u64()
        ),
        (Some(4), Some(20), Some(0))
    );
    let drafts: Value = send(
        &app,
        Method::GET,
        "/api/v1/posts?status=draft&limit=2",
        &key,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(drafts["total"], 3);
    assert_eq!(drafts["posts"].as_array().unwrap().len(), 2);
    assert_eq!(drafts["posts"][0]["content"], "draft 2", "newest first");
    let scheduled: Value = send(
        &app,
        Method::GET,
        "/api/v1/posts?status=scheduled",
        &key,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(scheduled["total"], 1);
    let published: Value = send(
        &app,
        Method::GET,
        "/api/v1/posts?status=published",
        &key,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(published["total"], 0);
    assert_eq!(published["posts"], json!([]));
}

#[tokio::test]
async fn bad_list_parameters_say_what_is_allowed() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let cases = [
        ("limit=0", "1 to 100"),
        ("limit=101", "1 to 100"),
        ("limit=ten", "1 to 100"),
        ("limit=-5", "1 to 100"),
        ("offset=-1", "non-negative"),
        ("offset=abc", "non-negative"),
        ("status=archived", "draft, scheduled, published"),
        ("page=2", "allowed: status, limit, offset"),
    ];
    for (query, hint) in cases {
        let response = send(
            &app,
            Method::GET,
            &format!("/api/v1/posts?{query}"),
            &key,
            None,
        )
        .await;
        let message = assert_error(response, 400, "INVALID_PARAMETER").await;
        assert!(message.contains(hint), "{query}: {message}");
    }
    let response = send(
        &app,
        Method::GET,
        "/api/v1/posts?limit=100&offset=1000",
        &key,
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn pagination_walks_every_post_once_in_creation_order() {
    // All 250 posts are created within the same instant of the test clock.
    let app = spawn_app_with(|config| {
        config.rate_limit_per_minute = 10_000;
        config.rate_limit_per_hour = 10_000;
    })
    .await;
    let key = app.full_key().await;
    let mut created = Vec::new();
    for i in 0..250 {
        created.push(
            app.create_post(&key, &format!("post {i}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    created.reverse();

    for limit in [100, 7] {
        let mut seen = Vec::new();
        let mut offset = 0;
        loop {
            let page: Value = send(
                &app,
                Method::GET,
                &format!("/api/v1/posts?limit={limit}&offset={offset}"),
                &key,
                None,
            )
            .await
            .json()
            .await
            .unwrap();
            assert_eq!(page["total"], 250);
            let posts = page["posts"].as_array().unwrap();
            if posts.is_empty() {
                break;
            }
            seen.extend(posts.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
            offset += limit;
        }
        assert_eq!(
            seen, created,
            "limit {limit}: no gap, no repeat, newest first"
        );
    }
}
