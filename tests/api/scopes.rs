//! The scope matrix for every endpoint added after posts: no key, each needed scope missing,
//! only the needed scopes, and another user's resource.

use linkedgrow::domain::Plan;
use linkedgrow::domain::Scope;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};

#[derive(Clone, Copy, PartialEq)]
enum Resource {
    Nothing,
    Idea,
    PublishedPost,
}

struct Endpoint {
    method: Method,
    path: &'static str,
    scopes: &'static [Scope],
    body: Option<Value>,
    success: u16,
    resource: Resource,
}

fn endpoints() -> Vec<Endpoint> {
    use Resource::*;
    let e = |method, path, scopes, body, success, resource| Endpoint {
        method,
        path,
        scopes,
        body,
        success,
        resource,
    };
    vec![
        e(
            Method::GET,
            "/api/v1/ideas",
            &[Scope::IdeasRead],
            None,
            200,
            Nothing,
        ),
        e(
            Method::GET,
            "/api/v1/ideas/{id}",
            &[Scope::IdeasRead],
            None,
            200,
            Idea,
        ),
        e(
            Method::POST,
            "/api/v1/ideas",
            &[Scope::IdeasWrite],
            Some(json!({ "content": "c" })),
            201,
            Nothing,
        ),
        e(
            Method::PUT,
            "/api/v1/ideas/{id}",
            &[Scope::IdeasWrite],
            Some(json!({ "content": "d" })),
            200,
            Idea,
        ),
        e(
            Method::DELETE,
            "/api/v1/ideas/{id}",
            &[Scope::IdeasWrite],
            None,
            200,
            Idea,
        ),
        e(
            Method::POST,
            "/api/v1/ideas/{id}/convert",
            &[Scope::IdeasWrite, Scope::PostsWrite],
            None,
            201,
            Idea,
        ),
        e(
            Method::GET,
            "/api/v1/analytics",
            &[Scope::AnalyticsRead],
            None,
            200,
            Nothing,
        ),
        e(
            Method::GET,
            "/api/v1/posts/{id}/analytics",
            &[Scope::AnalyticsRead],
            None,
            200,
            PublishedPost,
        ),
        e(
            Method::GET,
            "/api/v1/profile",
            &[Scope::ProfileRead],
            None,
            200,
            Nothing,
        ),
        e(Method::GET, "/api/v1/keys/current", &[], None, 200, Nothing),
    ]
}

async fn resource(app: &TestApp, key: &str, kind: Resource) -> String {
    match kind {
        Resource::Nothing => String::new(),
        Resource::Idea => app.create_idea(key, json!({ "content": "idea" })).await["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        Resource::PublishedPost => app.published_post(key, "post").await,
    }
}

async fn call(
    app: &TestApp,
    e: &Endpoint,
    id: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(e.method.clone(), app.url(&e.path.replace("{id}", id)));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn scope_matrix_for_ideas_analytics_profile_and_keys() {
    let app = spawn_app().await;
    let owner = app.create_user(Plan::Business).await;
    let admin = app.create_key(&owner, &Scope::ALL).await.1;
    let other = app.create_user(Plan::Business).await;
    let other_admin = app.create_key(&other, &Scope::ALL).await.1;

    for e in endpoints() {
        let name = format!("{} {}", e.method, e.path);
        let id = resource(&app, &admin, e.resource).await;

        // No key: 401.
        let response = call(&app, &e, &id, None, e.body.as_ref()).await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{name}");
        assert_error(response, 401, "UNAUTHORIZED").await;

        // Each needed scope missing: 403 naming it, before the body is even looked at.
        for missing in e.scopes {
            let others: Vec<Scope> = Scope::ALL.into_iter().filter(|s| s != missing).collect();
            let key = app.create_key(&owner, &others).await.1;
            let message = assert_error(
                call(&app, &e, &id, Some(&key), e.body.as_ref()).await,
                403,
                "INSUFFICIENT_SCOPE",
            )
            .await;
            assert!(message.contains(missing.as_str()), "{name}: {message}");
            if e.body.is_some() {
                let bad = json!({ "content": "", "unknown": 1 });
                assert_error(
                    call(&app, &e, &id, Some(&key), Some(&bad)).await,
                    403,
                    "INSUFFICIENT_SCOPE",
                )
                .await;
            }
        }

        // Only the needed scopes (for keys/current: any one scope).
        let needed: Vec<Scope> = if e.scopes.is_empty() {
            vec![Scope::PostsRead]
        } else {
            e.scopes.to_vec()
        };
        let key = app.create_key(&owner, &needed).await.1;

        // Another user's resource: 404, exactly as a missing one.
        if e.resource != Resource::Nothing {
            let theirs = resource(&app, &other_admin, e.resource).await;
            let foreign = assert_error(
                call(&app, &e, &theirs, Some(&key), e.body.as_ref()).await,
                404,
                "NOT_FOUND",
            )
            .await;
            let missing = assert_error(
                call(&app, &e, "idea_doesnotexist00", Some(&key), e.body.as_ref()).await,
                404,
                "NOT_FOUND",
            )
            .await;
            assert_eq!(
                foreign.replace("post", "idea"),
                missing.replace("post", "idea"),
                "{name}"
            );
        }

        let response = call(&app, &e, &id, Some(&key), e.body.as_ref()).await;
        assert_eq!(response.status(), e.success, "{name}");
    }

    // The other user's ideas were never touched.
    let list: Value = app
        .send(Method::GET, "/api/v1/ideas", &other_admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert!(list["ideas"]
        .as_array()
        .unwrap()
        .iter()
        .all(|idea| idea["content"] == "idea" && idea["postId"].is_null()));
}
