//! Prometheus metrics: only on their own listener, labelled by route template, never by path.

use std::io::BufRead;
use std::process::Stdio;

use linkedgrow::domain::webhook::EventFilter;
use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with};
use crate::webhook_receiver::{Answer, Receiver};
use crate::webhooks_delivery::{owner, subscribe, wait_until_recorded};

/// The value of the unlabelled series `name` (a gauge).
async fn gauge(address: std::net::SocketAddr, name: &str) -> f64 {
    let lines = series(address, &format!("{name} ")).await;
    let [line] = lines.as_slice() else {
        panic!("one line for {name}: {lines:#?}");
    };
    line[name.len()..].trim().parse().unwrap()
}

/// The lines of the metrics listener's `/metrics` that name `series`.
async fn series(address: std::net::SocketAddr, name: &str) -> Vec<String> {
    let response = reqwest::get(format!("http://{address}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    text.lines()
        .filter(|line| line.starts_with(name))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn requests_are_counted_by_route_template_on_the_metrics_listener_only() {
    let app =
        spawn_app_with(|config| config.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let metrics = app.metrics_address.expect("a metrics listener");
    assert_ne!(metrics.port(), 0, "the bound port, not the one asked for");
    let key = app.full_key().await;
    let id = app.create_post(&key, "Counted").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = app.as_key(&key);
    assert_eq!(
        client.get(&format!("/api/v1/posts/{id}")).await.status(),
        200
    );
    assert_eq!(
        client.get("/api/v1/posts/post_nosuchpost").await.status(),
        404
    );
    assert_eq!(client.get("/api/v1/no-such-thing/42").await.status(), 404);

    let requests = series(metrics, "linkedgrow_http_requests_total").await;
    let counted = |status: &str| {
        requests.iter().any(|line| {
            line.contains(r#"route="/api/v1/posts/{id}""#)
                && line.contains(&format!(r#"status="{status}""#))
                && line.contains(r#"method="GET""#)
        })
    };
    assert!(counted("200"), "{requests:#?}");
    assert!(counted("404"), "{requests:#?}");
    assert!(
        requests
            .iter()
            .any(|line| line.contains(r#"route="unmatched""#) && line.contains(r#"status="404""#)),
        "paths no route matches share one label: {requests:#?}"
    );
    assert!(
        requests.iter().all(|line| !line.contains(&id)
            && !line.contains("post_nosuchpost")
            && !line.contains("no-such-thing")),
        "raw ids never become labels: {requests:#?}"
    );
    let durations = series(metrics, "linkedgrow_http_request_duration_seconds_bucket").await;
    assert!(
        durations
            .iter()
            .any(|line| line.contains(r#"route="/api/v1/posts/{id}""#)),
        "{durations:#?}"
    );
    let decisions = series(metrics, "linkedgrow_rate_limit_decisions_total").await;
    assert!(
        decisions
            .iter()
            .any(|line| line.contains(r#"decision="allowed""#)),
        "{decisions:#?}"
    );

    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404, "never on the public port");
}

#[tokio::test]
async fn without_the_setting_there_is_no_metrics_listener() {
    let app = spawn_app().await;
    assert_eq!(app.metrics_address, None);
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
}

#[tokio::test]
async fn json_logs_keep_the_request_id_in_the_request_line() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", dir.path().join("linkedgrow.db").display());
    let (mut child, address) = crate::cli::serve_command(
        &database_url,
        &["--log-format", "json"],
        Stdio::piped(),
        |command| {
            command.env("RUST_LOG", "info");
        },
    );
    let response = reqwest::Client::new()
        .get(format!("{address}/healthz"))
        .header("x-request-id", "req-json-log")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The server writes the line before it answers, so it is in the pipe by now; stopping the
    // server first means reading to the end cannot wait for lines that never come.
    child.kill().unwrap();
    child.wait().unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    // Every line is JSON; the one about the request carries its id.
    let mut found = None;
    for line in stderr.lines() {
        let line = line.unwrap();
        let parsed: Value =
            serde_json::from_str(&line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"));
        if parsed["span"]["request_id"] == "req-json-log" {
            found = Some(parsed);
        }
    }
    let line = found.expect("a log line for the request");
    assert_eq!(line["span"]["path"], "/healthz", "{line}");
}

#[tokio::test]
async fn webhook_deliveries_are_counted_by_outcome() {
    let app = spawn_app_with(|config| {
        config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
        config.webhooks.allow_private = true;
        config.webhooks.retry_schedule = "0,1".parse().unwrap();
    })
    .await;
    // Receivers check `webhook-timestamp` against their own clock.
    app.clock.set(chrono::Utc::now());
    tokio::spawn(app.webhooks.clone().run(std::future::pending()));
    let receiver = Receiver::start().await;
    receiver.answer_next([Answer::Status(500)]);
    let (user, key) = owner(&app).await;
    let (webhook, _) = subscribe(&app, &user, receiver.url(), EventFilter::All).await;
    app.create_post(&key, "counted delivery").await;
    wait_until_recorded(&app, &user, &webhook, 1).await;
    app.clock.advance(chrono::Duration::seconds(1));
    wait_until_recorded(&app, &user, &webhook, 2).await;

    let metrics = app.metrics_address.unwrap();
    let deliveries = series(metrics, "linkedgrow_webhook_deliveries_total").await;
    for outcome in ["retry", "delivered"] {
        assert!(
            deliveries
                .iter()
                .any(|line| line.contains(&format!(r#"outcome="{outcome}""#))),
            "{outcome}: {deliveries:#?}"
        );
    }
}

#[tokio::test]
async fn store_calls_are_timed_by_operation_and_backend() {
    let app =
        spawn_app_with(|config| config.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let key = app.full_key().await;
    app.create_post(&key, "Timed").await;
    assert_eq!(
        app.as_key(&key)
            .get("/api/v1/posts/post_nosuchpost")
            .await
            .status(),
        404
    );

    let metrics = app.metrics_address.unwrap();
    let calls = series(metrics, "linkedgrow_store_duration_seconds_count").await;
    let timed = |operation: &str, outcome: &str| {
        calls.iter().any(|line| {
            line.contains(&format!(r#"operation="{operation}""#))
                && line.contains(r#"backend="sqlite""#)
                && line.contains(&format!(r#"outcome="{outcome}""#))
        })
    };
    assert!(timed("key_for_auth", "ok"), "{calls:#?}");
    assert!(timed("insert_post", "ok"), "{calls:#?}");
    assert!(
        timed("get_post", "not_found"),
        "a missing record is an outcome of its own: {calls:#?}"
    );
    let buckets = series(metrics, "linkedgrow_store_duration_seconds_bucket").await;
    assert!(
        buckets
            .iter()
            .any(|line| line.contains(r#"operation="key_for_auth""#)
                && line.contains(r#"le="0.0001""#)),
        "histogram buckets, not a summary: {buckets:#?}"
    );
}

/// The only test that sets the queue gauges: the recorder, and so each gauge, is shared by
/// every server in this process.
#[tokio::test]
async fn queue_gauges_show_due_posts_and_pending_webhook_messages() {
    let app = spawn_app_with(|config| {
        config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
        config.webhooks.retry_schedule = "60,60".parse().unwrap();
    })
    .await;
    let metrics = app.metrics_address.unwrap();
    let (user, key) = owner(&app).await;
    subscribe(&app, &user, "https://example.com/hook", EventFilter::All).await;
    let body = serde_json::json!({
        "content": "Due soon",
        "status": "scheduled",
        "scheduledAt": "2026-01-05T09:30:00Z",
    });
    let created = app.as_key(&key).post_json("/api/v1/posts", &body).await;
    assert_eq!(created.status(), 201);
    // A worker's round fans the post's two events (created, scheduled) out into messages; the
    // first attempt waits a minute, so it sends nothing yet.
    assert_eq!(app.webhooks.tick().await.unwrap(), 0);
    let refresh = || {
        linkedgrow::telemetry::refresh_queue_depths(
            app.store.as_ref(),
            app.now_ms(),
            app.webhooks.first_delay_ms(),
        )
    };

    refresh().await.unwrap();
    assert_eq!(gauge(metrics, "linkedgrow_publisher_due_posts").await, 0.0);
    assert_eq!(
        gauge(metrics, "linkedgrow_webhook_pending_messages").await,
        2.0
    );
    assert_eq!(gauge(metrics, "linkedgrow_webhook_due_messages").await, 0.0);
    assert_eq!(
        gauge(metrics, "linkedgrow_webhook_undispatched_events").await,
        0.0
    );

    // Past the post's time and the first attempt's delay, with no worker running.
    app.clock.advance(chrono::Duration::minutes(31));
    refresh().await.unwrap();
    assert_eq!(gauge(metrics, "linkedgrow_publisher_due_posts").await, 1.0);
    assert_eq!(
        gauge(metrics, "linkedgrow_webhook_pending_messages").await,
        2.0
    );
    assert_eq!(gauge(metrics, "linkedgrow_webhook_due_messages").await, 2.0);

    // A change the worker has not seen yet waits in the outbox.
    app.create_post(&key, "Another").await;
    refresh().await.unwrap();
    assert_eq!(
        gauge(metrics, "linkedgrow_webhook_undispatched_events").await,
        1.0
    );
}
