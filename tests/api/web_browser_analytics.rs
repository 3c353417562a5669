//! Analytics in a real headless Chromium: sign in, open Analytics, pick the last 7 days and see
//! the chart drawn by the server. With `UPDATE_SCREENSHOTS=1` the same run saves the README's
//! screenshots of the page, on a desktop and on a phone-width screen.

use chrono::{Duration, NaiveDate};
use linkedgrow::domain::analytics::Metrics;
use linkedgrow::domain::{Plan, PostId, Scope};

use crate::browser::Browser;
use crate::helpers::spawn_app;
use crate::web_client::{user_with_password, PASSWORD};

#[tokio::test]
async fn pick_the_last_seven_days_and_see_the_chart() {
    let app = spawn_app().await; // today is 2026-01-05
    let user = user_with_password(&app, Plan::Business).await;
    let (_, key) = app.create_key(&user, &Scope::ALL).await;
    let today: NaiveDate = "2026-01-05".parse().unwrap();
    let posts = [
        (
            "2025-12-29T08:30:00Z",
            "Five lessons from a year of writing in public",
            2_400,
        ),
        (
            "2025-12-31T12:00:00Z",
            "What we shipped this year, and what we dropped",
            1_300,
        ),
        (
            "2026-01-03T07:45:00Z",
            "Hiring: a backend engineer who likes boring tech",
            3_100,
        ),
    ];
    for (at, content, peak) in posts {
        app.clock.set(at.parse().unwrap());
        let id = app.published_post(&key, content).await;
        let start: NaiveDate = at[..10].parse().unwrap();
        for (age, day) in start.iter_days().take_while(|d| *d <= today).enumerate() {
            // Most impressions come in the first days after posting.
            let impressions = peak / (age as u64 + 1);
            let m = Metrics {
                impressions,
                members_reached: impressions * 3 / 4,
                reactions: impressions / 30,
                comments: impressions / 120,
                reposts: impressions / 300,
            };
            app.store
                .record_post_metrics(&user.id, &PostId::from(id.as_str()), day, m)
                .await
                .unwrap();
        }
    }
    app.clock.set("2026-01-05T09:00:00Z".parse().unwrap());

    let browser = Browser::start(&app.address).await;
    browser.sign_in(&user.email, PASSWORD).await;
    browser.follow("nav a[href='/analytics']").await;
    assert_eq!(browser.path().await, "/analytics");

    let from = today - Duration::days(6);
    browser
        .follow(&format!(".range-picker a[href*='from={from}']"))
        .await;
    assert_eq!(
        browser.path().await,
        format!("/analytics?from={from}&to={today}")
    );
    assert_eq!(
        browser
            .find(".range-picker a[aria-current=page]")
            .await
            .text()
            .await
            .unwrap(),
        "Last 7 days"
    );
    assert!(browser.has("#chart-impressions svg").await);
    let source = browser.source().await;
    assert_eq!(
        source.matches(r#"class="bar""#).count(),
        2 * 7,
        "two charts of 7 days"
    );
    assert!(browser.text().await.contains("Hiring: a backend engineer"));
    browser.screenshot("analytics").await;

    browser.client.set_window_size(375, 812).await.unwrap();
    browser.screenshot("analytics-phone").await;
    browser.client.set_window_size(1280, 900).await.unwrap();
    browser.finish().await;
}
