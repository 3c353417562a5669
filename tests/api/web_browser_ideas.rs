//! Ideas in a real headless Chromium: note an idea (Enter in the tags field adds a tag rather
//! than sending the form), filter the list by a tag, and turn the idea into a post. With
//! `UPDATE_SCREENSHOTS=1` the same run saves the README's screenshots of the list.

use fantoccini::key::Key;
use linkedgrow::admin;
use linkedgrow::domain::{Plan, Scope};
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::spawn_app;
use crate::web_client::PASSWORD;

#[tokio::test]
async fn note_an_idea_filter_by_its_tag_and_turn_it_into_a_post() {
    let app = spawn_app().await;
    let email = "ada\u{40}example.com";
    let user = admin::create_user(app.store.as_ref(), email, "Ada Lovelace", Plan::Business, 0)
        .await
        .unwrap();
    admin::set_password(app.store.as_ref(), email, PASSWORD, 0)
        .await
        .unwrap();
    let (_, key) = app.create_key(&user, &Scope::ALL).await;
    let browser = Browser::start(&app.address).await;
    browser.sign_in(email, PASSWORD).await;

    browser.follow("nav a[href='/ideas']").await;
    assert!(browser.text().await.contains("No ideas yet."));
    browser.follow("a[href='/ideas/new']").await;

    // Sent empty, the form says what the idea needs.
    browser
        .follow("form[action='/ideas'] button[type=submit]")
        .await;
    assert_eq!(
        browser.find("#content-error").await.text().await.unwrap(),
        "Idea content cannot be empty."
    );

    let text = "Three hooks that worked for me this year";
    browser.fill("#content", text).await;
    browser
        .fill("#notes", "Open with the numbers; end with a question.")
        .await;
    // Enter ends a tag; it does not send the form.
    let tags = browser.find("#tags").await;
    tags.clear().await.unwrap();
    tags.send_keys(&format!("hooks{}writing", char::from(Key::Enter)))
        .await
        .unwrap();
    assert_eq!(
        tags.prop("value").await.unwrap().as_deref(),
        Some("hooks, writing")
    );
    assert_eq!(browser.path().await, "/ideas");
    browser
        .follow("form[action='/ideas'] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/ideas?saved=1");

    // Two more, through the API, so that the filter has something to leave out.
    for (content, tags) in [
        ("A carousel on the first 100 customers", json!(["carousel"])),
        (
            "What I would tell my first-year self",
            json!(["career", "writing"]),
        ),
    ] {
        app.create_idea(&key, json!({ "content": content, "tags": tags }))
            .await;
    }
    browser.goto("/ideas").await;
    browser.screenshot("ideas").await;
    browser.client.set_window_size(375, 812).await.unwrap();
    browser.screenshot("ideas-phone").await;
    browser.client.set_window_size(1280, 900).await.unwrap();

    // A tag is a link to the list filtered by it.
    browser.follow("a.tag[href='/ideas?tag=hooks']").await;
    assert_eq!(browser.path().await, "/ideas?tag=hooks");
    let list = browser.text().await;
    assert!(list.contains(text), "{list}");
    assert!(!list.contains("carousel"), "{list}");
    assert!(!list.contains("first-year self"), "{list}");

    // Turn into post: the post editor opens on the new draft.
    browser
        .follow("form[action$='/convert'] button[type=submit]")
        .await;
    let path = browser.path().await;
    assert!(path.starts_with("/posts/post_"), "{path}");
    assert_eq!(
        browser
            .find("#content")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(text)
    );
    let listed: Value = app
        .as_key(&key)
        .get("/api/v1/ideas?tag=hooks")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        format!("/posts/{}", listed["ideas"][0]["postId"].as_str().unwrap()),
        path
    );

    // Back on the list, the idea links to its post instead.
    browser.follow("nav a[href='/ideas']").await;
    browser.follow("a[href^='/posts/post_']").await;
    assert_eq!(browser.path().await, path);
    browser.finish().await;
}
