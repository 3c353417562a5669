//! Idempotency-Key on POST: replay, mismatch, a retry while the first request runs, expiry.

use chrono::Duration;
use linkedgrow::api::idempotency::fingerprint;
use linkedgrow::domain::Scope;
use linkedgrow::domain::{KeyId, Plan};
use linkedgrow::store::IdempotencyBegin;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};

async fn post(app: &TestApp, path: &str, key: &str, idem: &str, body: &Value) -> reqwest::Response {
    app.request(Method::POST, path, key)
        .header("idempotency-key", idem)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .unwrap()
}

async fn count_posts(app: &TestApp, key: &str) -> u64 {
    let list: Value = app
        .as_key(key)
        .get("/api/v1/posts")
        .await
        .json()
        .await
        .unwrap();
    list["total"].as_u64().unwrap()
}

#[tokio::test]
async fn a_retry_replays_the_first_response_and_creates_nothing() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let body = json!({ "content": "exactly once" });

    let first = post(&app, "/api/v1/posts", &key, "retry-1", &body).await;
    assert_eq!(first.status(), 201);
    assert!(!first.headers().contains_key("idempotent-replayed"));
    let etag = first.headers()["etag"].clone();
    let created = first.bytes().await.unwrap();

    app.clock.advance(Duration::hours(23));
    let again = post(&app, "/api/v1/posts", &key, "retry-1", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["content-type"], "application/json");
    assert_eq!(again.headers()["etag"], etag);
    assert!(again.headers().contains_key("x-ratelimit-remaining"));
    assert_eq!(again.bytes().await.unwrap(), created, "the same bytes");
    assert_eq!(count_posts(&app, &key).await, 1);

    // Without a key, or with another one, POST creates every time.
    app.as_key(&key)
        .post_json("/api/v1/posts", &body.clone())
        .await;
    post(&app, "/api/v1/posts", &key, "retry-2", &body).await;
    assert_eq!(count_posts(&app, &key).await, 3);

    // Every POST takes a key: ideas and conversion too.
    let idea = post(
        &app,
        "/api/v1/ideas",
        &key,
        "idea-1",
        &json!({ "content": "i" }),
    )
    .await;
    let idea: Value = idea.json().await.unwrap();
    let replayed: Value = post(
        &app,
        "/api/v1/ideas",
        &key,
        "idea-1",
        &json!({ "content": "i" }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(idea, replayed);
    let convert = format!("/api/v1/ideas/{}/convert", idea["id"].as_str().unwrap());
    let first = post(&app, &convert, &key, "convert-1", &json!({})).await;
    assert_eq!(first.status(), 201);
    let second = post(&app, &convert, &key, "convert-1", &json!({})).await;
    assert_eq!(
        second.status(),
        201,
        "a replay, not the 409 of a second conversion"
    );
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(count_posts(&app, &key).await, 4);
}

#[tokio::test]
async fn the_same_key_for_a_different_request_is_422() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    post(
        &app,
        "/api/v1/posts",
        &key,
        "k",
        &json!({ "content": "one" }),
    )
    .await;
    let different_body = post(
        &app,
        "/api/v1/posts",
        &key,
        "k",
        &json!({ "content": "two" }),
    )
    .await;
    let message = assert_error(different_body, 422, "IDEMPOTENCY_KEY_MISMATCH").await;
    assert!(message.contains("different request"), "{message}");
    let different_path = post(
        &app,
        "/api/v1/ideas",
        &key,
        "k",
        &json!({ "content": "one" }),
    )
    .await;
    assert_error(different_path, 422, "IDEMPOTENCY_KEY_MISMATCH").await;
    assert_eq!(count_posts(&app, &key).await, 1);

    // Keys belong to one API key: another key (even of the same user) starts afresh.
    let user = app.user_of(&key).await;
    let user = app.store.user_by_id(&user).await.unwrap();
    let second = app.create_key(&user, &Scope::ALL).await.1;
    assert_eq!(
        post(
            &app,
            "/api/v1/posts",
            &second,
            "k",
            &json!({ "content": "two" })
        )
        .await
        .status(),
        201
    );
    assert_eq!(count_posts(&app, &key).await, 2);
}

#[tokio::test]
async fn a_retry_while_the_first_request_runs_is_409() {
    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    let (key_id, key) = app.create_key(&user, &Scope::ALL).await;
    let body = json!({ "content": "slow" });
    let bytes = serde_json::to_vec(&body).unwrap();

    // The first request is "running": its in-progress record exists, as the middleware makes it.
    let now = app.now_ms();
    let begun = app
        .store
        .begin_idempotent(
            &KeyId::from(key_id.as_str()),
            "busy",
            &fingerprint("POST", "/api/v1/posts", &bytes),
            now,
            0,
        )
        .await
        .unwrap();
    assert_eq!(begun, IdempotencyBegin::Started);

    let retry = post(&app, "/api/v1/posts", &key, "busy", &body).await;
    assert_error(retry, 409, "IDEMPOTENCY_KEY_IN_USE").await;
    // A different request under the running key is still a mismatch.
    let other = post(
        &app,
        "/api/v1/posts",
        &key,
        "busy",
        &json!({ "content": "other" }),
    )
    .await;
    assert_error(other, 422, "IDEMPOTENCY_KEY_MISMATCH").await;
    assert_eq!(count_posts(&app, &key).await, 0);

    // Once the first request is released (it failed), the retry runs.
    app.store
        .release_idempotent(&KeyId::from(key_id), "busy")
        .await
        .unwrap();
    assert_eq!(
        post(&app, "/api/v1/posts", &key, "busy", &body)
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn errors_are_not_stored_and_records_expire_after_24_hours() {
    let app = spawn_app().await;
    let key = app.full_key().await;

    // A 400 is not kept: the client fixes the body and retries with the same key.
    let bad = post(
        &app,
        "/api/v1/posts",
        &key,
        "fix-me",
        &json!({ "content": "" }),
    )
    .await;
    assert_error(bad, 400, "INVALID_CONTENT").await;
    let fixed = post(
        &app,
        "/api/v1/posts",
        &key,
        "fix-me",
        &json!({ "content": "fixed" }),
    )
    .await;
    assert_eq!(fixed.status(), 201);
    assert!(!fixed.headers().contains_key("idempotent-replayed"));

    // After 24 hours the key is forgotten and may be used for anything.
    app.clock
        .advance(Duration::hours(24) + Duration::milliseconds(1));
    let reused = post(
        &app,
        "/api/v1/posts",
        &key,
        "fix-me",
        &json!({ "content": "new" }),
    )
    .await;
    assert_eq!(reused.status(), 201);
    assert!(!reused.headers().contains_key("idempotent-replayed"));
    assert_eq!(count_posts(&app, &key).await, 2);

    // Malformed keys: empty, longer than 255 characters, or with a character that is not visible ASCII.
    for bad in ["", &"k".repeat(256), "tab\there"] {
        let response = post(&app, "/api/v1/posts", &key, bad, &json!({ "content": "x" })).await;
        assert_error(response, 400, "INVALID_IDEMPOTENCY_KEY").await;
    }
    assert_eq!(
        post(
            &app,
            "/api/v1/posts",
            &key,
            &"k".repeat(255),
            &json!({ "content": "x" })
        )
        .await
        .status(),
        201
    );

    // PUT and DELETE are idempotent by nature: the header is ignored there.
    let id = app.create_post(&key, "p").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let put = app
        .request(Method::PUT, &format!("/api/v1/posts/{id}"), &key)
        .header("idempotency-key", "fix-me")
        .json(&json!({ "content": "q" }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
}
