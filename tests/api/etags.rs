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

/// `GET path` with `If-None-Match: condition`.
async fn get_if_none_match(
    app: &TestApp,
    path: &str,
    key: &str,
    condition: &str,
) -> reqwest::Response {
    app.request(Method::GET, path, key)
        .header("if-none-match", condition)
        .send()
        .await
        .unwrap()
}

fn remaining(response: &reqwest::Response) -> u64 {
    response.headers()["x-ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Asserts a 304 for `tag`: the tag, the rate-limit headers, no body.
async fn assert_not_modified(response: reqwest::Response, tag: &str) {
    assert_eq!(response.status(), 304, "{}", response.url());
    assert_eq!(response.headers()["etag"], tag);
    assert!(response.headers().contains_key("x-ratelimit-limit"));
    assert!(!response.headers().contains_key("content-type"));
    assert!(response.bytes().await.unwrap().is_empty());
}

/// A read with the current tag is 304 until the resource changes; then 200 with the new one.
async fn unchanged_reads_are_not_modified(kind: &str, create_body: Value, update: Value) {
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
    let created: Value = created.json().await.unwrap();
    let path = format!("/api/v1/{kind}/{}", created["id"].as_str().unwrap());

    let got = app.as_key(&key).get(&path).await;
    let tag = etag(&got);
    let before = remaining(&got);
    let cached: Value = got.json().await.unwrap();

    let not_modified = get_if_none_match(&app, &path, &key, &tag).await;
    assert_eq!(remaining(&not_modified), before - 1, "a 304 counts");
    assert_not_modified(not_modified, &tag).await;
    // Weak comparison (RFC 9110): a weak form of the tag, a list holding it and `*` match.
    for condition in [
        format!("W/{tag}"),
        format!("\"other\", {tag}"),
        "*".to_owned(),
    ] {
        assert_not_modified(get_if_none_match(&app, &path, &key, &condition).await, &tag).await;
    }
    // Another tag or an unreadable header: the full answer.
    for condition in ["\"other\"", "nonsense"] {
        let response = get_if_none_match(&app, &path, &key, condition).await;
        assert_eq!(response.status(), 200, "{condition}");
        assert_eq!(etag(&response), tag);
        assert_eq!(response.json::<Value>().await.unwrap(), cached);
    }

    app.clock.advance(chrono::Duration::seconds(5));
    let updated = app.as_key(&key).put_json(&path, &update).await;
    assert_eq!(updated.status(), 200);
    let new_tag = etag(&updated);
    let current: Value = updated.json().await.unwrap();
    let response = get_if_none_match(&app, &path, &key, &tag).await;
    assert_eq!(response.status(), 200, "changed since");
    assert_eq!(etag(&response), new_tag);
    assert_eq!(response.json::<Value>().await.unwrap(), current);
    assert_not_modified(
        get_if_none_match(&app, &path, &key, &new_tag).await,
        &new_tag,
    )
    .await;
}

#[tokio::test]
async fn an_unchanged_post_is_not_modified() {
    unchanged_reads_are_not_modified(
        "posts",
        json!({ "content": "v1" }),
        json!({ "content": "v2" }),
    )
    .await;
}

#[tokio::test]
async fn an_unchanged_idea_is_not_modified() {
    unchanged_reads_are_not_modified(
        "ideas",
        json!({ "content": "v1", "tags": ["a"] }),
        json!({ "tags": ["b"] }),
    )
    .await;
}

#[tokio::test]
async fn an_unchanged_list_page_is_not_modified() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    app.create_post(&key, "first").await;
    let page = app.as_key(&key).get("/api/v1/posts?limit=5").await;
    let tag = etag(&page);
    let body = page.bytes().await.unwrap();
    // The tag is over the page's bytes, as the ETag of a single post is.
    assert_eq!(
        tag,
        format!("\"{}\"", &linkedgrow::keys::hex_sha256(&body)[..32])
    );
    assert_not_modified(
        get_if_none_match(&app, "/api/v1/posts?limit=5", &key, &tag).await,
        &tag,
    )
    .await;
    // Another page is another representation.
    let other = get_if_none_match(&app, "/api/v1/posts?limit=6", &key, &tag).await;
    assert_eq!(other.status(), 200);
    assert_ne!(etag(&other), tag);

    app.create_post(&key, "second").await;
    let changed = get_if_none_match(&app, "/api/v1/posts?limit=5", &key, &tag).await;
    assert_eq!(changed.status(), 200);
    let new_tag = etag(&changed);
    assert_ne!(new_tag, tag);
    assert_eq!(
        changed.json::<Value>().await.unwrap()["total"],
        2,
        "the new page, in full"
    );
    assert_not_modified(
        get_if_none_match(&app, "/api/v1/posts?limit=5", &key, &new_tag).await,
        &new_tag,
    )
    .await;

    // The other reads are tagged and conditional the same way.
    for path in ["/api/v1/ideas", "/api/v1/profile", "/api/v1/keys/current"] {
        let response = app.as_key(&key).get(path).await;
        let tag = etag(&response);
        assert_not_modified(get_if_none_match(&app, path, &key, &tag).await, &tag).await;
    }
    // Writes are not conditional on If-None-Match.
    let response = app
        .request(Method::POST, "/api/v1/posts", &key)
        .header("if-none-match", "*")
        .json(&json!({ "content": "third" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}
