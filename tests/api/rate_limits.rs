//! Per-key rate limits over HTTP, with the test clock instead of sleeps.

use chrono::Duration;
use linkedgrow::clock::Clock;
use linkedgrow::domain::Plan;
use linkedgrow::domain::Scope;
use reqwest::{Method, Response};

use crate::helpers::{assert_error, spawn_app, spawn_app_with, TestApp};

fn header(response: &Response, name: &str) -> i64 {
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

async fn get(app: &TestApp, key: &str) -> Response {
    app.request(Method::GET, "/api/v1/posts", key)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn headers_count_down_and_a_429_says_how_long_to_wait() {
    let app = spawn_app_with(|config| {
        config.rate_limit_per_minute = 3;
        config.rate_limit_per_hour = 100;
    })
    .await;
    let key = app.full_key().await;
    let start = app.clock.now().timestamp();
    for remaining in [2, 1, 0] {
        let response = get(&app, &key).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ratelimit-limit"), 3);
        assert_eq!(header(&response, "x-ratelimit-remaining"), remaining);
        assert_eq!(header(&response, "x-ratelimit-reset"), start + 60);
    }
    let refused = get(&app, &key).await;
    assert_eq!(header(&refused, "retry-after"), 60);
    assert_eq!(header(&refused, "x-ratelimit-remaining"), 0);
    assert_error(refused, 429, "RATE_LIMITED").await;

    // One second short is still refused; waiting exactly Retry-After is accepted.
    app.clock.advance(Duration::seconds(59));
    let refused = get(&app, &key).await;
    assert_eq!(header(&refused, "retry-after"), 1);
    assert_eq!(refused.status(), 429);
    app.clock.advance(Duration::seconds(1));
    assert_eq!(get(&app, &key).await.status(), 200);
}

#[tokio::test]
async fn the_default_limits_are_60_a_minute() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    for _ in 0..60 {
        let response = get(&app, &key).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ratelimit-limit"), 60);
    }
    assert_eq!(get(&app, &key).await.status(), 429);
}

#[tokio::test]
async fn no_burst_across_a_window_boundary() {
    // A fixed window would accept 3 at 0:59 and 3 more at 1:00.
    let app = spawn_app_with(|config| {
        config.rate_limit_per_minute = 3;
        config.rate_limit_per_hour = 100;
    })
    .await;
    let key = app.full_key().await;
    app.clock.advance(Duration::seconds(59));
    for _ in 0..3 {
        assert_eq!(get(&app, &key).await.status(), 200);
    }
    app.clock.advance(Duration::seconds(1));
    assert_eq!(get(&app, &key).await.status(), 429);
    app.clock.advance(Duration::seconds(58));
    assert_eq!(get(&app, &key).await.status(), 429);
    app.clock.advance(Duration::seconds(1));
    assert_eq!(get(&app, &key).await.status(), 200);
}

#[tokio::test]
async fn the_hour_window_is_enforced_and_not_used_up_by_refusals() {
    let app = spawn_app_with(|config| {
        config.rate_limit_per_minute = 2;
        config.rate_limit_per_hour = 3;
    })
    .await;
    let key = app.full_key().await;
    assert_eq!(get(&app, &key).await.status(), 200);
    assert_eq!(get(&app, &key).await.status(), 200);
    for _ in 0..10 {
        assert_eq!(get(&app, &key).await.status(), 429, "minute window full");
    }
    app.clock.advance(Duration::seconds(60));
    let third = get(&app, &key).await;
    assert_eq!(
        third.status(),
        200,
        "the refusals did not count against the hour"
    );
    assert_eq!(
        header(&third, "x-ratelimit-limit"),
        3,
        "the hour is now the tighter window"
    );
    assert_eq!(header(&third, "x-ratelimit-remaining"), 0);

    app.clock.advance(Duration::seconds(60));
    let refused = get(&app, &key).await;
    assert_eq!(header(&refused, "x-ratelimit-limit"), 3);
    assert_eq!(header(&refused, "retry-after"), 3_600 - 120);
    assert_eq!(refused.status(), 429);
    app.clock.advance(Duration::seconds(3_600 - 120));
    assert_eq!(get(&app, &key).await.status(), 200);
}

#[tokio::test]
async fn every_authenticated_request_counts_and_keys_are_independent() {
    let app = spawn_app_with(|config| {
        config.rate_limit_per_minute = 3;
        config.rate_limit_per_hour = 100;
    })
    .await;
    let user = app.create_user(Plan::Business).await;
    let (_, narrow) = app.create_key(&user, &[Scope::ProfileRead]).await;
    let (_, other) = app.create_key(&user, &[Scope::PostsRead]).await;
    // 403s and 404s count; they still carry the headers.
    let forbidden = get(&app, &narrow).await;
    assert_eq!(header(&forbidden, "x-ratelimit-remaining"), 2);
    assert_eq!(forbidden.status(), 403);
    let missing = app
        .request(Method::GET, "/api/v1/posts/post_nope", &other)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "x-ratelimit-remaining"), 2);
    get(&app, &narrow).await;
    get(&app, &narrow).await;
    assert_eq!(get(&app, &narrow).await.status(), 429);
    // The other key of the same user has its own budget.
    assert_eq!(get(&app, &other).await.status(), 200);
    // Unauthenticated requests are not counted against anyone.
    for _ in 0..5 {
        let response = app
            .client
            .get(app.url("/api/v1/posts"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
    assert_eq!(header(&get(&app, &other).await, "x-ratelimit-remaining"), 0);
}
