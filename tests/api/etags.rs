//! Strong ETags on posts and ideas, and If-Match on PUT and DELETE.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};

async fn with_if_match(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    if_match: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.request(method, path, key).header("if-match", if_match);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

fn etag(response: &reqwest::Response) -> String {
    let tag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        tag.starts_with('"') && tag.ends_with('"') && !tag.starts_with("W/"),
        "strong: {tag}"
    );
    tag
}

/// Runs the same checks on `/api/v1/{kind}/{id}`.
async fn stale_if_match_changes_nothing(kind: &str, create_body: Value, update: Value) {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let created = app
        .send(
            Method::POST,
            &format!("/api/v1/{kind}"),
            &key,
            Some(create_body),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created_tag = etag(&created);
    let created: Value = created.json().await.unwrap();
    let path = format!("/api/v1/{kind}/{}", created["id"].as_str().unwrap());

    // GET answers with the same tag as the create; it is stable while nothing changes.
    let got = app.as_key(&key).get(&path).await;
    assert_eq!(etag(&got), created_tag);
    assert_eq!(etag(&app.as_key(&key).get(&path).await), created_tag);

    // A PUT with the current tag succeeds and returns the new tag.
    app.clock.advance(chrono::Duration::seconds(5));
    let updated = with_if_match(
        &app,
        Method::PUT,
        &path,
        &key,
        &created_tag,
        Some(update.clone()),
    )
    .await;
    assert_eq!(updated.status(), 200);
    let new_tag = etag(&updated);
    assert_ne!(new_tag, created_tag);
    let current: Value = updated.json().await.unwrap();
    assert_eq!(etag(&app.as_key(&key).get(&path).await), new_tag);

    // The old tag is stale now: PUT and DELETE are 412 and nothing changes.
    let stale_put = with_if_match(
        &app,
        Method::PUT,
        &path,
        &key,
        &created_tag,
        Some(json!({ "content": "lost update" })),
    )
    .await;
    let message = assert_error(stale_put, 412, "PRECONDITION_FAILED").await;
    assert!(message.contains("ETag"), "{message}");
    let stale_delete = with_if_match(&app, Method::DELETE, &path, &key, &created_tag, None).await;
    assert_error(stale_delete, 412, "PRECONDITION_FAILED").await;
    let weak = with_if_match(
        &app,
        Method::DELETE,
        &path,
        &key,
        &format!("W/{new_tag}"),
        None,
    )
    .await;
    assert_error(weak, 412, "PRECONDITION_FAILED").await;
    for junk in ["nonsense", "\"\"", "\"a\", \"b\""] {
        let response =
            with_if_match(&app, Method::PUT, &path, &key, junk, Some(update.clone())).await;
        assert_error(response, 412, "PRECONDITION_FAILED").await;
    }
    let unchanged = app.as_key(&key).get(&path).await;
    assert_eq!(etag(&unchanged), new_tag);
    assert_eq!(unchanged.json::<Value>().await.unwrap(), current);

    // A list holding the current tag matches; so does `*`.
    let listed = with_if_match(
        &app,
        Method::PUT,
        &path,
        &key,
        &format!("\"x\", {new_tag}"),
        Some(json!({ "content": "listed" })),
    )
    .await;
    assert_eq!(listed.status(), 200);
    let any = with_if_match(
        &app,
        Method::PUT,
        &path,
        &key,
        "*",
        Some(json!({ "content": "any" })),
    )
    .await;
    assert_eq!(any.status(), 200);
    let latest = etag(&any);

    // No If-Match: as before, unconditional.
    assert_eq!(
        app.as_key(&key)
            .put_json(&path, &json!({ "content": "free" }))
            .await
            .status(),
        200
    );
    let latest_after = etag(&app.as_key(&key).get(&path).await);
    assert_ne!(latest, latest_after);

    // DELETE with the current tag deletes; then If-Match: * on the missing resource is 404.
    let deleted = with_if_match(&app, Method::DELETE, &path, &key, &latest_after, None).await;
    assert_eq!(deleted.status(), 200);
    assert_error(
        with_if_match(&app, Method::DELETE, &path, &key, "*", None).await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_error(
        with_if_match(&app, Method::PUT, &path, &key, "*", Some(update)).await,
        404,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn posts_stale_if_match_is_412_and_changes_nothing() {
    stale_if_match_changes_nothing(
        "posts",
        json!({ "content": "v1" }),
        json!({ "content": "v2" }),
    )
    .await;
}

#[tokio::test]
async fn ideas_stale_if_match_is_412_and_changes_nothing() {
    stale_if_match_changes_nothing(
        "ideas",
        json!({ "content": "v1", "tags": ["a"] }),
        json!({ "tags": ["b"] }),
    )
    .await;
}

#[tokio::test]
async fn converting_an_idea_changes_its_etag() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let created = app
        .send(
            Method::POST,
            "/api/v1/ideas",
            &key,
            Some(json!({ "content": "c" })),
        )
        .await;
    let tag = etag(&created);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.send(
        Method::POST,
        &format!("/api/v1/ideas/{id}/convert"),
        &key,
        None,
    )
    .await;
    let stale = with_if_match(
        &app,
        Method::PUT,
        &format!("/api/v1/ideas/{id}"),
        &key,
        &tag,
        Some(json!({ "content": "d" })),
    )
    .await;
    assert_error(stale, 412, "PRECONDITION_FAILED").await;
}
