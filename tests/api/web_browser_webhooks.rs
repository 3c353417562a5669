//! Settings › Webhooks in a real headless Chromium: add an endpoint pointing at a receiver on
//! this machine, copy its secret, send a test event and resend it, see both deliveries, then
//! disable it. With `UPDATE_SCREENSHOTS=1` the same run saves the README's screenshots of the
//! pages.

use linkedgrow::admin;
use linkedgrow::domain::Plan;

use crate::browser::Browser;
use crate::helpers::spawn_app_with;
use crate::web_client::PASSWORD;
use crate::webhook_receiver::{Received, Receiver};

#[tokio::test]
async fn add_a_webhook_send_a_test_event_resend_it_and_disable_it() {
    let app = spawn_app_with(|config| config.webhooks.allow_private = true).await;
    let receiver = Receiver::start().await;
    let email = "grace\u{40}example.com";
    admin::create_user(app.store.as_ref(), email, "Grace Hopper", Plan::Business, 0)
        .await
        .unwrap();
    admin::set_password(app.store.as_ref(), email, PASSWORD, 0)
        .await
        .unwrap();
    let browser = Browser::start(&app.address).await;
    browser.sign_in(email, PASSWORD).await;

    browser.follow("nav a[href='/settings/webhooks']").await;
    assert_eq!(browser.path().await, "/settings/webhooks");
    assert!(browser.text().await.contains("No webhooks yet."));

    // Sent empty, the form says what each field needs.
    browser
        .follow("form[action='/settings/webhooks'] button[type=submit]")
        .await;
    assert_eq!(
        browser
            .find("#webhook-url-error")
            .await
            .text()
            .await
            .unwrap(),
        "Enter the URL that receives the events."
    );
    assert_eq!(
        browser.find("#events-error").await.text().await.unwrap(),
        "Choose at least one event."
    );

    browser.fill("#webhook-url", receiver.url()).await;
    browser.fill("#webhook-description", "Slack notifier").await;
    browser.click("input[value='post.published']").await;
    browser.click("input[value='post.failed']").await;
    browser
        .follow("form[action='/settings/webhooks'] button[type=submit]")
        .await;
    assert!(browser.text().await.contains("It will not be shown again"));
    let secret = browser
        .find("#new-secret")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("the secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    browser.click("#copy-secret").await;
    assert_eq!(
        browser.text_of_eventually("#copy-secret", "Copied").await,
        "Copied"
    );
    assert_eq!(
        browser.find("#copy-status").await.text().await.unwrap(),
        "The secret is on your clipboard."
    );

    // Its page: *Send test event*, then *Resend* that delivery.
    browser
        .follow(".key-reveal a[href^='/settings/webhooks/wh_']")
        .await;
    assert!(browser.text().await.contains("No deliveries yet."));
    browser
        .follow("form[action$='/test'] button[type=submit]")
        .await;
    let notice = browser.find("[role=status]").await.text().await.unwrap();
    assert!(
        notice.starts_with("The test event was delivered: the receiver answered 200 in "),
        "{notice}"
    );
    assert_eq!(
        browser
            .find("td[data-label=Result]")
            .await
            .text()
            .await
            .unwrap(),
        "200"
    );
    browser
        .follow("form[action$='/resend'] button[type=submit]")
        .await;
    let notice = browser.find("[role=status]").await.text().await.unwrap();
    assert!(
        notice.starts_with("The event was delivered: the receiver answered 200 in "),
        "{notice}"
    );
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    for request in &received {
        signed_at_its_timestamp(request, &secret);
        assert_eq!(request.json()["type"], "webhook.test");
    }
    let attempts = browser
        .client
        .find_all(fantoccini::Locator::Css("td[data-label=Attempt]"))
        .await
        .unwrap();
    let mut seen = Vec::new();
    for cell in attempts {
        seen.push(cell.text().await.unwrap());
    }
    assert_eq!(seen, ["2", "1"], "newest first");
    browser.screenshot("webhook-deliveries").await;

    // Disable it: the page and the list say so.
    browser
        .follow("form[action$='/disable'] button[type=submit]")
        .await;
    assert_eq!(
        browser.find("#webhook-state").await.text().await.unwrap(),
        "Disabled by you"
    );
    assert!(browser.has("form[action$='/enable']").await);
    browser.follow("nav a[href='/settings/webhooks']").await;
    let text = browser.text().await;
    assert!(text.contains("Slack notifier"), "{text}");
    assert!(text.contains("Disabled by you"), "{text}");
    assert!(text.contains("5 Jan 2026, 09:00"), "{text}");
    browser.screenshot("settings-webhooks").await;
    browser.finish().await;
}

/// Checks a request's signature with the official Standard Webhooks library at the request's
/// own timestamp: the library's `verify` wants it within five minutes of the real clock, and
/// this server runs on the test clock (so that the screenshots show the same times every run).
fn signed_at_its_timestamp(request: &Received, secret: &str) {
    let timestamp = request.header("webhook-timestamp").parse().unwrap();
    let expected = standardwebhooks::Webhook::new(secret)
        .unwrap()
        .sign(
            request.header("webhook-id"),
            timestamp,
            request.body.as_bytes(),
        )
        .unwrap();
    let signatures = request.header("webhook-signature");
    assert!(
        signatures.split(' ').any(|s| s == expected),
        "{signatures} does not include {expected}"
    );
}
