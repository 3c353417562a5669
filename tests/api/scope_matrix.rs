//! One scope matrix for every operation, generated from the served OpenAPI document, so the
//! scopes it lists are exactly those the server enforces and a new operation is checked the day
//! it is documented: no key and a revoked key (401), each needed scope missing (403 naming it,
//! before the body is looked at), another user's resource (404, as a missing one), and exactly
//! the needed scopes (success, with the status the document gives).
//!
//! Webhook operations list no scope: a key sees the webhooks whose events it may read. Here the
//! webhooks need `profile:read` (they receive `linkedin.disconnected`), the scope this matrix
//! gives a key when an operation names none; `webhooks_api.rs` checks the rule itself.

use linkedgrow::domain::{KeyId, Plan, Scope};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app_with, TestApp};
use crate::webhook_receiver::Receiver;

/// The `/api/` operations the document describes (all but the two probes).
const OPERATIONS: usize = 23;

/// The events of the webhooks made here: readable with `profile:read`.
const WEBHOOK_EVENTS: [&str; 1] = ["linkedin.disconnected"];

/// What an operation's `{id}` names.
#[derive(Clone, Copy, PartialEq)]
enum Resource {
    None,
    Post,
    PublishedPost,
    Idea,
    Webhook,
    /// A webhook and one of its delivery attempts.
    Delivery,
}

/// The ids that fill an operation's path.
#[derive(Debug, Clone, Default)]
struct Ids {
    id: String,
    delivery_id: String,
}

impl Resource {
    fn of(path: &str) -> Self {
        if !path.contains("{id}") {
            Resource::None
        } else if path.contains("{deliveryId}") {
            Resource::Delivery
        } else if path.starts_with("/api/v1/webhooks/") {
            Resource::Webhook
        } else if path.starts_with("/api/v1/ideas/") {
            Resource::Idea
        } else if path.ends_with("/analytics") {
            Resource::PublishedPost
        } else {
            Resource::Post
        }
    }

    /// A fresh one, owned by `key`'s user; webhooks send to `sink`.
    async fn create(self, app: &TestApp, key: &str, sink: &str) -> Ids {
        let id = match self {
            Resource::None => return Ids::default(),
            Resource::Post => app.create_post(key, "not yours").await["id"].clone(),
            Resource::PublishedPost => {
                let id = app.published_post(key, "not yours").await;
                return Ids {
                    id,
                    ..Ids::default()
                };
            }
            Resource::Idea => {
                app.create_idea(key, json!({ "content": "theirs" })).await["id"].clone()
            }
            Resource::Webhook | Resource::Delivery => {
                let body = webhook_body(sink);
                let response = app.as_key(key).post_json("/api/v1/webhooks", &body).await;
                assert_eq!(response.status(), 201);
                response.json::<Value>().await.unwrap()["id"].clone()
            }
        };
        let id = id.as_str().unwrap().to_owned();
        let delivery_id = if self == Resource::Delivery {
            let path = format!("/api/v1/webhooks/{id}/test");
            let response = app.as_key(key).send(Method::POST, &path, None).await;
            assert_eq!(response.status(), 200);
            let delivery: Value = response.json().await.unwrap();
            delivery["id"].as_str().unwrap().to_owned()
        } else {
            String::new()
        };
        Ids { id, delivery_id }
    }

    fn missing_ids(self) -> Ids {
        let id = match self {
            Resource::Idea => "idea_doesnotexist00",
            Resource::Webhook | Resource::Delivery => "wh_doesnotexist0000",
            _ => "post_doesnotexist00",
        };
        Ids {
            id: id.to_owned(),
            delivery_id: "dlv_doesnotexist0000".to_owned(),
        }
    }
}

fn webhook_body(sink: &str) -> Value {
    json!({ "url": sink, "events": WEBHOOK_EVENTS })
}

/// One documented operation.
struct Operation {
    method: Method,
    path: String,
    scopes: Vec<Scope>,
    body: Option<Value>,
    resource: Resource,
    /// The status the document gives its success.
    success: u16,
}

impl Operation {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Calls the operation on `ids` with `key` (or none), sending `body` if it takes one.
    async fn call(
        &self,
        app: &TestApp,
        ids: &Ids,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let path = self
            .path
            .replace("{id}", &ids.id)
            .replace("{deliveryId}", &ids.delivery_id);
        match key {
            Some(key) => app.as_key(key).send(self.method.clone(), &path, body).await,
            None => {
                let mut request = app.client.request(self.method.clone(), app.url(&path));
                if let Some(body) = body {
                    request = request.json(body);
                }
                request.send().await.unwrap()
            }
        }
    }
}

async fn documented_operations(app: &TestApp, sink: &str) -> Vec<Operation> {
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let takes_body = op.get("requestBody").is_some();
            let body = if path.starts_with("/api/v1/webhooks") {
                webhook_body(sink)
            } else {
                json!({ "content": "c" })
            };
            let success = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .find(|status| status.starts_with('2'))
                .expect("a success response")
                .parse()
                .unwrap();
            operations.push(Operation {
                scopes: op["x-required-scopes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().parse().unwrap())
                    .collect(),
                body: takes_body.then_some(body),
                resource: Resource::of(path),
                success,
                path: path.clone(),
                method,
            });
        }
    }
    operations
}

#[tokio::test]
async fn every_documented_operation_enforces_exactly_its_scopes_and_its_owner() {
    let app = spawn_app_with(|config| config.webhooks.allow_private = true).await;
    // The webhooks made here send to it.
    let receiver = Receiver::start().await;
    let sink = receiver.url();
    let owner = app.create_user(Plan::Business).await;
    let admin = app.create_key(&owner, &Scope::ALL).await.1;
    let other = app.create_user(Plan::Business).await;
    let other_admin = app.create_key(&other, &Scope::ALL).await.1;
    let operations = documented_operations(&app, sink).await;
    assert_eq!(operations.len(), OPERATIONS, "operations under /api/");

    let mut theirs = Vec::new();
    for op in &operations {
        let name = op.name();
        let id = op.resource.create(&app, &admin, sink).await;
        let needed: Vec<Scope> = if op.scopes.is_empty() {
            vec![Scope::ProfileRead] // any valid key will do
        } else {
            op.scopes.clone()
        };

        // No key, and a revoked key: 401.
        let response = op.call(&app, &id, None, op.body.as_ref()).await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{name}");
        assert_error(response, 401, "UNAUTHORIZED").await;
        let (revoked_id, revoked) = app.create_key(&owner, &needed).await;
        app.store
            .revoke_key(&KeyId::from(revoked_id), app.now_ms())
            .await
            .unwrap();
        let response = op.call(&app, &id, Some(&revoked), op.body.as_ref()).await;
        assert_error(response, 401, "UNAUTHORIZED").await;

        // Each needed scope missing: 403 naming it, whatever the body.
        for missing in &op.scopes {
            let others: Vec<Scope> = Scope::ALL.into_iter().filter(|s| s != missing).collect();
            let key = app.create_key(&owner, &others).await.1;
            let response = op.call(&app, &id, Some(&key), op.body.as_ref()).await;
            let message = assert_error(response, 403, "INSUFFICIENT_SCOPE").await;
            assert!(message.contains(missing.as_str()), "{name}: {message}");
            if op.body.is_some() {
                let bad = json!({ "content": "", "unknown": 1 });
                let response = op.call(&app, &id, Some(&key), Some(&bad)).await;
                assert_error(response, 403, "INSUFFICIENT_SCOPE").await;
            }
        }

        let key = app.create_key(&owner, &needed).await.1;
        // Another user's resource: 404, exactly as a missing one.
        if op.resource != Resource::None {
            let foreign_id = op.resource.create(&app, &other_admin, sink).await;
            let response = op
                .call(&app, &foreign_id, Some(&key), op.body.as_ref())
                .await;
            let foreign = assert_error(response, 404, "NOT_FOUND").await;
            let missing_id = op.resource.missing_ids();
            let response = op
                .call(&app, &missing_id, Some(&key), op.body.as_ref())
                .await;
            let missing = assert_error(response, 404, "NOT_FOUND").await;
            assert_eq!(foreign, missing, "{name}");
            theirs.push((op.resource, foreign_id));
        }

        // Exactly the needed scopes: done.
        let response = op.call(&app, &id, Some(&key), op.body.as_ref()).await;
        assert_eq!(response.status(), op.success, "{name}");
    }

    // The other user's posts, ideas and webhooks were never touched.
    let client = app.as_key(&other_admin);
    for (resource, Ids { id, delivery_id }) in theirs {
        let path = match resource {
            Resource::Idea => format!("/api/v1/ideas/{id}"),
            Resource::Webhook | Resource::Delivery => format!("/api/v1/webhooks/{id}"),
            _ => format!("/api/v1/posts/{id}"),
        };
        let found: Value = client.get(&path).await.json().await.unwrap();
        match resource {
            Resource::Idea => {
                assert_eq!(
                    (&found["content"], &found["postId"]),
                    (&json!("theirs"), &Value::Null)
                );
            }
            Resource::Webhook | Resource::Delivery => {
                assert_eq!(
                    (&found["events"], &found["disabled"]),
                    (&json!(WEBHOOK_EVENTS), &json!(false)),
                    "{path}"
                );
                let deliveries: Value = client
                    .get(&format!("{path}/deliveries"))
                    .await
                    .json()
                    .await
                    .unwrap();
                let expected = usize::from(resource == Resource::Delivery);
                assert_eq!(
                    deliveries["deliveries"].as_array().unwrap().len(),
                    expected,
                    "{path}: only its own test {delivery_id}"
                );
            }
            _ => assert_eq!(found["content"], "not yours", "{path}"),
        }
    }
}
