//! The Posts pages over HTTP: the same posts, rules and store as the API.

use linkedgrow::domain::Plan;
use linkedgrow::domain::Scope;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::spawn_app;
use crate::helpers::TestApp;
use crate::web_client::{csrf_in, location, signed_in, WebClient};

/// A signed-in user in `timezone` with a full API key.
async fn setup(app: &TestApp, timezone: &str) -> (WebClient, String) {
    let (web, user) = signed_in(app, Plan::Business).await;
    app.store
        .update_profile(&user.id, &user.name, timezone)
        .await
        .unwrap();
    let (_, key) = app.create_key(&user, &Scope::ALL).await;
    (web, key)
}

async fn submit(web: &WebClient, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = web
        .csrf(if path == "/posts" { "/posts/new" } else { path })
        .await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    web.post(path, &form).await
}

async fn api_posts(app: &TestApp, key: &str, query: &str) -> Value {
    let response = app
        .request(Method::GET, &format!("/api/v1/posts{query}"), key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn posts_written_on_the_page_are_the_apis_posts_and_back() {
    let app = spawn_app().await;
    let (web, key) = setup(&app, "UTC").await;

    let response = submit(
        &web,
        "/posts",
        &[
            ("content", "Written <b>in</b> the browser"),
            ("status", "draft"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/posts?saved=1");
    let listed = api_posts(&app, &key, "").await;
    assert_eq!(listed["total"], 1);
    assert_eq!(
        listed["posts"][0]["content"],
        "Written <b>in</b> the browser"
    );
    assert_eq!(listed["posts"][0]["status"], "draft");
    let id = listed["posts"][0]["id"].as_str().unwrap().to_owned();

    app.create_post(&key, "Written through the API").await;
    let html = web.page("/posts").await;
    assert!(html.contains("Written through the API"));
    assert!(
        html.contains("Written &#60;b&#62;in&#60;/b&#62; the browser"),
        "escaped: {html}"
    );

    // Edit on the page, read through the API.
    let edit = format!("/posts/{id}");
    let form = web.page(&edit).await;
    assert!(form.contains(r#"name="version" value="1""#), "{form}");
    let response = submit(
        &web,
        &edit,
        &[
            ("version", "1"),
            ("content", "Edited on the page"),
            ("status", "draft"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let post: Value = app
        .request(Method::GET, &format!("/api/v1/posts/{id}"), &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(post["content"], "Edited on the page");

    // Delete asks first; then the API no longer has it.
    let confirm = web.page(&format!("/posts/{id}/delete")).await;
    assert!(confirm.contains("Delete this post?"));
    assert_eq!(
        api_posts(&app, &key, "").await["total"],
        2,
        "asking deletes nothing"
    );
    let response = web
        .post(
            &format!("/posts/{id}/delete"),
            &[("csrf", &csrf_in(&confirm))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/posts?deleted=1");
    let response = app
        .request(Method::GET, &format!("/api/v1/posts/{id}"), &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_schedule_entered_in_the_users_timezone_is_stored_in_utc() {
    let app = spawn_app().await;
    let (web, key) = setup(&app, "Europe/Berlin").await;
    let new = web.page("/posts/new").await;
    assert!(new.contains("Times are in your timezone, Europe/Berlin"));

    // Berlin is UTC+1 in February.
    let response = submit(
        &web,
        "/posts",
        &[
            ("content", "Planned"),
            ("status", "scheduled"),
            ("date", "2026-02-01"),
            ("time", "10:00"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let listed = api_posts(&app, &key, "?status=scheduled").await;
    assert_eq!(listed["posts"][0]["scheduledAt"], "2026-02-01T09:00:00Z");
    let id = listed["posts"][0]["id"].as_str().unwrap().to_owned();
    let list = web.page("/posts?status=scheduled").await;
    assert!(list.contains("Scheduled for 1 Feb 2026, 10:00"), "{list}");
    // The edit form shows it back in local time.
    let edit = web.page(&format!("/posts/{id}")).await;
    assert!(
        edit.contains(r#"value="2026-02-01""#) && edit.contains(r#"value="10:00""#),
        "{edit}"
    );

    // And a post scheduled through the API shows in local time on the page (UTC+2 in summer).
    let response = app
        .request(Method::POST, "/api/v1/posts", &key)
        .json(&json!({ "content": "From the API", "status": "scheduled", "scheduledAt": "2026-07-01T06:30:00Z" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert!(web
        .page("/posts")
        .await
        .contains("Scheduled for 1 Jul 2026, 08:30"));
}

#[tokio::test]
async fn the_post_form_reports_the_same_rules_as_the_api_next_to_the_fields() {
    let app = spawn_app().await;
    let (web, key) = setup(&app, "Europe/Berlin").await;

    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("content", "   "), ("status", "draft")],
            r#"id="content-error">Post content cannot be empty."#,
        ),
        (
            &[("content", "x"), ("status", "scheduled")],
            r#"id="schedule-error">Choose the date and time to publish it."#,
        ),
        // The test clock is 2026-01-05 09:00 UTC, 10:00 in Berlin.
        (
            &[
                ("content", "x"),
                ("status", "scheduled"),
                ("date", "2026-01-05"),
                ("time", "09:59"),
            ],
            r#"id="schedule-error">Choose a date and time in the future."#,
        ),
        // Clocks in Berlin jump from 02:00 to 03:00 on 29 March 2026.
        (
            &[
                ("content", "x"),
                ("status", "scheduled"),
                ("date", "2026-03-29"),
                ("time", "02:30"),
            ],
            "does not exist in Europe/Berlin",
        ),
        (
            &[("content", "x"), ("status", "published")],
            "status cannot be set to",
        ),
    ];
    for (fields, expected) in cases {
        let response = submit(&web, "/posts", fields).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains(expected), "{fields:?}: {html}");
    }

    // 3,000 characters is the limit, line breaks counting one each as the page counts them
    // (browsers send them as CRLF).
    let long = "a".repeat(3_001);
    let response = submit(&web, "/posts", &[("content", &long), ("status", "draft")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Post content is 3001 characters long; the maximum is 3000"),
        "{html}"
    );
    assert!(html.contains(r#"class="counter over""#));
    let exactly = format!("{}\r\n{}", "a".repeat(1_500), "b".repeat(1_499));
    let response = submit(
        &web,
        "/posts",
        &[("content", &exactly), ("status", "draft")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let listed = api_posts(&app, &key, "").await;
    assert_eq!(listed["total"], 1);
    assert_eq!(
        listed["posts"][0]["content"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        3_000
    );
}

#[tokio::test]
async fn the_list_filters_by_status_and_pages_by_twenty() {
    let app = spawn_app().await;
    let (web, key) = setup(&app, "UTC").await;
    for i in 0..24 {
        app.create_post(&key, &format!("Draft number {i}")).await;
    }
    let response = app
        .request(Method::POST, "/api/v1/posts", &key)
        .json(&json!({ "content": "The scheduled one", "status": "scheduled", "scheduledAt": "2026-03-01T09:00:00Z" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let first = web.page("/posts").await;
    assert!(first.contains("1–20 of 25"), "{first}");
    assert!(first.contains("The scheduled one"), "newest first");
    assert!(
        !first.contains("Draft number 4<"),
        "older ones are on page 2"
    );
    assert!(first.contains(r#"href="/posts?page=2" rel="next""#));
    assert!(!first.contains(r#"rel="prev""#));
    let second = web.page("/posts?page=2").await;
    assert!(second.contains("21–25 of 25"), "{second}");
    assert!(second.contains("Draft number 0<"));
    assert!(second.contains(r#"href="/posts?page=1" rel="prev""#));
    assert!(!second.contains(r#"rel="next""#));

    let scheduled = web.page("/posts?status=scheduled").await;
    assert!(scheduled.contains("1–1 of 1"));
    assert!(scheduled.contains("The scheduled one"));
    assert!(scheduled.contains(r#"<a href="/posts?status=scheduled" aria-current="page">"#));
    let drafts = web.page("/posts?status=draft&page=2").await;
    assert!(drafts.contains("21–24 of 24"), "{drafts}");
    assert!(
        drafts.contains(r#"href="/posts?status=draft&#38;page=1" rel="prev""#),
        "{drafts}"
    );
    let published = web.page("/posts?status=published").await;
    assert!(published.contains("No posts with this status."));
}

#[tokio::test]
async fn an_edit_of_a_post_changed_through_the_api_meanwhile_is_not_lost_silently() {
    let app = spawn_app().await;
    let (web, key) = setup(&app, "UTC").await;
    let post = app.create_post(&key, "Original").await;
    let id = post["id"].as_str().unwrap();
    let edit = format!("/posts/{id}");
    let csrf = web.csrf(&edit).await;

    let response = app
        .request(Method::PUT, &format!("/api/v1/posts/{id}"), &key)
        .json(&json!({ "content": "Changed by a script" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let response = web
        .post(
            &edit,
            &[
                ("csrf", &csrf),
                ("version", "1"),
                ("content", "Changed on the page"),
                ("status", "draft"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("This post changed since you opened it"),
        "{html}"
    );
    assert!(
        html.contains("Changed on the page"),
        "the typed text is kept"
    );
    let stored: Value = app
        .request(Method::GET, &format!("/api/v1/posts/{id}"), &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored["content"], "Changed by a script");
}

#[tokio::test]
async fn other_users_posts_are_not_found_on_the_pages() {
    let app = spawn_app().await;
    let (web, _) = setup(&app, "UTC").await;
    let other_key = app.full_key().await;
    let post = app.create_post(&other_key, "Not yours").await;
    let id = post["id"].as_str().unwrap();
    assert_eq!(
        web.get(&format!("/posts/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        web.get(&format!("/posts/{id}/delete")).await.status(),
        StatusCode::NOT_FOUND
    );
    let csrf = web.csrf("/posts").await;
    let response = web
        .post(&format!("/posts/{id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app
        .request(Method::GET, &format!("/api/v1/posts/{id}"), &other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
