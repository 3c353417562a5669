//! Input built to break parsing: undecodable paths and numbers past every integer type get a
//! clear 400 (the envelope on the API, a page on the web) or a sensible page, never a 500.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{assert_error, spawn_app};
use crate::web_client::signed_in;
use linkedgrow::domain::Plan;

/// Numbers at and past the edges of i64, u64 and beyond, and things that only look like numbers.
const NUMBERS: &[&str] = &[
    "461168601842738792",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "-1",
    "-9223372036854775808",
    "1e3",
    "0x10",
    "",
];

/// Asserts a 2xx, or a 400 with the envelope; never a 500.
async fn assert_ok_or_envelope(response: reqwest::Response, what: &str) {
    let status = response.status().as_u16();
    assert!(status == 200 || status == 400, "{what}: {status}");
    if status == 400 {
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{what}"
        );
        let body: Value = response.json().await.unwrap();
        let code = body["error"]["code"].as_str().unwrap_or_default();
        assert!(
            ["INVALID_PARAMETER", "INVALID_RANGE"].contains(&code),
            "{what}: {body}"
        );
    }
}

#[tokio::test]
async fn an_undecodable_id_in_the_path_gets_the_envelope() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let cases = [
        (Method::GET, "/api/v1/posts/%ff"),
        (Method::PUT, "/api/v1/posts/%ff"),
        (Method::DELETE, "/api/v1/posts/%ff"),
        (Method::GET, "/api/v1/posts/%ff/analytics"),
        (Method::GET, "/api/v1/ideas/%ff"),
        (Method::PUT, "/api/v1/ideas/%ff"),
        (Method::DELETE, "/api/v1/ideas/%ff"),
        (Method::POST, "/api/v1/ideas/%ff/convert"),
        (Method::GET, "/api/v1/posts/%c3%28"),
    ];
    for (method, path) in cases {
        let response = app
            .request(method.clone(), path, &key)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let message = assert_error(response, 400, "INVALID_PATH").await;
        assert!(message.contains("UTF-8"), "{method} {path}: {message}");
    }
}

#[tokio::test]
async fn an_undecodable_id_on_a_web_page_gets_a_page() {
    let app = spawn_app().await;
    let (web, _) = signed_in(&app, Plan::Business).await;
    for path in [
        "/posts/%ff",
        "/posts/%ff/delete",
        "/settings/api/%ff/revoke",
    ] {
        let response = web.get(path).await;
        assert_eq!(response.status(), 400, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
    }
}

#[tokio::test]
async fn list_parameters_past_every_integer_type_are_a_400_or_a_page() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    app.create_post(&key, "one").await;
    for resource in ["posts", "ideas"] {
        for number in NUMBERS {
            for name in ["limit", "offset"] {
                let path = format!("/api/v1/{resource}?{name}={number}");
                let response = app.request(Method::GET, &path, &key).send().await.unwrap();
                assert_ok_or_envelope(response, &path).await;
            }
        }
    }
}

#[tokio::test]
async fn analytics_dates_at_the_ends_of_the_calendar_are_a_400_or_figures() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    let post = app.published_post(&key, "measured").await;
    let days = [
        "+262143-12-31",
        "262143-12-31",
        "-262144-01-01",
        "-0001-01-01",
        "0000-01-01",
        "9999-12-31",
        "10000-01-01",
        "99999999999-01-01",
        "2026-02-30",
    ];
    for day in days {
        for query in [
            format!("to={day}"),
            format!("from={day}"),
            format!("from={day}&to={day}"),
        ] {
            for path in [
                format!("/api/v1/analytics?{query}"),
                format!("/api/v1/posts/{post}/analytics?{query}"),
            ] {
                let response = app.request(Method::GET, &path, &key).send().await.unwrap();
                assert_ok_or_envelope(response, &path).await;
            }
        }
    }
}

#[tokio::test]
async fn a_web_page_number_past_every_integer_type_shows_a_page() {
    let app = spawn_app().await;
    let (web, _) = signed_in(&app, Plan::Business).await;
    for number in NUMBERS {
        let path = format!("/posts?page={number}");
        let response = web.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
    }
}
