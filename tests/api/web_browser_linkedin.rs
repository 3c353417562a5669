//! Publishing in a real headless Chromium: connect LinkedIn through the stand-in's consent
//! page, schedule a post on the page, see it published with its link, and a refused post
//! with its reason. With `UPDATE_SCREENSHOTS=1` the same run saves the README's screenshots of
//! both pages.

use linkedgrow::admin;
use linkedgrow::domain::Plan;

use crate::browser::Browser;
use crate::helpers::spawn_app_publishing_to;
use crate::linkedin_fake::{Failure, FakeLinkedIn};
use crate::web_client::PASSWORD;

#[tokio::test]
async fn connect_schedule_publish_and_see_a_refusal_with_its_reason() {
    let fake = FakeLinkedIn::start().await;
    let app = spawn_app_publishing_to(fake.url()).await;
    let email = "ada\u{40}example.com";
    let user = admin::create_user(app.store.as_ref(), email, "Ada Lovelace", Plan::Business, 0)
        .await
        .unwrap();
    admin::set_password(app.store.as_ref(), email, PASSWORD, 0)
        .await
        .unwrap();
    let browser = Browser::start(&app.address).await;
    browser.sign_in(&user.email, PASSWORD).await;

    // Settings › LinkedIn → Connect → the stand-in's consent page → Allow → back, connected.
    browser.follow("nav a[href='/settings/linkedin']").await;
    assert_eq!(browser.path().await, "/settings/linkedin");
    assert!(browser.text().await.contains("Connect LinkedIn"));
    browser
        .follow("form[action='/settings/linkedin/connect'] button[type=submit]")
        .await;
    let consent = browser.client.current_url().await.unwrap();
    assert_eq!(
        consent.as_str().split('?').next().unwrap(),
        format!("{}/oauth/v2/authorization", fake.url()),
        "on LinkedIn's consent page"
    );
    assert!(browser.text().await.contains("w_member_social"));
    browser.follow("button[value=allow]").await;
    assert_eq!(browser.path().await, "/settings/linkedin?connected=1");
    let text = browser.text().await;
    assert!(text.contains("LinkedIn is connected"), "{text}");
    assert!(text.contains("Ada Lovelace"), "{text}");
    assert!(text.contains("6 Mar 2026, 09:00"), "{text}");
    assert!(
        browser
            .has("form[action='/settings/linkedin/disconnect']")
            .await
    );
    browser.screenshot("settings-linkedin").await;

    // Posts → New post → scheduled an hour after the test clock's 09:00 (UTC).
    browser.follow("nav a[href='/posts']").await;
    browser.follow("a[href='/posts/new']").await;
    let scheduled = "We moved our release notes to LinkedIn. Here is what changed this week.";
    browser.fill("#content", scheduled).await;
    browser.click("input[name=status][value=scheduled]").await;
    browser
        .client
        .execute(
            "document.getElementById('date').value = '2026-01-05';\
             document.getElementById('time').value = '10:00';",
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
        .contains("Scheduled for 5 Jan 2026, 10:00"));

    // Its time comes; the publisher sends it.
    app.publisher.tick().await.unwrap();
    assert!(fake.posts().is_empty(), "not due yet");
    app.clock.advance(chrono::Duration::minutes(61));
    app.publisher.tick().await.unwrap();
    let sent = fake.posts();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].commentary, scheduled);

    browser.goto("/posts").await;
    let link = browser
        .find(".post-actions a[href^='https://www.linkedin.com/']")
        .await;
    assert_eq!(
        link.attr("href").await.unwrap().unwrap(),
        format!("https://www.linkedin.com/feed/update/{}/", sent[0].urn)
    );
    assert!(link.text().await.unwrap().starts_with("On LinkedIn"));
    assert_eq!(
        browser.find(".badge").await.text().await.unwrap(),
        "PUBLISHED"
    );

    // Another post, published now, which LinkedIn refuses.
    browser.follow("a[href='/posts/new']").await;
    browser
        .fill(
            "#content",
            "Hiring: two Rust engineers for our platform team.",
        )
        .await;
    browser
        .follow("form[action='/posts'] button[type=submit]")
        .await;
    fake.fail_next(1, Failure::Forbidden);
    browser
        .follow("form[action$='/publish'] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/posts?failed=1");
    let alert = browser.find("[role=alert]").await.text().await.unwrap();
    assert_eq!(alert, "LinkedIn did not take the post; the list shows why.");
    let failure = browser.find(".post-failure").await.text().await.unwrap();
    assert!(
        failure.starts_with("LinkedIn did not permit this member to post."),
        "{failure}"
    );
    assert!(browser.has(".badge-failed").await);
    assert!(browser.has("nav.tabs a[href='/posts?status=failed']").await);
    let reschedule = browser
        .find(".post-item:first-child a[href^='/posts/post_']")
        .await;
    assert!(reschedule.text().await.unwrap().starts_with("Reschedule"));
    browser.screenshot("posts-published-failed").await;

    // Reschedule opens the editor with the reason.
    browser
        .follow(".post-item:first-child a[href^='/posts/post_']")
        .await;
    let text = browser.text().await;
    assert!(text.contains("Reschedule post"), "{text}");
    assert!(text.contains("LinkedIn did not permit this member to post."));
    browser.finish().await;
}
