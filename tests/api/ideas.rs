//! The ideas endpoints: fields, validation, partial updates, tags, deletes, conversion.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn create_get_list_update_delete() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let created = app
        .create_idea(
            &key,
            json!({ "content": "Hooks that work", "notes": "3 examples", "tags": ["hooks", "writing", "hooks"] }),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("idea_") && id.len() == 21, "{id}");
    assert_eq!(created["content"], "Hooks that work");
    assert_eq!(created["notes"], "3 examples");
    assert_eq!(
        created["tags"],
        json!(["hooks", "writing"]),
        "duplicates dropped"
    );
    assert_eq!(created["postId"], Value::Null);
    assert_eq!(created["createdAt"], "2026-01-05T09:00:00Z");
    assert_eq!(created["updatedAt"], "2026-01-05T09:00:00Z");
    let fields: HashSet<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "id",
            "content",
            "notes",
            "tags",
            "postId",
            "createdAt",
            "updatedAt"
        ]
        .into()
    );

    let path = format!("/api/v1/ideas/{id}");
    let fetched: Value = app.as_key(&key).get(&path).await.json().await.unwrap();
    assert_eq!(fetched, created);

    // Partial update: only what is sent changes; null notes removes them.
    app.clock.advance(chrono::Duration::minutes(5));
    let response = app
        .send(
            Method::PUT,
            &path,
            &key,
            Some(json!({ "notes": null, "tags": ["x"] })),
        )
        .await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["content"], "Hooks that work");
    assert_eq!(updated["notes"], Value::Null);
    assert_eq!(updated["tags"], json!(["x"]));
    assert_eq!(updated["updatedAt"], "2026-01-05T09:05:00Z");
    assert_eq!(updated["createdAt"], "2026-01-05T09:00:00Z");

    // A second idea, a tag filter, pagination.
    app.create_idea(&key, json!({ "content": "Second", "tags": ["x", "y"] }))
        .await;
    app.create_idea(&key, json!({ "content": "Third" })).await;
    let list: Value = app
        .as_key(&key)
        .get("/api/v1/ideas?limit=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 3);
    assert_eq!(list["limit"], 2);
    assert_eq!(list["offset"], 0);
    assert_eq!(list["ideas"][0]["content"], "Third", "newest first");
    assert_eq!(list["ideas"].as_array().unwrap().len(), 2);
    let tagged: Value = app
        .as_key(&key)
        .get("/api/v1/ideas?tag=x")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tagged["total"], 2);
    let contents: Vec<&str> = tagged["ideas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["Second", "Hooks that work"]);
    let none: Value = app
        .as_key(&key)
        .get("/api/v1/ideas?tag=nope&offset=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            none["total"].as_u64(),
            none["ideas"].as_array().unwrap().len()
        ),
        (Some(0), 0)
    );

    // Delete, then it is gone.
    let response = app.as_key(&key).delete(&path).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "id": id, "deleted": true })
    );
    assert_error(app.as_key(&key).get(&path).await, 404, "NOT_FOUND").await;
    assert_error(app.as_key(&key).delete(&path).await, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn validation_errors() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let cases = [
        (json!({}), "INVALID_CONTENT"),
        (json!({ "content": null }), "INVALID_CONTENT"),
        (json!({ "content": " \n\t\u{3000}" }), "INVALID_CONTENT"),
        (json!({ "content": "é".repeat(3_001) }), "INVALID_CONTENT"),
        (
            json!({ "content": "x", "notes": "n".repeat(10_001) }),
            "INVALID_NOTES",
        ),
        (json!({ "content": "x", "tags": [""] }), "INVALID_TAGS"),
        (
            json!({ "content": "x", "tags": ["t".repeat(51)] }),
            "INVALID_TAGS",
        ),
        (
            json!({ "content": "x", "tags": (0..21).map(|i| i.to_string()).collect::<Vec<_>>() }),
            "INVALID_TAGS",
        ),
        (json!({ "content": "x", "tags": "one" }), "INVALID_BODY"),
        (
            json!({ "content": "x", "postId": "post_x" }),
            "INVALID_BODY",
        ),
        (json!({ "content": "x", "id": "idea_x" }), "INVALID_BODY"),
    ];
    for (body, code) in cases {
        let response = app
            .as_key(&key)
            .post_json("/api/v1/ideas", &body.clone())
            .await;
        let message = assert_error(response, 400, code).await;
        if code == "INVALID_BODY" && body.get("tags").is_none() {
            assert!(message.contains("unknown field"), "{body}: {message}");
        }
    }
    assert!(app.create_idea(&key, json!({ "content": "é".repeat(3_000), "tags": (0..20).map(|i| i.to_string()).collect::<Vec<_>>() })).await["id"].is_string());

    let id = app.create_idea(&key, json!({ "content": "x" })).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/ideas/{id}");
    for (body, code) in [
        (json!({ "content": "" }), "INVALID_CONTENT"),
        (json!({ "tags": [" "] }), "INVALID_TAGS"),
        (json!({ "postId": "post_x" }), "INVALID_BODY"),
    ] {
        assert_error(app.as_key(&key).put_json(&path, &body).await, 400, code).await;
    }
    for query in [
        "limit=0",
        "limit=101",
        "offset=-1",
        "status=draft",
        "tags=x",
    ] {
        let response = app
            .as_key(&key)
            .get(&format!("/api/v1/ideas?{query}"))
            .await;
        assert_error(response, 400, "INVALID_PARAMETER").await;
    }
}

#[tokio::test]
async fn convert_creates_a_draft_once() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let idea = app
        .create_idea(
            &key,
            json!({ "content": "Turn me into a post", "tags": ["t"] }),
        )
        .await;
    let id = idea["id"].as_str().unwrap();
    app.clock.advance(chrono::Duration::hours(1));

    let response = app
        .send(
            Method::POST,
            &format!("/api/v1/ideas/{id}/convert"),
            &key,
            None,
        )
        .await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().contains_key("etag"));
    let post: Value = response.json().await.unwrap();
    assert!(post["id"].as_str().unwrap().starts_with("post_"));
    assert_eq!(post["content"], "Turn me into a post");
    assert_eq!(post["status"], "draft");
    assert_eq!(post["createdAt"], "2026-01-05T10:00:00Z");

    let linked: Value = app
        .as_key(&key)
        .get(&format!("/api/v1/ideas/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(linked["postId"], post["id"]);
    assert_eq!(linked["updatedAt"], "2026-01-05T10:00:00Z");
    let fetched: Value = app
        .send(
            Method::GET,
            &format!("/api/v1/posts/{}", post["id"].as_str().unwrap()),
            &key,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, post);

    // Twice: 409, and no second post.
    let response = app
        .send(
            Method::POST,
            &format!("/api/v1/ideas/{id}/convert"),
            &key,
            None,
        )
        .await;
    let message = assert_error(response, 409, "IDEA_ALREADY_CONVERTED").await;
    assert!(message.contains(post["id"].as_str().unwrap()), "{message}");
    let posts: Value = app
        .as_key(&key)
        .get("/api/v1/posts")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(posts["total"], 1);

    // Deleting the post unlinks the idea, which can then be converted again.
    app.send(
        Method::DELETE,
        &format!("/api/v1/posts/{}", post["id"].as_str().unwrap()),
        &key,
        None,
    )
    .await;
    let unlinked: Value = app
        .as_key(&key)
        .get(&format!("/api/v1/ideas/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unlinked["postId"], Value::Null);
    let response = app
        .send(
            Method::POST,
            &format!("/api/v1/ideas/{id}/convert"),
            &key,
            None,
        )
        .await;
    assert_eq!(response.status(), 201);

    // Deleting an idea leaves its post.
    app.as_key(&key)
        .delete(&format!("/api/v1/ideas/{id}"))
        .await;
    let posts: Value = app
        .as_key(&key)
        .get("/api/v1/posts")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(posts["total"], 1);

    assert_error(
        app.send(
            Method::POST,
            "/api/v1/ideas/idea_doesnotexist00/convert",
            &key,
            None,
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
}
