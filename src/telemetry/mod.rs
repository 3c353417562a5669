//! Prometheus metrics, served on a listener of their own (`LINKEDGROW_METRICS_LISTEN`), never
//! on the public port: the series' names, the request middleware that records them, the timed
//! store (`store.rs`), the queue gauges (`queues.rs`), the exporter.

mod queues;
mod store;

pub use queues::{refresh_queue_depths, watch_queues, QUEUES_EVERY};
pub use store::MeteredStore;

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

/// Requests answered, by `method`, `route` (the template, such as `/api/v1/posts/{id}`) and
/// `status`.
pub const HTTP_REQUESTS: &str = "linkedgrow_http_requests_total";
/// Seconds from a request's arrival to its response's head, by `method` and `route`.
pub const HTTP_DURATION: &str = "linkedgrow_http_request_duration_seconds";
/// The per-key rate limiter's decisions, by `decision` (`allowed`, `refused`, or
/// `unavailable` when Redis did not answer and the request was refused with 503).
pub const RATE_LIMIT_DECISIONS: &str = "linkedgrow_rate_limit_decisions_total";
/// Webhook delivery attempts, by `outcome` (`delivered`, `retry` or `gave_up`).
pub const WEBHOOK_DELIVERIES: &str = "linkedgrow_webhook_deliveries_total";
/// Publishing attempts, by `outcome` (`published`, `failed`, `retrying`, `claim_lost` or
/// `error`, when the attempt broke off).
pub const PUBLISH_ATTEMPTS: &str = "linkedgrow_publish_attempts_total";
/// Seconds a store call took, by `operation` (the store method, such as `key_for_auth`),
/// `backend` (`sqlite` or `postgres`) and `outcome` (`ok`, `not_found`, `conflict` or `error`).
pub const STORE_DURATION: &str = "linkedgrow_store_duration_seconds";
/// Scheduled posts whose time has come and that no live attempt holds: waiting to be sent.
pub const PUBLISHER_DUE_POSTS: &str = "linkedgrow_publisher_due_posts";
/// Webhook events written but not yet fanned out into messages by a worker.
pub const WEBHOOK_UNDISPATCHED_EVENTS: &str = "linkedgrow_webhook_undispatched_events";
/// Webhook messages not yet delivered or given up on, due or not.
pub const WEBHOOK_PENDING_MESSAGES: &str = "linkedgrow_webhook_pending_messages";
/// Pending webhook messages a worker would take now (due, unheld, of an enabled subscription).
pub const WEBHOOK_DUE_MESSAGES: &str = "linkedgrow_webhook_due_messages";

/// The `route` of requests no route matched: one label for every unknown path, so scanners
/// cannot grow the set of series.
const UNMATCHED: &str = "unmatched";

/// Latency buckets in seconds: a point read takes well under a millisecond, a LinkedIn call
/// made while the client waits can take seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Store buckets in seconds: most calls are point reads and small writes well under a
/// millisecond; a second means the database is in trouble.
const STORE_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// How often histogram samples are folded into their buckets between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's recorder, installed the first time any server asks for metrics: a recorder
/// is global to the process, and tests run many servers in one.
fn recorder() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), &BUCKETS)
                .and_then(|builder| {
                    builder.set_buckets_for_metric(
                        Matcher::Full(STORE_DURATION.into()),
                        &STORE_BUCKETS,
                    )
                })
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|err| err.to_string())
        })
        .clone()
        .map_err(|err| anyhow::anyhow!("cannot record metrics: {err}"))
}

/// Installs the recorder and serves `GET /metrics` on `address`, in the background; the
/// address it bound (a port of 0 picks a free one).
pub async fn start(address: SocketAddr) -> anyhow::Result<SocketAddr> {
    let handle = recorder()?;
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen for metrics on {address}"))?;
    let bound = listener.local_addr()?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let router = Router::new().route(
        "/metrics",
        get(move || async move {
            (
                [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                handle.render(),
            )
                .into_response()
        }),
    );
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            tracing::error!(error = %err, "the metrics listener stopped");
        }
    });
    Ok(bound)
}

/// Counts each request and times it, labelled by its route's template, never the raw path
/// (ids would make a series per post).
pub async fn record_request(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(HTTP_DURATION, "method" => method.clone(), "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!(HTTP_REQUESTS, "method" => method, "route" => route, "status" => status)
        .increment(1);
    response
}
