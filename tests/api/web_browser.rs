//! The web app in a real headless Chromium: the whole path from an empty install to a
//! working (then revoked) API key, the refusals, and the Posts pages. With
//! `UPDATE_SCREENSHOTS=1` the same run saves the screenshots the README shows.

use linkedgrow::admin;
use linkedgrow::domain::Plan;
use reqwest::Method;
use serde_json::Value;

use fantoccini::key::Key;

use crate::browser::Browser;
use crate::helpers::{assert_error, spawn_app};
use crate::web_client::{user_with_password, PASSWORD};

#[tokio::test]
async fn from_an_empty_install_to_a_working_then_revoked_key() {
    let app = spawn_app().await;
    let browser = Browser::start(&app.address).await;
    let email = "olive\u{40}example.com";

    // First run: the owner form.
    browser.goto("/").await;
    assert!(browser.text().await.contains("Welcome to LinkedGrow"));
    browser.fill("#email", email).await;
    browser.fill("#name", "Olive Owner").await;
    browser.fill("#password", PASSWORD).await;
    browser.screenshot("first-run").await;
    browser
        .follow("form[action='/setup'] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/login?created=1");
    assert!(browser.text().await.contains("Your account is ready"));

    // The first-run form is gone for good.
    browser.goto("/").await;
    assert_eq!(browser.path().await, "/login");
    assert!(!browser.has("form[action='/setup']").await);

    // Sign in, then Settings › API from the sidebar.
    browser.fill("#email", email).await;
    browser.fill("#password", PASSWORD).await;
    browser.screenshot("sign-in").await;
    browser
        .follow("form[action='/login'] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/posts");
    browser.follow("nav a[href='/settings/api']").await;
    assert_eq!(browser.path().await, "/settings/api");
    let placeholder = browser
        .find("#key-name")
        .await
        .attr("placeholder")
        .await
        .unwrap();
    assert!(placeholder.unwrap().contains("Zapier integration"));
    assert!(browser.text().await.contains("Read and list posts"));

    // Create a key with two scopes.
    browser.fill("#key-name", "Zapier integration").await;
    browser.click("input[value='posts:read']").await;
    browser.click("input[value='posts:write']").await;
    browser
        .follow("form[action='/settings/api'] button[type=submit]")
        .await;
    assert!(browser.text().await.contains("It will not be shown again"));
    let secret = browser
        .find("#new-key")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("the key");
    assert!(linkedgrow::keys::is_well_formed(&secret), "{secret}");

    // Copy: the script runs (the CSP allows our own file) and says so.
    browser.click("#copy-key").await;
    let copied = browser.text_of_eventually("#copy-key", "Copied").await;
    assert_eq!(copied, "Copied");
    browser.screenshot("key-created").await;
    // What the button put on the clipboard is the key: paste it into a field elsewhere.
    browser.goto("/posts/new").await;
    let content = browser.find("#content").await;
    content.click().await.unwrap();
    content
        .send_keys(&format!(
            "{}v{}",
            char::from(Key::Control),
            char::from(Key::Null)
        ))
        .await
        .unwrap();
    let pasted = content.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(pasted, secret, "the clipboard holds the key");
    browser.client.back().await.unwrap();
    // Back to the key page: the POST result is not kept, so the key does not come back.
    assert!(!browser.source().await.contains(&secret));
    // Reloading re-sends the form; it creates nothing and shows no key.
    browser.client.refresh().await.unwrap();
    assert!(!browser.source().await.contains(&secret));
    assert_eq!(browser.path().await, "/settings/api?resubmitted=1");
    let owner = app.store.user_by_email(email).await.unwrap();
    assert_eq!(app.store.list_keys(&owner.id).await.unwrap().len(), 1);
    browser.goto("/settings/api").await;

    // The key works for its scopes and only those.
    let response = app
        .request(Method::POST, "/api/v1/posts", &secret)
        .json(&serde_json::json!({ "content": "Hello from Zapier" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let response = app
        .request(Method::GET, "/api/v1/posts", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let listed: Value = response.json().await.unwrap();
    assert_eq!(listed["posts"][0]["content"], "Hello from Zapier");
    let id = listed["posts"][0]["id"].as_str().unwrap().to_owned();
    let response = app
        .request(Method::DELETE, &format!("/api/v1/posts/{id}"), &secret)
        .send()
        .await
        .unwrap();
    assert_error(response, 403, "INSUFFICIENT_SCOPE").await;

    // The list, loaded or reloaded, never shows the key again.
    assert_eq!(browser.path().await, "/settings/api");
    assert!(!browser.source().await.contains(&secret));
    browser.client.refresh().await.unwrap();
    assert!(!browser.source().await.contains(&secret));
    let list = browser.text().await;
    assert!(list.contains("Zapier integration"));
    assert!(list.contains(&secret[..11]), "the display prefix is listed");
    assert!(!list.contains("Never"), "last used is shown");
    browser.screenshot("settings-api").await;
    browser.client.set_window_size(375, 812).await.unwrap();
    browser.screenshot("settings-api-phone").await;
    browser.client.set_window_size(1280, 900).await.unwrap();

    // The API-made post is on the Posts page too.
    browser.follow("nav a[href='/posts']").await;
    assert!(browser.text().await.contains("Hello from Zapier"));

    // Revoke, with a confirmation step; the API refuses the key at once.
    browser.goto("/settings/api").await;
    browser.follow("a[href$='/revoke']").await;
    assert!(browser
        .text()
        .await
        .contains("Revoke “Zapier integration”?"));
    let response = app
        .request(Method::GET, "/api/v1/posts", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "confirming is not revoking");
    browser.screenshot("revoke-key").await;
    browser
        .follow("form[action$='/revoke'] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/settings/api?revoked=1");
    assert!(browser.text().await.contains("No active keys"));
    let response = app
        .request(Method::GET, "/api/v1/posts", &secret)
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "UNAUTHORIZED").await;

    // On a phone-width screen.
    browser.client.set_window_size(375, 812).await.unwrap();
    browser.goto("/posts").await;
    browser.screenshot("posts-phone").await;

    // Sign out ends the session.
    browser.follow("form[action='/logout'] button").await;
    assert_eq!(browser.path().await, "/login?signed_out=1");
    browser.goto("/settings/api").await;
    assert_eq!(browser.path().await, "/login");
    browser.finish().await;
}

#[tokio::test]
async fn below_business_the_page_explains_and_offers_no_form() {
    let app = spawn_app().await;
    let email = "sam\u{40}example.com";
    let user = admin::create_user(app.store.as_ref(), email, "Sam Rivera", Plan::Pro, 0)
        .await
        .unwrap();
    admin::set_password(app.store.as_ref(), email, PASSWORD, 0)
        .await
        .unwrap();
    let browser = Browser::start(&app.address).await;
    browser.sign_in(&user.email, PASSWORD).await;
    browser.goto("/settings/api").await;
    let text = browser.text().await;
    assert!(
        text.contains("API access needs the Business plan"),
        "{text}"
    );
    assert!(!browser.has("#key-name").await);
    assert!(!browser.has("form[action='/settings/api']").await);
    browser.screenshot("settings-api-not-business").await;
    browser.finish().await;
}

#[tokio::test]
async fn a_wrong_password_gets_one_generic_message_and_no_session() {
    let app = spawn_app().await;
    let user = user_with_password(&app, Plan::Business).await;
    let browser = Browser::start(&app.address).await;
    browser.sign_in(&user.email, "not my password").await;
    assert_eq!(browser.path().await, "/login");
    let alert = browser.find("#login-error").await.text().await.unwrap();
    assert_eq!(alert, "That email and password do not match an account.");
    assert_eq!(
        browser
            .find("#email")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(user.email.as_str()),
        "the email is kept"
    );
    browser.goto("/settings/api").await;
    assert_eq!(browser.path().await, "/login");
    browser.finish().await;
}

#[tokio::test]
async fn a_form_missing_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    let user = user_with_password(&app, Plan::Business).await;
    let browser = Browser::start(&app.address).await;
    browser.sign_in(&user.email, PASSWORD).await;
    browser.goto("/settings/api").await;
    // What a forged form would lack: remove the token, then submit as usual.
    browser
        .client
        .execute(
            "document.querySelector(\"form[action='/settings/api'] input[name=csrf]\").remove()",
            vec![],
        )
        .await
        .unwrap();
    browser.fill("#key-name", "Forged").await;
    browser.click("input[value='posts:read']").await;
    browser
        .follow("form[action='/settings/api'] button[type=submit]")
        .await;
    let text = browser.text().await;
    assert!(text.contains("This form could not be accepted"), "{text}");
    assert!(app.store.list_keys(&user.id).await.unwrap().is_empty());
    browser.finish().await;
}

#[tokio::test]
async fn posts_with_a_live_counter_a_local_schedule_and_a_confirmed_delete() {
    let app = spawn_app().await;
    let email = "maya\u{40}example.com";
    let user = admin::create_user(app.store.as_ref(), email, "Maya Patel", Plan::Business, 0)
        .await
        .unwrap();
    admin::set_password(app.store.as_ref(), email, PASSWORD, 0)
        .await
        .unwrap();
    let (_, key) = app
        .create_key(&user, &[linkedgrow::domain::Scope::PostsRead])
        .await;
    for i in 1..=3 {
        let post = format!("Draft {i}: three things I learned shipping a side project this month.");
        app.store
            .insert_post(
                &user.id,
                &linkedgrow::domain::PostId::generate(),
                &linkedgrow::domain::post::PostFields {
                    content: post,
                    status: linkedgrow::domain::post::PostStatus::Draft,
                    scheduled_at: None,
                },
                app.now_ms(),
            )
            .await
            .unwrap();
    }
    let browser = Browser::start(&app.address).await;
    browser.sign_in(&user.email, PASSWORD).await;

    // Profile: choose a timezone from the list.
    browser.goto("/settings/profile").await;
    browser
        .click("#timezone option[value='America/New_York']")
        .await;
    browser
        .follow("form[action='/settings/profile'] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/settings/profile?saved=profile");
    assert!(browser.text().await.contains("Your profile was saved."));
    browser.screenshot("profile").await;

    // The counter follows typing, in characters (an emoji is one).
    browser.goto("/posts/new").await;
    assert_eq!(
        browser.find("[data-count]").await.text().await.unwrap(),
        "0"
    );
    browser.fill("#content", "Shipping today 🚀").await;
    assert_eq!(
        browser.find("[data-count]").await.text().await.unwrap(),
        "16"
    );
    let counter = browser.find("#content-count").await;
    assert_eq!(
        counter.attr("class").await.unwrap().as_deref(),
        Some("counter")
    );
    // Past the limit it turns red, and the server refuses the same way the API does.
    browser
        .find("#content")
        .await
        .send_keys(&"x".repeat(2_990))
        .await
        .unwrap();
    assert_eq!(
        browser.find("[data-count]").await.text().await.unwrap(),
        "3,006"
    );
    assert_eq!(
        counter.attr("class").await.unwrap().as_deref(),
        Some("counter over")
    );
    browser
        .follow("form[action='/posts'] button[type=submit]")
        .await;
    assert!(browser
        .text()
        .await
        .contains("Post content is 3006 characters long"));

    // Schedule it for a New York morning.
    let text = "Shipped the new onboarding flow today. Three things I learned on the way:";
    browser.fill("#content", text).await;
    browser.click("input[name=status][value=scheduled]").await;
    browser
        .client
        .execute(
            "document.getElementById('date').value = '2026-02-02';\
             document.getElementById('time').value = '08:30';",
            vec![],
        )
        .await
        .unwrap();
    browser
        .follow("form[action='/posts'] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/posts?saved=1");
    assert!(browser
        .text()
        .await
        .contains("Scheduled for 2 Feb 2026, 08:30"));
    browser.screenshot("posts").await;
    browser.follow("a[href^='/posts/post_']").await;
    assert_eq!(
        browser
            .find("#date")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("2026-02-02")
    );
    assert_eq!(
        browser
            .find("#time")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("08:30")
    );
    browser.screenshot("post-editor").await;
    let listed: Value = app
        .request(Method::GET, "/api/v1/posts?status=scheduled", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["posts"][0]["content"], text);
    assert_eq!(listed["posts"][0]["scheduledAt"], "2026-02-02T13:30:00Z");

    // Filter, then delete with a confirmation step.
    browser.goto("/posts").await;
    browser
        .follow("nav.tabs a[href='/posts?status=scheduled']")
        .await;
    browser.follow("a[href$='/delete']").await;
    assert!(browser.text().await.contains("Delete this post?"));
    browser
        .follow("form[action$='/delete'] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/posts?deleted=1");
    browser.goto("/posts?status=scheduled").await;
    assert!(browser.text().await.contains("No posts with this status."));

    // Ideas, empty; Analytics, with nothing published: its empty state.
    browser.follow("nav a[href='/ideas']").await;
    assert!(browser.text().await.contains("No ideas yet."));
    browser.follow("nav a[href='/analytics']").await;
    assert!(browser
        .text()
        .await
        .contains("No published posts in this range yet."));
    browser.finish().await;
}
