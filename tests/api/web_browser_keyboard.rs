//! The web app with the keyboard alone, in a real headless Chromium: from the Posts page, the
//! skip link comes first; then create an API key, write a post and open Analytics with Tab,
//! Shift+Tab, Enter, Space and typing, never the mouse. Every stop on the way shows a focus ring.

use fantoccini::key::Key;
use linkedgrow::admin;
use linkedgrow::domain::Plan;
use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::spawn_app;
use crate::web_client::PASSWORD;

/// Whether the focused element matches `css`.
async fn focused_is(browser: &Browser, css: &str) -> bool {
    let matches = browser
        .client
        .execute(
            "return document.activeElement !== null && document.activeElement.matches(arguments[0])",
            vec![Value::from(css)],
        )
        .await
        .unwrap();
    matches == Value::Bool(true)
}

/// Fails unless the focused element shows a focus ring of at least 2px, on screen.
async fn assert_focus_visible(browser: &Browser) {
    let focus = browser
        .client
        .execute(
            "const el = document.activeElement;
             const style = getComputedStyle(el);
             const box = el.getBoundingClientRect();
             return {
               element: el.outerHTML.slice(0, 120), outline: style.outline,
               visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
               onScreen: box.width > 0 && box.height > 0 && box.right > 0 && box.left < innerWidth,
             };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focus["visible"], true, "no visible focus ring: {focus}");
    assert_eq!(focus["onScreen"], true, "focus off screen: {focus}");
}

/// Presses Tab (or Shift+Tab, `back`) until the focused element matches `css`, checking the
/// focus ring at every stop.
async fn tab_to(browser: &Browser, css: &str, back: bool) {
    for _ in 0..60 {
        if back {
            browser.shift_tab().await;
        } else {
            browser.press(Key::Tab).await;
        }
        assert_focus_visible(browser).await;
        if focused_is(browser, css).await {
            return;
        }
    }
    panic!("Tab never reached {css} on {}", browser.path().await);
}

#[tokio::test]
async fn create_a_key_write_a_post_and_read_analytics_with_the_keyboard_alone() {
    let app = spawn_app().await;
    let email = "kim\u{40}example.com";
    admin::create_user(app.store.as_ref(), email, "Kim Keys", Plan::Business, 0)
        .await
        .unwrap();
    admin::set_password(app.store.as_ref(), email, PASSWORD, 0)
        .await
        .unwrap();
    let browser = Browser::start(&app.address).await;
    browser.sign_in(email, PASSWORD).await;
    assert_eq!(browser.path().await, "/posts");

    // The first Tab reaches the skip link; Enter on it moves past the sidebar into the page.
    browser.press(Key::Tab).await;
    assert!(focused_is(&browser, "a.skip-link[href='#main']").await);
    assert_focus_visible(&browser).await;
    browser.press(Key::Enter).await;
    assert!(focused_is(&browser, "main#main").await);
    browser.press(Key::Tab).await;
    assert!(
        focused_is(&browser, "main a[href='/posts/new']").await,
        "after the skip link, Tab goes to the page's first control"
    );

    // Back into the sidebar with Shift+Tab, to Settings › API.
    tab_to(&browser, "nav a[href='/settings/api']", true).await;
    browser.press_to_follow(Key::Enter).await;
    assert_eq!(browser.path().await, "/settings/api");

    // Name the key, tick a scope with Space, send the form with Enter.
    tab_to(&browser, "#key-name", false).await;
    browser.type_text("Keyboard only").await;
    tab_to(&browser, "input[value='posts:read']", false).await;
    browser.press(Key::Space).await;
    let ticked = browser.find("input[value='posts:read']").await;
    assert_eq!(
        ticked.prop("checked").await.unwrap().as_deref(),
        Some("true")
    );
    tab_to(
        &browser,
        "form[action='/settings/api'] button[type=submit]",
        false,
    )
    .await;
    browser.press_to_follow(Key::Enter).await;
    assert!(browser.text().await.contains("It will not be shown again"));
    let secret = browser
        .find("#new-key")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("the key");
    assert!(linkedgrow::keys::is_well_formed(&secret), "{secret}");
    assert!(browser.text().await.contains("Keyboard only"));

    // Posts › New post: type it, leave it a draft, save.
    tab_to(&browser, "nav a[href='/posts']", false).await;
    browser.press_to_follow(Key::Enter).await;
    tab_to(&browser, "main a[href='/posts/new']", false).await;
    browser.press_to_follow(Key::Enter).await;
    assert_eq!(browser.path().await, "/posts/new");
    tab_to(&browser, "#content", false).await;
    let text = "Written without touching the mouse.";
    browser.type_text(text).await;
    tab_to(&browser, "form[action='/posts'] button[type=submit]", false).await;
    browser.press_to_follow(Key::Enter).await;
    assert_eq!(browser.path().await, "/posts?saved=1");
    assert!(browser
        .find(".post-list")
        .await
        .text()
        .await
        .unwrap()
        .contains(text));

    // Analytics: the skip link leads to the page, whose heading is there to read; every
    // control on it can be reached with Tab and shows where the focus is.
    tab_to(&browser, "nav a[href='/analytics']", false).await;
    browser.press_to_follow(Key::Enter).await;
    assert_eq!(browser.path().await, "/analytics");
    browser.press(Key::Tab).await;
    assert!(focused_is(&browser, "a.skip-link").await);
    browser.press(Key::Enter).await;
    assert!(focused_is(&browser, "main#main").await);
    let heading = browser.find("main h1").await.text().await.unwrap();
    assert!(heading.contains("Analytics"), "{heading}");
    for _ in 0..60 {
        browser.press(Key::Tab).await;
        if !focused_is(&browser, "main *").await {
            break;
        }
        assert_focus_visible(&browser).await;
    }
    browser.finish().await;
}
