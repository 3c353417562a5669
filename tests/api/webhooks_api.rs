//! The webhooks API: subscriptions with a secret shown once, ETags, the scopes that decide what a
//! key may subscribe to and see, the private-address guard, and test and resend against a real
//! receiver whose signatures the official Standard Webhooks library checks.

use base64::Engine;
use linkedgrow::domain::{KeyId, Plan, Scope};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, spawn_app_with, TestApp};
use crate::webhook_receiver::{Answer, Receiver};

/// A server that may send webhooks to this machine (receivers on loopback).
async fn spawn_allowing_private() -> TestApp {
    spawn_app_with(|config| config.webhooks.allow_private = true).await
}

/// Creates a webhook with `body` and returns the 201's JSON.
async fn create(app: &TestApp, key: &str, body: Value) -> Value {
    let response = app.as_key(key).post_json("/api/v1/webhooks", &body).await;
    assert_eq!(response.status(), 201, "{body}");
    response.json().await.unwrap()
}

fn id_of(value: &Value) -> &str {
    value["id"].as_str().unwrap()
}

fn etag(response: &reqwest::Response) -> String {
    response.headers()["etag"].to_str().unwrap().to_owned()
}

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

const VIEW_FIELDS: [&str; 8] = [
    "id",
    "url",
    "events",
    "description",
    "disabled",
    "disabledReason",
    "createdAt",
    "updatedAt",
];

fn assert_view_fields(view: &Value) {
    let mut keys: Vec<&str> = view
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = VIEW_FIELDS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected, "no secret, nothing else: {view}");
}

#[tokio::test]
async fn create_answers_the_secret_once_and_never_again() {
    let app = spawn_allowing_private().await;
    let key = app.full_key().await;
    let response = app
        .as_key(&key)
        .post_json(
            "/api/v1/webhooks",
            &json!({
                "url": "HTTP://127.0.0.1:9/Hook?x=1",
                "events": ["post.published", "post.failed", "post.published"],
                "description": "to Slack"
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created_tag = etag(&response);
    let created: Value = response.json().await.unwrap();

    let id = id_of(&created);
    assert!(id.starts_with("wh_") && id.len() == 19, "{id}");
    assert_eq!(created["url"], "http://127.0.0.1:9/Hook?x=1", "normalised");
    assert_eq!(created["events"], json!(["post.published", "post.failed"]));
    assert_eq!(created["description"], "to Slack");
    assert_eq!(created["disabled"], false);
    assert_eq!(created["disabledReason"], Value::Null);
    assert_eq!(created["createdAt"], "2026-01-05T09:00:00Z");
    assert_eq!(created["updatedAt"], created["createdAt"]);
    let secret = created["secret"].as_str().unwrap();
    let encoded = secret.strip_prefix("whsec_").expect("a whsec_ secret");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert!((24..=64).contains(&bytes.len()), "{} bytes", bytes.len());

    // Read back, listed, changed: never the secret again.
    let path = format!("/api/v1/webhooks/{id}");
    let got = app.as_key(&key).get(&path).await;
    assert_eq!(got.status(), 200);
    assert_eq!(etag(&got), created_tag, "the 201's tag is the webhook's");
    let got: Value = got.json().await.unwrap();
    assert_view_fields(&got);
    let mut without_secret = created.clone();
    without_secret.as_object_mut().unwrap().remove("secret");
    assert_eq!(got, without_secret);

    let list: Value = app
        .as_key(&key)
        .get("/api/v1/webhooks")
        .await
        .json()
        .await
        .unwrap();
    assert_view_fields(&list["webhooks"][0]);
    let updated = app
        .as_key(&key)
        .put_json(&path, &json!({ "description": "to Teams" }))
        .await;
    assert_eq!(updated.status(), 200);
    let updated: Value = updated.json().await.unwrap();
    assert_view_fields(&updated);
    assert_eq!(updated["description"], "to Teams");
    for text in [got.to_string(), list.to_string(), updated.to_string()] {
        assert!(!text.contains(encoded), "the secret leaked: {text}");
    }

    // Two webhooks never share a secret.
    let other = create(
        &app,
        &key,
        json!({ "url": "http://127.0.0.1:9/", "events": ["*"] }),
    )
    .await;
    assert_ne!(other["secret"], created["secret"]);
    assert_eq!(other["description"], Value::Null);
    assert_eq!(other["events"], json!(["*"]));
}

async fn page_of(app: &TestApp, key: &str, query: &str) -> Value {
    let response = app
        .as_key(key)
        .get(&format!("/api/v1/webhooks{query}"))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_list_is_newest_first_and_paged() {
    let app = spawn_allowing_private().await;
    let key = app.full_key().await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let url = format!("http://127.0.0.1:9/{n}");
        ids.push(
            id_of(&create(&app, &key, json!({ "url": url, "events": ["*"] })).await).to_owned(),
        );
        app.clock.advance(chrono::Duration::seconds(1));
    }

    let first = page_of(&app, &key, "").await;
    assert_eq!(
        ids_in(&first),
        [ids[2].clone(), ids[1].clone(), ids[0].clone()]
    );
    assert_eq!(
        (&first["total"], &first["limit"], &first["offset"]),
        (&json!(3), &json!(20), &json!(0))
    );
    let second = page_of(&app, &key, "?limit=2&offset=1").await;
    assert_eq!(ids_in(&second), [ids[1].clone(), ids[0].clone()]);
    assert_eq!(
        (&second["total"], &second["limit"], &second["offset"]),
        (&json!(3), &json!(2), &json!(1))
    );
    assert_eq!(
        ids_in(&page_of(&app, &key, "?offset=3").await),
        Vec::<String>::new()
    );

    // Another user sees none of them.
    let stranger = app.full_key().await;
    let theirs: Value = app
        .as_key(&stranger)
        .get("/api/v1/webhooks")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["total"], 0);

    for bad in ["?limit=0", "?limit=101", "?offset=-1", "?status=enabled"] {
        let response = app
            .as_key(&key)
            .get(&format!("/api/v1/webhooks{bad}"))
            .await;
        assert_error(response, 400, "INVALID_PARAMETER").await;
    }
}

#[tokio::test]
async fn put_and_delete_honour_if_match_and_put_changes_only_what_is_sent() {
    let app = spawn_allowing_private().await;
    let key = app.full_key().await;
    let created = create(
        &app,
        &key,
        json!({ "url": "http://127.0.0.1:9/a", "events": ["idea.created"], "description": "d" }),
    )
    .await;
    let path = format!("/api/v1/webhooks/{}", id_of(&created));
    let first_tag = etag(&app.as_key(&key).get(&path).await);

    // Sending what is already there changes nothing, not even the tag.
    let same = app
        .as_key(&key)
        .put_json(
            &path,
            &json!({ "events": ["idea.created"], "disabled": false }),
        )
        .await;
    assert_eq!(etag(&same), first_tag);

    app.clock.advance(chrono::Duration::seconds(5));
    let disabled = with_if_match(
        &app,
        Method::PUT,
        &path,
        &key,
        &first_tag,
        Some(json!({ "disabled": true, "description": null })),
    )
    .await;
    assert_eq!(disabled.status(), 200);
    let second_tag = etag(&disabled);
    assert_ne!(second_tag, first_tag);
    let disabled: Value = disabled.json().await.unwrap();
    assert_eq!(disabled["disabled"], true);
    assert_eq!(disabled["disabledReason"], "owner");
    assert_eq!(disabled["description"], Value::Null);
    assert_eq!(disabled["url"], "http://127.0.0.1:9/a", "kept");
    assert_eq!(disabled["events"], json!(["idea.created"]), "kept");
    assert_eq!(disabled["updatedAt"], "2026-01-05T09:00:05Z");
    assert_eq!(disabled["createdAt"], "2026-01-05T09:00:00Z");

    // The first tag is stale now: 412, and nothing changes.
    let stale_put = with_if_match(
        &app,
        Method::PUT,
        &path,
        &key,
        &first_tag,
        Some(json!({ "url": "http://127.0.0.1:9/lost" })),
    )
    .await;
    assert_error(stale_put, 412, "PRECONDITION_FAILED").await;
    let stale_delete = with_if_match(&app, Method::DELETE, &path, &key, &first_tag, None).await;
    assert_error(stale_delete, 412, "PRECONDITION_FAILED").await;
    let unchanged = app.as_key(&key).get(&path).await;
    assert_eq!(etag(&unchanged), second_tag);
    assert_eq!(unchanged.json::<Value>().await.unwrap(), disabled);

    // Enabled again: the reason goes.
    let enabled: Value = app
        .as_key(&key)
        .put_json(
            &path,
            &json!({ "disabled": false, "url": "http://127.0.0.1:9/b" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &enabled["disabled"],
            &enabled["disabledReason"],
            &enabled["url"]
        ),
        (&json!(false), &Value::Null, &json!("http://127.0.0.1:9/b"))
    );

    // DELETE with the current tag; then it is gone.
    let current = etag(&app.as_key(&key).get(&path).await);
    let deleted = with_if_match(&app, Method::DELETE, &path, &key, &current, None).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(
        deleted.json::<Value>().await.unwrap(),
        json!({ "id": id_of(&created), "deleted": true })
    );
    assert_error(app.as_key(&key).get(&path).await, 404, "NOT_FOUND").await;
    let again = with_if_match(&app, Method::DELETE, &path, &key, "*", None).await;
    assert_error(again, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn invalid_fields_are_refused_with_the_field_s_code() {
    let app = spawn_allowing_private().await;
    let key = app.full_key().await;
    let url = "http://127.0.0.1:9/";
    let cases = [
        (
            json!({ "url": url, "events": ["post.exploded"] }),
            "INVALID_EVENTS",
        ),
        (
            json!({ "url": url, "events": ["*", "post.created"] }),
            "INVALID_EVENTS",
        ),
        (json!({ "url": url, "events": [] }), "INVALID_EVENTS"),
        (json!({ "url": url }), "INVALID_EVENTS"),
        (
            json!({ "url": url, "events": ["*"], "description": "x".repeat(501) }),
            "INVALID_DESCRIPTION",
        ),
        (json!({ "events": ["*"] }), "INVALID_WEBHOOK_URL"),
        (
            json!({ "url": "ftp://127.0.0.1/", "events": ["*"] }),
            "INVALID_WEBHOOK_URL",
        ),
        (
            json!({ "url": "not a url", "events": ["*"] }),
            "INVALID_WEBHOOK_URL",
        ),
        (
            json!({ "url": "https://user:pw@127.0.0.1/", "events": ["*"] }),
            "INVALID_WEBHOOK_URL",
        ),
        (
            json!({ "url": format!("http://127.0.0.1/{}", "a".repeat(2048)), "events": ["*"] }),
            "INVALID_WEBHOOK_URL",
        ),
        (
            json!({ "url": url, "events": ["*"], "secret": "whsec_mine" }),
            "INVALID_BODY",
        ),
        (json!({ "url": url, "events": "*" }), "INVALID_BODY"),
    ];
    for (body, code) in cases {
        let response = app.as_key(&key).post_json("/api/v1/webhooks", &body).await;
        let message = assert_error(response, 400, code).await;
        if code == "INVALID_EVENTS" && body["events"] == json!(["post.exploded"]) {
            assert!(
                message.contains("post.exploded") && message.contains("idea.created"),
                "{message}"
            );
        }
    }
    let list: Value = app
        .as_key(&key)
        .get("/api/v1/webhooks")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "nothing was created");

    // The longest description is fine; on PUT the same rules hold and nothing changes.
    let created = create(
        &app,
        &key,
        json!({ "url": url, "events": ["*"], "description": "é".repeat(500) }),
    )
    .await;
    let path = format!("/api/v1/webhooks/{}", id_of(&created));
    for (body, code) in [
        (json!({ "events": [] }), "INVALID_EVENTS"),
        (json!({ "events": ["post.created", "*"] }), "INVALID_EVENTS"),
        (
            json!({ "description": "x".repeat(501) }),
            "INVALID_DESCRIPTION",
        ),
        (
            json!({ "url": "gopher://127.0.0.1/" }),
            "INVALID_WEBHOOK_URL",
        ),
        (json!({ "secret": "whsec_mine" }), "INVALID_BODY"),
    ] {
        let response = app.as_key(&key).put_json(&path, &body).await;
        assert_error(response, 400, code).await;
    }
    let mut unchanged: Value = app.as_key(&key).get(&path).await.json().await.unwrap();
    let mut expected = created;
    expected.as_object_mut().unwrap().remove("secret");
    unchanged.as_object_mut().unwrap().remove("secret");
    assert_eq!(unchanged, expected);
}

/// The ids of the webhooks `key` lists, newest first, and the total.
async fn listed(app: &TestApp, key: &str) -> (Vec<String>, u64) {
    let list: Value = app
        .as_key(key)
        .get("/api/v1/webhooks")
        .await
        .json()
        .await
        .unwrap();
    (ids_in(&list), list["total"].as_u64().unwrap())
}

fn ids_in(list: &Value) -> Vec<String> {
    list["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| id_of(w).to_owned())
        .collect()
}

#[tokio::test]
async fn a_key_subscribes_to_and_sees_only_the_events_it_may_read() {
    let app = spawn_allowing_private().await;
    let owner = app.create_user(Plan::Business).await;
    let posts_reader = app.create_key(&owner, &[Scope::PostsRead]).await.1;
    let ideas_reader = app.create_key(&owner, &[Scope::IdeasRead]).await.1;
    let both = app
        .create_key(&owner, &[Scope::PostsRead, Scope::IdeasRead])
        .await
        .1;
    let writer = app.create_key(&owner, &[Scope::PostsWrite]).await.1;
    let url = "http://127.0.0.1:9/";

    // Asking for events the key may not read: 403 naming the scope.
    for (events, scope) in [
        (json!(["idea.created"]), "ideas:read"),
        (
            json!(["post.created", "linkedin.disconnected"]),
            "profile:read",
        ),
    ] {
        let response = app
            .as_key(&posts_reader)
            .post_json("/api/v1/webhooks", &json!({ "url": url, "events": events }))
            .await;
        let message = assert_error(response, 403, "INSUFFICIENT_SCOPE").await;
        assert!(message.contains(scope), "{message}");
    }
    let response = app
        .as_key(&writer)
        .post_json("/api/v1/webhooks", &json!({ "url": url, "events": ["*"] }))
        .await;
    let message = assert_error(response, 403, "INSUFFICIENT_SCOPE").await;
    assert!(message.contains("posts:read"), "{message}");

    // `*` from a posts:read key means the post events: a key with posts:read sees it, a key
    // without does not, anywhere.
    let posts_hook = create(&app, &posts_reader, json!({ "url": url, "events": ["*"] })).await;
    assert_eq!(posts_hook["events"], json!(["*"]));
    let path = format!("/api/v1/webhooks/{}", id_of(&posts_hook));
    assert_eq!(app.as_key(&both).get(&path).await.status(), 200);
    let ideas_hook = create(
        &app,
        &ideas_reader,
        json!({ "url": url, "events": ["idea.updated"] }),
    )
    .await;

    assert_eq!(
        listed(&app, &posts_reader).await,
        (vec![id_of(&posts_hook).to_owned()], 1)
    );
    assert_eq!(
        listed(&app, &ideas_reader).await,
        (vec![id_of(&ideas_hook).to_owned()], 1)
    );
    assert_eq!(listed(&app, &both).await.1, 2);
    assert_eq!(listed(&app, &writer).await, (vec![], 0));

    let not_found =
        assert_error(app.as_key(&ideas_reader).get(&path).await, 404, "NOT_FOUND").await;
    let missing = assert_error(
        app.as_key(&ideas_reader)
            .get("/api/v1/webhooks/wh_doesnotexist0000")
            .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(not_found, missing, "indistinguishable from a missing one");
    let hidden = app.as_key(&ideas_reader);
    for (method, sub, body) in [
        (Method::PUT, "", Some(json!({ "disabled": true }))),
        (Method::DELETE, "", None),
        (Method::POST, "/test", None),
        (Method::GET, "/deliveries", None),
        (
            Method::POST,
            "/deliveries/dlv_doesnotexist0000/resend",
            None,
        ),
    ] {
        let response = hidden
            .send(method.clone(), &format!("{path}{sub}"), body.as_ref())
            .await;
        assert_error(response, 404, "NOT_FOUND").await;
    }
    let still: Value = app
        .as_key(&posts_reader)
        .get(&path)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["disabled"], false, "the hidden PUT changed nothing");

    // Changing its events asks for their scopes again; `*` from a wider key widens it.
    let response = app
        .as_key(&posts_reader)
        .put_json(&path, &json!({ "events": ["idea.deleted"] }))
        .await;
    let message = assert_error(response, 403, "INSUFFICIENT_SCOPE").await;
    assert!(message.contains("ideas:read"), "{message}");
    let widened = app
        .as_key(&both)
        .put_json(&path, &json!({ "events": ["*"] }))
        .await;
    assert_eq!(widened.status(), 200);
    assert_eq!(app.as_key(&posts_reader).get(&path).await.status(), 404);
    assert_eq!(app.as_key(&both).get(&path).await.status(), 200);

    // A key holding every scope sees everything; a webhook it makes with `*` is hidden from the
    // posts:read key.
    let admin = app.create_key(&owner, &Scope::ALL).await.1;
    let everything = create(&app, &admin, json!({ "url": url, "events": ["*"] })).await;
    assert_eq!(listed(&app, &admin).await.1, 3);
    let everything_path = format!("/api/v1/webhooks/{}", id_of(&everything));
    assert_eq!(
        app.as_key(&posts_reader)
            .get(&everything_path)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn revoking_the_key_that_created_a_webhook_disables_it() {
    let app = spawn_allowing_private().await;
    let owner = app.create_user(Plan::Business).await;
    let (creator_id, creator) = app.create_key(&owner, &Scope::ALL).await;
    let other = app.create_key(&owner, &Scope::ALL).await.1;
    let created = create(
        &app,
        &creator,
        json!({ "url": "http://127.0.0.1:9/", "events": ["post.published"] }),
    )
    .await;
    let path = format!("/api/v1/webhooks/{}", id_of(&created));
    let before = etag(&app.as_key(&other).get(&path).await);

    app.store
        .revoke_key(&KeyId::from(creator_id), app.now_ms())
        .await
        .unwrap();

    let after = app.as_key(&other).get(&path).await;
    assert_ne!(etag(&after), before, "a new state, a new tag");
    let after: Value = after.json().await.unwrap();
    assert_eq!(
        (&after["disabled"], &after["disabledReason"]),
        (&json!(true), &json!("key_revoked"))
    );
    // The owner's other keys may turn it back on.
    let enabled: Value = app
        .as_key(&other)
        .put_json(&path, &json!({ "disabled": false }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&enabled["disabled"], &enabled["disabledReason"]),
        (&json!(false), &Value::Null)
    );
}

#[tokio::test]
async fn urls_that_lead_off_the_public_internet_are_refused() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let refused = [
        "http://93.184.215.14/",
        "https://127.0.0.1/",
        "https://10.0.0.1/",
        "https://172.16.0.1/",
        "https://192.168.1.1/",
        "https://169.254.169.254/",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://[::1]/",
        "https://[fc00::1]/",
        "https://[fe80::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::]/",
        "https://[ff02::1]/",
        "https://localhost/",
    ];
    for url in refused {
        let body = json!({ "url": url, "events": ["*"] });
        let response = app.as_key(&key).post_json("/api/v1/webhooks", &body).await;
        let message = assert_error(response, 400, "INVALID_WEBHOOK_URL").await;
        assert!(message.contains("url"), "{url}: {message}");
    }
    let list: Value = app
        .as_key(&key)
        .get("/api/v1/webhooks")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);

    // A public address is accepted (an IP literal: nothing to resolve, and nothing is sent
    // here); changing it to any of the others is refused the same way.
    let created = create(
        &app,
        &key,
        json!({ "url": "https://93.184.215.14/hook", "events": ["*"] }),
    )
    .await;
    let path = format!("/api/v1/webhooks/{}", id_of(&created));
    for url in refused {
        let response = app
            .as_key(&key)
            .put_json(&path, &json!({ "url": url }))
            .await;
        assert_error(response, 400, "INVALID_WEBHOOK_URL").await;
    }
    let kept: Value = app.as_key(&key).get(&path).await.json().await.unwrap();
    assert_eq!(kept["url"], "https://93.184.215.14/hook");
}

#[tokio::test]
async fn a_test_event_reaches_the_receiver_signed_with_the_secret() {
    let app = spawn_allowing_private().await;
    // Receivers check the signature's timestamp against their own clock.
    app.clock.set(chrono::Utc::now());
    let receiver = Receiver::start().await;
    let key = app.full_key().await;
    let created = create(
        &app,
        &key,
        json!({ "url": receiver.url(), "events": ["post.created"] }),
    )
    .await;
    let id = id_of(&created);

    let response = app
        .as_key(&key)
        .send(Method::POST, &format!("/api/v1/webhooks/{id}/test"), None)
        .await;
    assert_eq!(response.status(), 200);
    let delivery: Value = response.json().await.unwrap();
    assert!(
        delivery["id"].as_str().unwrap().starts_with("dlv_"),
        "{delivery}"
    );
    assert!(
        delivery["eventId"].as_str().unwrap().starts_with("msg_"),
        "{delivery}"
    );
    assert_eq!(delivery["type"], "webhook.test");
    assert_eq!(delivery["attempt"], 1);
    assert_eq!(delivery["statusCode"], 200);
    assert_eq!(delivery["error"], Value::Null);
    assert!(delivery["durationMs"].is_u64());
    assert!(delivery["createdAt"].is_string());

    let requests = receiver.received();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        request.header("webhook-id"),
        delivery["eventId"].as_str().unwrap()
    );
    let event = request.verified(created["secret"].as_str().unwrap());
    assert_eq!(event["type"], "webhook.test");
    assert_eq!(event["data"]["webhookId"], id);
    let other_secret = create(
        &app,
        &key,
        json!({ "url": receiver.url(), "events": ["*"] }),
    )
    .await;
    assert!(
        standardwebhooks::Webhook::new(other_secret["secret"].as_str().unwrap())
            .unwrap()
            .verify(request.body.as_bytes(), &request.headers)
            .is_err(),
        "another webhook's secret does not verify it"
    );

    let deliveries: Value = app
        .as_key(&key)
        .get(&format!("/api/v1/webhooks/{id}/deliveries"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(deliveries["deliveries"], json!([delivery]));
    assert_eq!(
        (
            &deliveries["total"],
            &deliveries["limit"],
            &deliveries["offset"]
        ),
        (&json!(1), &json!(20), &json!(0))
    );
}

#[tokio::test]
async fn a_failed_delivery_shows_and_resends_with_the_same_webhook_id() {
    let app = spawn_allowing_private().await;
    app.clock.set(chrono::Utc::now());
    let receiver = Receiver::start().await;
    receiver.answer_always(Answer::Status(500));
    let key = app.full_key().await;
    let created = create(
        &app,
        &key,
        json!({ "url": receiver.url(), "events": ["*"] }),
    )
    .await;
    let base = format!("/api/v1/webhooks/{}", id_of(&created));
    let client = app.as_key(&key);

    let failed: Value = client
        .send(Method::POST, &format!("{base}/test"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&failed["statusCode"], &failed["attempt"]),
        (&json!(500), &json!(1))
    );

    receiver.answer_always(Answer::Status(204));
    app.clock.advance(chrono::Duration::seconds(2));
    let resent = client
        .send(
            Method::POST,
            &format!("{base}/deliveries/{}/resend", id_of(&failed)),
            None,
        )
        .await;
    assert_eq!(resent.status(), 200);
    let resent: Value = resent.json().await.unwrap();
    assert_ne!(resent["id"], failed["id"]);
    assert_eq!(resent["eventId"], failed["eventId"]);
    assert_eq!(
        (&resent["attempt"], &resent["statusCode"]),
        (&json!(2), &json!(204))
    );
    assert_eq!(resent["type"], "webhook.test");

    let requests = receiver.received();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].header("webhook-id"),
        requests[1].header("webhook-id")
    );
    assert_eq!(requests[0].body, requests[1].body, "the same body");
    for request in &requests {
        request.verified(created["secret"].as_str().unwrap());
    }

    // Newest first, paged.
    let all: Value = client
        .get(&format!("{base}/deliveries"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["deliveries"], json!([resent, failed]));
    assert_eq!(all["total"], 2);
    let second: Value = client
        .get(&format!("{base}/deliveries?limit=1&offset=1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["deliveries"], json!([failed]));
    assert_eq!(
        (&second["total"], &second["limit"], &second["offset"]),
        (&json!(2), &json!(1), &json!(1))
    );
    let bad = client.get(&format!("{base}/deliveries?limit=500")).await;
    assert_error(bad, 400, "INVALID_PARAMETER").await;

    // An attempt of another webhook, or none at all: 404.
    let other = create(
        &app,
        &key,
        json!({ "url": receiver.url(), "events": ["*"] }),
    )
    .await;
    let foreign = format!(
        "/api/v1/webhooks/{}/deliveries/{}/resend",
        id_of(&other),
        id_of(&failed)
    );
    let message = assert_error(
        client.send(Method::POST, &foreign, None).await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert!(message.contains("delivery"), "{message}");
    let missing = format!("{base}/deliveries/dlv_doesnotexist0000/resend");
    assert_error(
        client.send(Method::POST, &missing, None).await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(receiver.received().len(), 2, "nothing more was sent");
}

#[tokio::test]
async fn unknown_webhooks_are_404_everywhere() {
    let app = spawn_allowing_private().await;
    let key = app.full_key().await;
    let path = "/api/v1/webhooks/wh_doesnotexist0000";
    for (method, sub, body) in [
        (Method::GET, "", None),
        (Method::PUT, "", Some(json!({ "disabled": true }))),
        (Method::DELETE, "", None),
        (Method::POST, "/test", None),
        (Method::GET, "/deliveries", None),
        (
            Method::POST,
            "/deliveries/dlv_doesnotexist0000/resend",
            None,
        ),
    ] {
        let response = app
            .as_key(&key)
            .send(method.clone(), &format!("{path}{sub}"), body.as_ref())
            .await;
        let message = assert_error(response, 404, "NOT_FOUND").await;
        assert_eq!(message, "webhook not found", "{method} {sub}");
    }
}

/// POSTs `body` with an Idempotency-Key, sending exactly the bytes of `body`.
async fn post_idempotent(
    app: &TestApp,
    path: &str,
    key: &str,
    idem: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app
        .request(Method::POST, path, key)
        .header("idempotency-key", idem);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap());
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_retried_create_replays_the_webhook_and_its_secret_sealed_at_rest() {
    let app = spawn_allowing_private().await;
    app.clock.set(chrono::Utc::now());
    let receiver = Receiver::start().await;
    let key = app.full_key().await;
    let body = json!({ "url": receiver.url(), "events": ["*"] });

    let first = post_idempotent(&app, "/api/v1/webhooks", &key, "create-1", Some(&body)).await;
    assert_eq!(first.status(), 201);
    let first_tag = etag(&first);
    let first_bytes = first.bytes().await.unwrap();
    let created: Value = serde_json::from_slice(&first_bytes).unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();

    let again = post_idempotent(&app, "/api/v1/webhooks", &key, "create-1", Some(&body)).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(etag(&again), first_tag);
    assert_eq!(
        again.bytes().await.unwrap(),
        first_bytes,
        "the same webhook, the same secret"
    );
    let list: Value = app
        .as_key(&key)
        .get("/api/v1/webhooks")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "created once");

    // The secret is nowhere in the database in the clear: not in the stored response, not in
    // the webhook's row.
    let encoded = secret.strip_prefix("whsec_").unwrap();
    let conn = rusqlite::Connection::open(&app.db_path).unwrap();
    let stored: Vec<Vec<u8>> = conn
        .prepare("SELECT body FROM idempotency_keys WHERE body IS NOT NULL")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(stored.len(), 1);
    let stored = String::from_utf8_lossy(&stored[0]);
    assert!(
        !stored.contains(encoded) && !stored.contains(id_of(&created)),
        "sealed: {stored}"
    );
    let row: String = conn
        .query_row("SELECT secret FROM webhooks", [], |row| row.get(0))
        .unwrap();
    assert!(!row.contains(encoded));

    // A test and a resend are not repeated by a retry either: the receiver hears once each.
    let test_path = format!("/api/v1/webhooks/{}/test", id_of(&created));
    let tested = post_idempotent(&app, &test_path, &key, "test-1", None).await;
    assert_eq!(tested.status(), 200);
    let tested = tested.bytes().await.unwrap();
    let replayed = post_idempotent(&app, &test_path, &key, "test-1", None).await;
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
    assert_eq!(replayed.bytes().await.unwrap(), tested);
    let delivery: Value = serde_json::from_slice(&tested).unwrap();
    let resend_path = format!(
        "/api/v1/webhooks/{}/deliveries/{}/resend",
        id_of(&created),
        id_of(&delivery)
    );
    let resent = post_idempotent(&app, &resend_path, &key, "resend-1", None).await;
    let resent = resent.bytes().await.unwrap();
    let replayed = post_idempotent(&app, &resend_path, &key, "resend-1", None).await;
    assert_eq!(replayed.bytes().await.unwrap(), resent);
    assert_eq!(receiver.received().len(), 2, "one test, one resend");
    // Those answers hold no secret, so they are stored as they are.
    let plain: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM idempotency_keys WHERE CAST(body AS TEXT) LIKE '{%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(plain, 2);
}
