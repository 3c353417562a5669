//! Settings › API over HTTP: creating (once), listing and revoking keys, only with a session.

use linkedgrow::domain::Plan;
use linkedgrow::domain::Scope;
use reqwest::{Method, StatusCode};

use crate::helpers::{assert_error, spawn_app};
use crate::web_client::{csrf_in, field_in, location, set_cookies, signed_in, WebClient};

#[tokio::test]
async fn key_management_needs_a_session_and_never_takes_an_api_key() {
    let app = spawn_app().await;
    let owner = app.create_user(Plan::Business).await;
    let (_, key) = app.create_key(&owner, &Scope::ALL).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (method, path) in [
        (Method::GET, "/settings/api"),
        (Method::POST, "/settings/api"),
        (Method::GET, "/settings/profile"),
        (Method::GET, "/posts"),
    ] {
        let response = client
            .request(method.clone(), app.url(path))
            .bearer_auth(&key)
            .form(&[("name", "sneaky"), ("scope", "posts:read")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{method} {path}");
        assert_eq!(location(&response), "/login");
    }
    assert_eq!(app.store.list_keys(&owner.id).await.unwrap().len(), 1);
}

async fn create_key_form(web: &WebClient, name: &str, scopes: &[&str]) -> reqwest::Response {
    let html = web.page("/settings/api").await;
    let (csrf, form_id) = (csrf_in(&html), field_in(&html, "form_id"));
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("form_id", form_id.as_str()),
        ("name", name),
    ];
    form.extend(scopes.iter().map(|s| ("scope", *s)));
    web.post("/settings/api", &form).await
}

#[tokio::test]
async fn sending_the_same_create_form_again_makes_no_second_key() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let html = web.page("/settings/api").await;
    let (csrf, form_id) = (csrf_in(&html), field_in(&html, "form_id"));
    let form = [
        ("csrf", csrf.as_str()),
        ("form_id", form_id.as_str()),
        ("name", "Content pipeline"),
        ("scope", "posts:write"),
    ];
    let first = web.post("/settings/api", &form).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let secret = secret_in(&first.text().await.unwrap());

    // What a reload of the response page does: the same form again.
    let again = web.post("/settings/api", &form).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&again), "/settings/api?resubmitted=1");
    let page = web.page("/settings/api?resubmitted=1").await;
    assert!(page.contains("That form was already used"));
    assert!(!page.contains(&secret));
    assert_eq!(app.store.list_keys(&user.id).await.unwrap().len(), 1);

    // A form without its id is refused.
    let response = web
        .post(
            "/settings/api",
            &[
                ("csrf", csrf.as_str()),
                ("name", "x"),
                ("scope", "posts:read"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.store.list_keys(&user.id).await.unwrap().len(), 1);
}

fn secret_in(html: &str) -> String {
    let start = html.find("lg_").expect("a key on the page");
    html[start..start + linkedgrow::keys::KEY_LEN].to_owned()
}

#[tokio::test]
async fn a_new_key_is_shown_once_on_an_uncached_page_and_works() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let response =
        create_key_form(&web, "Zapier integration", &["posts:read", "posts:write"]).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(
        set_cookies(&response).is_empty(),
        "no cookie carries the key"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("It will not be shown again"), "{html}");
    assert!(html.contains(r#"data-copy-target="new-key""#));
    let secret = secret_in(&html);
    assert!(linkedgrow::keys::is_well_formed(&secret), "{secret}");

    let keys = app.store.list_keys(&user.id).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].name, "Zapier integration");
    assert_eq!(keys[0].scopes.names(), ["posts:read", "posts:write"]);

    // The list shows the prefix, never the secret, and "Never" until the key is used.
    let list = web.page("/settings/api").await;
    assert!(!list.contains(&secret));
    assert!(list.contains(&keys[0].prefix));
    assert!(list.contains("Never"));

    let response = app
        .request(Method::GET, "/api/v1/posts", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app
        .request(Method::DELETE, "/api/v1/posts/post_x", &secret)
        .send()
        .await
        .unwrap();
    assert_error(response, 403, "INSUFFICIENT_SCOPE").await;
    let list = web.page("/settings/api").await;
    assert!(!list.contains("Never"), "last used is shown after use");
    assert!(list.contains("5 Jan 2026, 09:00"), "{list}");
}

#[tokio::test]
async fn key_form_errors_appear_next_to_their_fields() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let response = create_key_form(&web, "   ", &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(
            r#"<p class="field-error" id="key-name-error">The key name cannot be empty.</p>"#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"<p class="field-error" id="scopes-error">Select at least one scope.</p>"#)
    );

    let long = "x".repeat(101);
    let response = create_key_form(&web, &long, &["ideas:read"]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("the maximum is 100"), "{html}");
    assert!(
        html.contains(r#"value="ideas:read" checked"#),
        "the ticked scope stays ticked"
    );

    let response = create_key_form(&web, "x", &["posts:admin"]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(app.store.list_keys(&user.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn users_below_business_see_why_and_cannot_create_keys() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Pro).await;
    let html = web.page("/settings/api").await;
    assert!(
        html.contains("API access needs the Business plan"),
        "{html}"
    );
    assert!(html.contains(r#"<strong class="capitalize">pro</strong>"#));
    assert!(
        !html.contains(r#"action="/settings/api""#),
        "no create form"
    );

    let csrf = csrf_in(&html);
    let response = web
        .post(
            "/settings/api",
            &[("csrf", &csrf), ("name", "x"), ("scope", "posts:read")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("Business plan"));
    assert!(app.store.list_keys(&user.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn revoking_asks_first_then_the_api_refuses_the_key_at_once() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let (key_id, secret) = app.create_key(&user, &[Scope::PostsRead]).await;
    let list = web.page("/settings/api").await;
    let revoke_path = format!("/settings/api/{key_id}/revoke");
    assert!(list.contains(&format!(r#"href="{revoke_path}""#)), "{list}");

    // The confirmation page alone changes nothing.
    let confirm = web.page(&revoke_path).await;
    assert!(confirm.contains("Revoke “test key”?"), "{confirm}");
    let response = app
        .request(Method::GET, "/api/v1/posts", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let response = web
        .post(&revoke_path, &[("csrf", &csrf_in(&confirm))])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/settings/api?revoked=1");
    let response = app
        .request(Method::GET, "/api/v1/posts", &secret)
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "UNAUTHORIZED").await;
    let list = web.page("/settings/api?revoked=1").await;
    assert!(list.contains("The key was revoked"));
    assert!(!list.contains(&key_id), "revoked keys leave the list");

    // Someone else's key is not found, and stays valid.
    let other = app.create_user(Plan::Business).await;
    let (other_id, other_secret) = app.create_key(&other, &[Scope::PostsRead]).await;
    let path = format!("/settings/api/{other_id}/revoke");
    assert_eq!(web.get(&path).await.status(), StatusCode::NOT_FOUND);
    let csrf = web.csrf("/settings/api").await;
    assert_eq!(
        web.post(&path, &[("csrf", &csrf)]).await.status(),
        StatusCode::NOT_FOUND
    );
    let response = app
        .request(Method::GET, "/api/v1/posts", &other_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
