//! Accessibility in a real headless Chromium: every page of the web app, signed out and in, with
//! lists, validation errors and one-time results on screen, is checked by axe-core (the npm
//! package pinned in `tests/package-lock.json`) at a desktop and a phone width; any violation
//! of impact serious or critical fails the test, listed with the elements it found.

use std::path::PathBuf;

use linkedgrow::domain::Scope;
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::{spawn_app_with, TestApp};
use crate::web_client::PASSWORD;

/// The widths every page is checked at: a laptop and a phone.
const SIZES: [(u32, u32); 2] = [(1280, 800), (375, 812)];

/// axe-core's browser script, as `npm ci` in `tests/` installed it.
fn axe_source() -> String {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!(
            "cannot read {}: {err} (./scripts/test installs it; or run `npm ci` in tests/)",
            path.display()
        )
    })
}

/// Runs axe-core on the current page at each width; returns one line per serious or critical
/// violation, naming the page, the width, the rule and the elements.
async fn audit(browser: &Browser, axe: &str, page: &str) -> Vec<String> {
    // WebDriver runs this as a script of its own, which the page's CSP (script-src 'self') does
    // not govern; `window.axe` then stays until the next page load.
    assert!(
        browser
            .has("body > a.skip-link:first-child[href='#main']")
            .await
            && browser.has("main#main").await,
        "{page}: no skip link to #main"
    );
    browser.client.execute(axe, vec![]).await.unwrap();
    let mut found = Vec::new();
    for (width, height) in SIZES {
        browser.client.set_window_size(width, height).await.unwrap();
        let result = browser
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done({ violations: r.violations }))
                   .catch(e => done({ error: String(e) }));",
                vec![],
            )
            .await
            .unwrap();
        assert!(result["error"].is_null(), "axe failed on {page}: {result}");
        for violation in result["violations"].as_array().unwrap() {
            let impact = violation["impact"].as_str().unwrap_or_default();
            if impact != "serious" && impact != "critical" {
                continue;
            }
            let targets: Vec<String> = violation["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|node| node["target"].to_string())
                .collect();
            found.push(format!(
                "{page} at {width}px: {impact} {} ({}): {}",
                violation["id"].as_str().unwrap_or_default(),
                violation["help"].as_str().unwrap_or_default(),
                targets.join(", ")
            ));
        }
    }
    browser.client.set_window_size(1280, 800).await.unwrap();
    found
}

/// What the signed-in pages list: two posts (one published), an idea, a webhook.
struct Seeded {
    draft: String,
    published: String,
    idea: String,
    webhook: String,
}

async fn seed(app: &TestApp, email: &str) -> Seeded {
    let user = app.store.user_by_email(email).await.unwrap();
    let (_, key) = app.create_key(&user, &Scope::ALL).await;
    let draft = app
        .create_post(
            &key,
            "Three things I learned shipping a side project this month.",
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let published = app
        .published_post(&key, "We shipped the new onboarding flow today.")
        .await;
    let idea = app
        .create_idea(
            &key,
            json!({ "content": "Write about onboarding", "notes": "Start with the numbers", "tags": ["product"] }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .as_key(&key)
        .post_json(
            "/api/v1/webhooks",
            &json!({ "url": "http://127.0.0.1:9/", "description": "Slack notifier", "events": ["*"] }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let webhook: Value = response.json().await.unwrap();
    Seeded {
        draft,
        published,
        idea,
        webhook: webhook["id"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn every_page_has_no_serious_or_critical_axe_violations() {
    let app = spawn_app_with(|config| config.webhooks.allow_private = true).await;
    let axe = axe_source();
    let browser = Browser::start(&app.address).await;
    let email = "olive\u{40}example.com";
    let mut found = Vec::new();

    // Signed out: the first-run form, empty and refused, then sign-in, empty and refused.
    browser.goto("/").await;
    found.extend(audit(&browser, &axe, "first run").await);
    browser
        .follow("form[action='/setup'] button[type=submit]")
        .await;
    assert!(browser.has("[aria-invalid=true]").await);
    found.extend(audit(&browser, &axe, "first run with errors").await);
    browser.fill("#email", email).await;
    browser.fill("#name", "Olive Owner").await;
    browser.fill("#password", PASSWORD).await;
    browser
        .follow("form[action='/setup'] button[type=submit]")
        .await;
    found.extend(audit(&browser, &axe, "sign in").await);
    browser.sign_in(email, "not my password").await;
    assert!(browser.has("#login-error").await);
    found.extend(audit(&browser, &axe, "sign in refused").await);
    browser.goto("/nowhere").await;
    found.extend(audit(&browser, &axe, "404 signed out").await);

    let seeded = seed(&app, email).await;
    browser.sign_in(email, PASSWORD).await;
    assert_eq!(browser.path().await, "/posts");

    let pages = [
        "/posts".to_owned(),
        "/posts?status=published".to_owned(),
        "/posts/new".to_owned(),
        format!("/posts/{}", seeded.draft),
        format!("/posts/{}", seeded.published),
        format!("/posts/{}/delete", seeded.draft),
        "/ideas".to_owned(),
        "/ideas?tag=product".to_owned(),
        "/ideas/new".to_owned(),
        format!("/ideas/{}", seeded.idea),
        format!("/ideas/{}/delete", seeded.idea),
        "/analytics".to_owned(),
        "/settings/api".to_owned(),
        "/settings/linkedin".to_owned(),
        "/settings/webhooks".to_owned(),
        format!("/settings/webhooks/{}", seeded.webhook),
        format!("/settings/webhooks/{}/delete", seeded.webhook),
        "/settings/profile".to_owned(),
        "/posts/post_nothing".to_owned(),
        "/nowhere".to_owned(),
    ];
    for page in &pages {
        browser.goto(page).await;
        found.extend(audit(&browser, &axe, page).await);
    }

    // Forms sent empty show their errors; those pages are checked too.
    for (page, form) in [
        ("/posts/new", "/posts"),
        ("/ideas/new", "/ideas"),
        ("/settings/api", "/settings/api"),
        ("/settings/webhooks", "/settings/webhooks"),
        ("/settings/profile", "/settings/password"),
    ] {
        browser.goto(page).await;
        browser
            .follow(&format!("form[action='{form}'] button[type=submit]"))
            .await;
        assert!(
            browser.has("[aria-invalid=true]").await,
            "{page}: no error shown"
        );
        found.extend(audit(&browser, &axe, &format!("{page} with errors")).await);
    }

    // The pages shown once: a new key and a new webhook's secret.
    browser.goto("/settings/api").await;
    browser.fill("#key-name", "Zapier integration").await;
    browser.click("input[value='posts:read']").await;
    browser
        .follow("form[action='/settings/api'] button[type=submit]")
        .await;
    assert!(browser.has("#new-key").await);
    found.extend(audit(&browser, &axe, "key created").await);
    browser.goto("/settings/api").await;
    browser.follow("a[href$='/revoke']").await;
    found.extend(audit(&browser, &axe, "revoke key").await);

    browser.goto("/settings/webhooks").await;
    browser
        .fill("#webhook-url", "http://127.0.0.1:9/hooks")
        .await;
    browser.click("input[value='*']").await;
    browser
        .follow("form[action='/settings/webhooks'] button[type=submit]")
        .await;
    assert!(browser.has("#new-secret").await);
    found.extend(audit(&browser, &axe, "webhook created").await);

    browser.finish().await;
    assert!(
        found.is_empty(),
        "{} serious or critical axe violations:\n{}",
        found.len(),
        found.join("\n")
    );
}
