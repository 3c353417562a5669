//! The Ideas pages over HTTP: the same ideas, rules and store as the API, and *Turn into post*.

use linkedgrow::domain::{Plan, Scope};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::web_client::{csrf_in, field_in, location, signed_in, WebClient};

/// A signed-in user with a full API key.
async fn setup(app: &TestApp) -> (WebClient, String) {
    let (web, user) = signed_in(app, Plan::Business).await;
    let (_, key) = app.create_key(&user, &Scope::ALL).await;
    (web, key)
}

/// Submits the new-idea form as the page serves it (its CSRF token and form id).
async fn create(web: &WebClient, fields: &[(&str, &str)]) -> reqwest::Response {
    let form = web.page("/ideas/new").await;
    let (csrf, form_id) = (csrf_in(&form), field_in(&form, "form_id"));
    let mut sent = vec![("csrf", csrf.as_str()), ("form_id", form_id.as_str())];
    sent.extend_from_slice(fields);
    web.post("/ideas", &sent).await
}

async fn api_get(app: &TestApp, key: &str, path: &str) -> (StatusCode, Value) {
    let response = app.as_key(key).get(path).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn api_ideas(app: &TestApp, key: &str) -> Value {
    let (status, body) = api_get(app, key, "/api/v1/ideas").await;
    assert_eq!(status, StatusCode::OK);
    body
}

#[tokio::test]
async fn ideas_written_on_the_page_are_the_apis_ideas_and_back() {
    let app = spawn_app().await;
    let (web, key) = setup(&app).await;
    let response = create(
        &web,
        &[
            ("content", "Why <b>hooks</b> fail"),
            ("notes", "Line one\r\nline two"),
            ("tags", " hooks, writing,, hooks ,"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/ideas?saved=1");
    let listed = api_ideas(&app, &key).await;
    assert_eq!(listed["total"], 1);
    let idea = &listed["ideas"][0];
    assert_eq!(idea["content"], "Why <b>hooks</b> fail");
    assert_eq!(idea["notes"], "Line one\nline two");
    assert_eq!(idea["tags"], json!(["hooks", "writing"]));
    let id = idea["id"].as_str().unwrap().to_owned();

    app.create_idea(&key, json!({ "content": "Made through the API" }))
        .await;
    let html = web.page("/ideas?saved=1").await;
    assert!(html.contains("The idea was saved."));
    assert!(html.contains("Made through the API"));
    assert!(
        html.contains("Why &#60;b&#62;hooks&#60;/b&#62; fail"),
        "escaped: {html}"
    );
    assert!(html.contains("Added 5 Jan 2026, 09:00"), "{html}");

    // Edit on the page (emptied notes and tags clear them), read through the API.
    let edit = format!("/ideas/{id}");
    let form = web.page(&edit).await;
    assert!(form.contains(r#"name="version" value="1""#), "{form}");
    assert!(form.contains(r#"value="hooks, writing""#), "{form}");
    let response = web
        .post(
            &edit,
            &[
                ("csrf", &csrf_in(&form)),
                ("version", "1"),
                ("content", "Edited on the page"),
                ("notes", ""),
                ("tags", "rewritten"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/ideas?saved=1");
    let (_, idea) = api_get(&app, &key, &format!("/api/v1/ideas/{id}")).await;
    assert_eq!(idea["content"], "Edited on the page");
    assert_eq!(idea["notes"], Value::Null);
    assert_eq!(idea["tags"], json!(["rewritten"]));

    // Delete asks first; then the API no longer has it.
    let confirm = web.page(&format!("/ideas/{id}/delete")).await;
    assert!(confirm.contains("Delete this idea?"));
    assert!(confirm.contains("Edited on the page"));
    assert_eq!(
        api_ideas(&app, &key).await["total"],
        2,
        "asking deletes nothing"
    );
    let response = web
        .post(
            &format!("/ideas/{id}/delete"),
            &[("csrf", &csrf_in(&confirm))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/ideas?deleted=1");
    let (status, _) = api_get(&app, &key, &format!("/api/v1/ideas/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(web
        .page("/ideas?deleted=1")
        .await
        .contains("The idea was deleted."));
}

#[tokio::test]
async fn the_idea_form_reports_the_same_rules_as_the_api_next_to_the_fields() {
    let app = spawn_app().await;
    let (web, key) = setup(&app).await;
    let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    let many = many.join(", ");
    let long_tag = "x".repeat(51);
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[("content", " \r\n "), ("tags", "kept")],
            r#"id="content-error">Idea content cannot be empty."#,
        ),
        (
            &[("content", &"é".repeat(3_001))],
            r#"id="content-error">Idea content is 3001 characters long; the maximum is 3000."#,
        ),
        (
            &[("content", "x"), ("notes", &"n".repeat(10_001))],
            r#"id="notes-error">Notes are 10001 characters long; the maximum is 10000."#,
        ),
        (
            &[("content", "x"), ("tags", &many)],
            r#"id="tags-error">That is 21 tags; the maximum is 20."#,
        ),
        (
            &[("content", "x"), ("tags", &format!("ok, {long_tag}"))],
            "characters long; the maximum is 50.",
        ),
        // The limit itself is fine; so is an empty tags field.
        (&[("content", &"é".repeat(3_000)), ("tags", "")], ""),
    ];
    for (fields, expected) in cases {
        let response = create(&web, fields).await;
        if expected.is_empty() {
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{fields:?}");
            continue;
        }
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains(expected), "{fields:?}: {html}");
        assert!(html.contains(r#"aria-invalid="true""#), "{html}");
        // What was typed is kept for another try.
        if let Some((_, tags)) = fields.iter().find(|(name, _)| *name == "tags") {
            assert!(html.contains(&format!(r#"value="{tags}""#)), "{html}");
        }
    }
    let long_tag_error = format!(
        r#"id="tags-error">The tag &#34;{long_tag}&#34; is 51 characters long; the maximum is 50."#
    );
    let html = create(&web, &[("content", "x"), ("tags", &long_tag)])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&long_tag_error), "{html}");
    assert_eq!(
        api_ideas(&app, &key).await["total"],
        1,
        "only the valid one"
    );
}

#[tokio::test]
async fn the_list_is_newest_first_in_pages_of_twenty_and_filters_by_tag() {
    let app = spawn_app().await;
    let (web, key) = setup(&app).await;
    for i in 0..25 {
        let tag = if i % 2 == 0 { "even" } else { "odd one" };
        app.create_idea(
            &key,
            json!({ "content": format!("Idea number {i}"), "tags": [tag] }),
        )
        .await;
    }

    let first = web.page("/ideas").await;
    assert!(first.contains("1–20 of 25"), "{first}");
    let newest = first.find("Idea number 24<").expect("the newest");
    let next = first.find("Idea number 23<").expect("the next");
    assert!(newest < next, "newest first");
    assert!(
        !first.contains("Idea number 4<"),
        "older ones are on page 2"
    );
    assert!(
        first.contains(r#"href="/ideas?page=2" rel="next""#),
        "{first}"
    );
    assert!(!first.contains(r#"rel="prev""#));
    let second = web.page("/ideas?page=2").await;
    assert!(second.contains("21–25 of 25"), "{second}");
    assert!(second.contains("Idea number 0<"));
    assert!(second.contains(r#"href="/ideas?page=1" rel="prev""#));
    assert!(!second.contains(r#"rel="next""#));

    // Each tag links to the list filtered by it, as the API's `?tag=` filters.
    let href = r#"href="/ideas?tag=odd%20one""#;
    assert!(first.contains(href), "{first}");
    let odd = web.page("/ideas?tag=odd%20one").await;
    assert!(odd.contains("1–12 of 12"), "{odd}");
    assert!(odd.contains("Showing ideas tagged"));
    assert!(
        odd.contains(&format!(r#"{href} aria-current="page""#)),
        "{odd}"
    );
    assert!(odd.contains("Idea number 1<") && odd.contains("Idea number 23<"));
    assert!(!odd.contains("Idea number 2<") && !odd.contains("Idea number 24<"));
    assert!(odd.contains(r#"<a href="/ideas">Show all ideas</a>"#));
    let none = web.page("/ideas?tag=nothing").await;
    assert!(none.contains("No ideas with this tag."), "{none}");

    // Pages of a filtered list keep the filter.
    for i in 0..10 {
        app.create_idea(
            &key,
            json!({ "content": format!("More {i}"), "tags": ["even"] }),
        )
        .await;
    }
    let even = web.page("/ideas?tag=even").await;
    assert!(even.contains("1–20 of 23"), "{even}");
    assert!(
        even.contains(r#"href="/ideas?tag=even&#38;page=2" rel="next""#),
        "{even}"
    );
    let even2 = web.page("/ideas?tag=even&page=2").await;
    assert!(even2.contains("21–23 of 23"), "{even2}");
    assert!(even2.contains("Idea number 0<"));
}

#[tokio::test]
async fn turn_into_post_creates_the_draft_links_both_ways_and_opens_the_editor() {
    let app = spawn_app().await;
    let (web, key) = setup(&app).await;
    let idea = app
        .create_idea(
            &key,
            json!({ "content": "Three hooks that worked", "tags": ["hooks"] }),
        )
        .await;
    let id = idea["id"].as_str().unwrap();
    let list = web.page("/ideas").await;
    let action = format!(r#"action="/ideas/{id}/convert""#);
    assert!(list.contains(&action), "{list}");

    let response = web
        .post(
            &format!("/ideas/{id}/convert"),
            &[("csrf", &csrf_in(&list))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let editor = location(&response).to_owned();
    let (_, idea) = api_get(&app, &key, &format!("/api/v1/ideas/{id}")).await;
    let post_id = idea["postId"].as_str().expect("linked to its post");
    assert_eq!(editor, format!("/posts/{post_id}"));
    let (status, post) = api_get(&app, &key, &format!("/api/v1/posts/{post_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(post["content"], "Three hooks that worked");
    assert_eq!(post["status"], "draft");
    let page = web.page(&editor).await;
    assert!(page.contains("Three hooks that worked"), "{page}");
    assert!(
        page.contains(&format!(r#"<a href="/ideas/{id}">Open the idea</a>"#)),
        "the post links back to its idea: {page}"
    );

    // Converted, the idea links to its post instead of offering the button again.
    let list = web.page("/ideas").await;
    assert!(!list.contains(&action), "{list}");
    assert!(list.contains(&format!(r#"href="/posts/{post_id}">Open its post"#)));
    let form = web.page(&format!("/ideas/{id}")).await;
    assert!(!form.contains(&action), "{form}");
    assert!(form.contains(&format!(r#"href="/posts/{post_id}">Open its post"#)));

    // The button sent again (another tab) opens the same post; no second draft.
    let response = web
        .post(
            &format!("/ideas/{id}/convert"),
            &[("csrf", &csrf_in(&list))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), editor);
    let (_, posts) = api_get(&app, &key, "/api/v1/posts").await;
    assert_eq!(posts["total"], 1);
}

#[tokio::test]
async fn forms_without_the_csrf_token_change_nothing() {
    let app = spawn_app().await;
    let (web, key) = setup(&app).await;
    let form = web.page("/ideas/new").await;
    let form_id = field_in(&form, "form_id");
    let response = web
        .post(
            "/ideas",
            &[("form_id", form_id.as_str()), ("content", "Forged")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(api_ideas(&app, &key).await["total"], 0);

    let idea = app.create_idea(&key, json!({ "content": "Mine" })).await;
    let id = idea["id"].as_str().unwrap();
    for (path, fields) in [
        (
            format!("/ideas/{id}"),
            vec![("version", "1"), ("content", "Forged")],
        ),
        (format!("/ideas/{id}/convert"), vec![]),
        (format!("/ideas/{id}/delete"), vec![("csrf", "wrong")]),
    ] {
        let response = web.post(&path, &fields).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let (status, idea) = api_get(&app, &key, &format!("/api/v1/ideas/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(idea["content"], "Mine");
    assert_eq!(idea["postId"], Value::Null);
}

#[tokio::test]
async fn a_new_idea_form_sent_twice_creates_one_idea() {
    let app = spawn_app().await;
    let (web, key) = setup(&app).await;
    let form = web.page("/ideas/new").await;
    let sent = [
        ("csrf", csrf_in(&form)),
        ("form_id", field_in(&form, "form_id")),
        ("content", "Double-clicked".to_owned()),
    ];
    let sent: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for _ in 0..2 {
        let response = web.post("/ideas", &sent).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(api_ideas(&app, &key).await["total"], 1);
}

#[tokio::test]
async fn an_edit_of_an_idea_changed_through_the_api_meanwhile_is_not_lost_silently() {
    let app = spawn_app().await;
    let (web, key) = setup(&app).await;
    let idea = app
        .create_idea(&key, json!({ "content": "Original" }))
        .await;
    let id = idea["id"].as_str().unwrap();
    let csrf = web.csrf(&format!("/ideas/{id}")).await;
    let response = app
        .as_key(&key)
        .put_json(
            &format!("/api/v1/ideas/{id}"),
            &json!({ "content": "By a script" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = web
        .post(
            &format!("/ideas/{id}"),
            &[
                ("csrf", &csrf),
                ("version", "1"),
                ("content", "On the page"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("This idea changed since you opened it"),
        "{html}"
    );
    assert!(html.contains("On the page"), "the typed text is kept");
    let (_, stored) = api_get(&app, &key, &format!("/api/v1/ideas/{id}")).await;
    assert_eq!(stored["content"], "By a script");
}

#[tokio::test]
async fn other_users_ideas_are_not_found_on_the_pages() {
    let app = spawn_app().await;
    let (web, _) = setup(&app).await;
    let other_key = app.full_key().await;
    let idea = app
        .create_idea(&other_key, json!({ "content": "Not yours" }))
        .await;
    let id = idea["id"].as_str().unwrap();
    for path in [format!("/ideas/{id}"), format!("/ideas/{id}/delete")] {
        let response = web.get(&path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(response.text().await.unwrap().contains("Page not found"));
    }
    let csrf = web.csrf("/ideas").await;
    for (path, fields) in [
        (
            format!("/ideas/{id}"),
            vec![
                ("csrf", csrf.as_str()),
                ("version", "1"),
                ("content", "Mine now"),
            ],
        ),
        (
            format!("/ideas/{id}/convert"),
            vec![("csrf", csrf.as_str())],
        ),
        (format!("/ideas/{id}/delete"), vec![("csrf", csrf.as_str())]),
    ] {
        let response = web.post(&path, &fields).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (status, idea) = api_get(&app, &other_key, &format!("/api/v1/ideas/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(idea["content"], "Not yours");
    assert_eq!(idea["postId"], Value::Null);
    assert!(!web.page("/ideas").await.contains("Not yours"));
}
