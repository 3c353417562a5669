//! Analytics: totals and daily series from the per-post, per-day metric rows.

use chrono::NaiveDate;
use linkedgrow::domain::analytics::Metrics;
use linkedgrow::domain::PostId;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn metrics(impressions: u64, reached: u64, reactions: u64, comments: u64, reposts: u64) -> Metrics {
    Metrics {
        impressions,
        members_reached: reached,
        reactions,
        comments,
        reposts,
    }
}

async fn record(app: &TestApp, key: &str, post: &str, on: &str, m: Metrics) {
    let user = app.user_of(key).await;
    app.store
        .record_post_metrics(&user, &PostId::from(post), day(on), m)
        .await
        .unwrap();
}

async fn get(app: &TestApp, key: &str, path: &str) -> Value {
    let response = app.as_key(key).get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn account_totals_and_daily_series() {
    let app = spawn_app().await; // today is 2026-01-05
    let key = app.full_key().await;
    app.clock.set("2026-01-01T23:59:59Z".parse().unwrap());
    let a = app.published_post(&key, "a").await;
    app.clock.set("2026-01-04T00:00:00Z".parse().unwrap());
    let b = app.published_post(&key, "b").await;
    app.clock.set("2026-01-05T09:00:00Z".parse().unwrap());
    record(&app, &key, &a, "2026-01-01", metrics(1000, 800, 30, 10, 10)).await;
    record(&app, &key, &b, "2026-01-01", metrics(500, 400, 5, 0, 0)).await;
    record(&app, &key, &a, "2026-01-03", metrics(100, 90, 1, 1, 0)).await;
    // Re-recording a day replaces it.
    record(&app, &key, &a, "2026-01-03", metrics(200, 150, 4, 2, 4)).await;
    record(&app, &key, &a, "2025-12-31", metrics(7, 7, 7, 7, 7)).await;
    // Someone else's figures never show.
    let other = app.full_key().await;
    let theirs = app.published_post(&other, "theirs").await;
    record(
        &app,
        &other,
        &theirs,
        "2026-01-02",
        metrics(9999, 1, 1, 1, 1),
    )
    .await;

    let body = get(
        &app,
        &key,
        "/api/v1/analytics?from=2026-01-01&to=2026-01-04",
    )
    .await;
    assert_eq!(body["from"], "2026-01-01");
    assert_eq!(body["to"], "2026-01-04");
    assert_eq!(
        body["totals"],
        json!({
            "impressions": 1700, "membersReached": 1350, "reactions": 39, "comments": 12,
            "reposts": 14, "engagementRate": 65.0 / 1700.0, "postsPublished": 2
        })
    );
    let daily = body["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 4, "every day, zeros included");
    assert_eq!(
        daily[0],
        json!({ "date": "2026-01-01", "impressions": 1500, "membersReached": 1200,
                "reactions": 35, "comments": 10, "reposts": 10, "engagementRate": 55.0 / 1500.0 })
    );
    assert_eq!(
        daily[1],
        json!({ "date": "2026-01-02", "impressions": 0, "membersReached": 0, "reactions": 0,
                "comments": 0, "reposts": 0, "engagementRate": 0.0 })
    );
    assert_eq!(daily[2]["impressions"], 200);
    assert_eq!(daily[2]["engagementRate"], 0.05);

    // Published posts count by their publication time (UTC days).
    let body = get(
        &app,
        &key,
        "/api/v1/analytics?from=2026-01-02&to=2026-01-04",
    )
    .await;
    assert_eq!(body["totals"]["postsPublished"], 1);
    let body = get(
        &app,
        &key,
        "/api/v1/analytics?from=2026-01-01&to=2026-01-01",
    )
    .await;
    assert_eq!(body["totals"]["postsPublished"], 1);
    let body = get(
        &app,
        &key,
        "/api/v1/analytics?from=2026-01-06&to=2026-01-07",
    )
    .await;
    assert_eq!(body["totals"]["postsPublished"], 0);
    assert_eq!(body["totals"]["engagementRate"], 0.0);

    // Default: the 30 days ending today.
    let body = get(&app, &key, "/api/v1/analytics").await;
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2025-12-07"), Some("2026-01-05"))
    );
    assert_eq!(body["daily"].as_array().unwrap().len(), 30);
    assert_eq!(body["totals"]["impressions"], 1707);
    let body = get(&app, &key, "/api/v1/analytics?to=2026-01-02").await;
    assert_eq!(body["from"], "2025-12-04");
    let body = get(&app, &key, "/api/v1/analytics?from=2026-01-04").await;
    assert_eq!(body["to"], "2026-01-05");
    // 366 days is the most.
    let body = get(
        &app,
        &key,
        "/api/v1/analytics?from=2025-01-01&to=2026-01-01",
    )
    .await;
    assert_eq!(body["daily"].as_array().unwrap().len(), 366);
}

#[tokio::test]
async fn bad_ranges_are_400() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    for (query, code) in [
        ("from=2026-01-02&to=2026-01-01", "INVALID_RANGE"),
        ("from=2024-12-31&to=2026-01-01", "INVALID_RANGE"),
        ("from=2020-01-01", "INVALID_RANGE"),
        ("to=2026-13-01", "INVALID_PARAMETER"),
        ("from=2026-02-30", "INVALID_PARAMETER"),
        ("from=2026-1-5", "INVALID_PARAMETER"),
        ("from=yesterday", "INVALID_PARAMETER"),
        ("from=", "INVALID_PARAMETER"),
        ("since=2026-01-01", "INVALID_PARAMETER"),
    ] {
        let response = app
            .send(
                Method::GET,
                &format!("/api/v1/analytics?{query}"),
                &key,
                None,
            )
            .await;
        assert_error(response, 400, code).await;
    }
}

#[tokio::test]
async fn one_posts_analytics() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    app.clock.set("2026-01-02T15:00:00Z".parse().unwrap());
    let post = app.published_post(&key, "a").await;
    let other = app.published_post(&key, "b").await;
    app.clock.set("2026-01-05T09:00:00Z".parse().unwrap());
    record(&app, &key, &post, "2026-01-02", metrics(100, 80, 3, 1, 1)).await;
    record(&app, &key, &post, "2026-01-04", metrics(300, 200, 10, 5, 0)).await;
    record(&app, &key, &other, "2026-01-04", metrics(5000, 1, 1, 1, 1)).await;

    let body = get(&app, &key, &format!("/api/v1/posts/{post}/analytics")).await;
    assert_eq!(body["postId"], post);
    assert_eq!(body["publishedAt"], "2026-01-02T15:00:00Z");
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2026-01-02"), Some("2026-01-05")),
        "from publication to today"
    );
    assert_eq!(
        body["totals"],
        json!({ "impressions": 400, "membersReached": 280, "reactions": 13, "comments": 6,
                "reposts": 1, "engagementRate": 0.05 })
    );
    assert_eq!(body["daily"].as_array().unwrap().len(), 4);
    assert_eq!(body["daily"][2]["impressions"], 300);

    let body = get(
        &app,
        &key,
        &format!("/api/v1/posts/{post}/analytics?from=2026-01-03&to=2026-01-03"),
    )
    .await;
    assert_eq!(body["totals"]["impressions"], 0);

    // Drafts have no analytics; other users' posts are not found.
    let draft = app.create_post(&key, "draft").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .send(
            Method::GET,
            &format!("/api/v1/posts/{draft}/analytics"),
            &key,
            None,
        )
        .await;
    assert_error(response, 409, "POST_NOT_PUBLISHED").await;
    let stranger = app.full_key().await;
    let response = app
        .send(
            Method::GET,
            &format!("/api/v1/posts/{post}/analytics"),
            &stranger,
            None,
        )
        .await;
    assert_error(response, 404, "NOT_FOUND").await;
    let response = app
        .send(
            Method::GET,
            &format!("/api/v1/posts/{post}/analytics?from=2026-01-06&to=2026-01-05"),
            &key,
            None,
        )
        .await;
    assert_error(response, 400, "INVALID_RANGE").await;

    // The store refuses figures for a post the user does not own.
    let stranger_id = app.user_of(&stranger).await;
    assert!(app
        .store
        .record_post_metrics(
            &stranger_id,
            &PostId::from(post.as_str()),
            day("2026-01-01"),
            Metrics::default()
        )
        .await
        .is_err());
}
