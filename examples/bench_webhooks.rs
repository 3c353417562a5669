//! The webhook benchmark of `scripts/bench-webhooks`: what delivering events costs the API, and
//! how fast a backlog reaches a receiver.
//!
//! `--mode request-path`: `POST /api/v1/posts` closed loop in alternating rounds with three
//! subscribed endpoints enabled and disabled (toggled in the database between rounds, so a
//! machine whose background load drifts slows both alike), while the receivers take the
//! deliveries and never answer: the worker holds its few slots per endpoint and sends nothing
//! more, so the ratio is what the outbox costs a request (the events written in its
//! transaction), and shows that receivers that hang do not slow the API.
//!
//! `--mode delivering` (a server delivering at once): the same rounds while the worker sends
//! every event to three endpoints on the same core; after each enabled round the receiver is
//! waited for until every event arrived, so the next round starts with an empty queue. Then
//! 1,000 posts created as fast as the API takes them with one endpoint subscribed: the time from
//! the first request until the receiver holds all 1,000 events.
//!
//! The server is the real binary (started by the script, pinned to its own core); the receiver
//! and the load run here.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use linkedgrow::clock::SystemClock;
use linkedgrow::config::DatabaseUrl;
use linkedgrow::domain::webhook::EventFilter;
use linkedgrow::domain::{Scope, Scopes, UserId, WebhookId};
use linkedgrow::linkedin::crypto::Key;
use linkedgrow::store::webhooks::{NewWebhook, WebhookChange};
use linkedgrow::store::Store;
use linkedgrow::webhooks::settings::WebhookConfig;
use linkedgrow::webhooks::Webhooks;
use parking_lot::Mutex;

#[derive(Debug, Parser)]
struct Args {
    /// The running server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// Its database (the benchmark subscribes and toggles endpoints there).
    #[arg(long)]
    database: PathBuf,
    /// The server's encryption key (to seal the endpoints' secrets as the server does).
    #[arg(long, env = "BENCH_ENCRYPTION_KEY", hide_env_values = true)]
    encryption_key: String,
    /// An API key with posts:write, from the environment so it stays out of `ps`.
    #[arg(long, env = "BENCH_KEY", hide_env_values = true)]
    key: String,
    /// The subscribing user's email.
    #[arg(long)]
    email: String,
    /// Keep-alive connections kept busy at once.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Seconds per round.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Rounds of each kind (with and without endpoints), alternating.
    #[arg(long, default_value_t = 4)]
    rounds: u32,
    /// Events in the backlog test.
    #[arg(long, default_value_t = 1000)]
    events: u64,
    /// What to measure.
    #[arg(long, value_enum)]
    mode: Mode,
    /// Subscribed endpoints.
    #[arg(long, default_value_t = 3)]
    endpoints: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    RequestPath,
    Delivering,
}

/// Counts deliveries per endpoint path; with `hang`, never answers them.
#[derive(Default)]
struct Counts(
    Mutex<HashMap<String, u64>>,
    AtomicU64,
    std::sync::atomic::AtomicBool,
);

impl Counts {
    fn total(&self) -> u64 {
        self.1.load(Ordering::Relaxed)
    }
    fn of(&self, path: &str) -> u64 {
        self.0.lock().get(path).copied().unwrap_or(0)
    }
}

async fn receive(State(counts): State<Arc<Counts>>, Path(path): Path<String>) -> StatusCode {
    *counts.0.lock().entry(path).or_default() += 1;
    counts.1.fetch_add(1, Ordering::Relaxed);
    if counts.2.load(Ordering::Relaxed) {
        std::future::pending::<()>().await;
    }
    StatusCode::NO_CONTENT
}

async fn start_receiver(counts: Arc<Counts>) -> anyhow::Result<String> {
    let app = Router::new()
        .route("/{path}", post(receive))
        .with_state(counts);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(base)
}

type Connection = SendRequest<Full<Bytes>>;

async fn connect(authority: &str) -> anyhow::Result<Connection> {
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .with_context(|| format!("cannot connect to {authority}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

struct Load {
    authority: String,
    auth: HeaderValue,
}

impl Load {
    async fn create(&self, conn: &mut Connection) -> anyhow::Result<()> {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/posts")
            .header(HOST, &self.authority)
            .header(AUTHORIZATION, self.auth.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from_static(b"{\"content\":\"bench\"}")))?;
        let response = conn.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            bail!(
                "POST /api/v1/posts answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(())
    }

    /// Creates posts on `connections` connections until `until` or until `limit` in all;
    /// how many were created.
    async fn run(
        self: &Arc<Self>,
        connections: usize,
        until: Instant,
        limit: u64,
    ) -> anyhow::Result<u64> {
        let done = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let mut conn = connect(&self.authority).await?;
            let (load, done) = (self.clone(), done.clone());
            tasks.push(tokio::spawn(async move {
                while Instant::now() < until && done.fetch_add(1, Ordering::Relaxed) < limit {
                    load.create(&mut conn).await?;
                }
                anyhow::Ok(())
            }));
        }
        for task in tasks {
            task.await??;
        }
        Ok(done.load(Ordering::Relaxed).min(limit))
    }
}

async fn set_enabled(
    store: &dyn Store,
    user: &UserId,
    ids: &[WebhookId],
    enabled: bool,
) -> anyhow::Result<()> {
    for id in ids {
        let hook = store.get_webhook(user, id).await?;
        let change = WebhookChange {
            url: hook.url,
            events: hook.events,
            read_scopes: hook.read_scopes,
            description: hook.description,
            disabled: !enabled,
        };
        store
            .update_webhook(user, id, hook.version, &change, now_ms())
            .await?;
    }
    Ok(())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Waits until the receiver's total reaches `n`; how long it took.
async fn drained(counts: &Counts, n: u64) -> anyhow::Result<Duration> {
    let start = Instant::now();
    while counts.total() < n {
        if start.elapsed() > Duration::from_secs(300) {
            bail!("only {} of {n} deliveries after 5 minutes", counts.total());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(start.elapsed())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let counts = Arc::new(Counts::default());
    counts
        .2
        .store(args.mode == Mode::RequestPath, Ordering::Relaxed);
    let receiver = start_receiver(counts.clone()).await?;
    let store = linkedgrow::open_store(&DatabaseUrl::Sqlite(args.database.clone())).await?;
    let user = store.user_by_email(&args.email).await?.id;
    let sealer = Webhooks::new(
        store.clone(),
        Arc::new(SystemClock),
        Key::from_base64(&args.encryption_key).map_err(anyhow::Error::msg)?,
        &WebhookConfig::default(),
    );
    let reads: Scopes = [Scope::PostsRead].into_iter().collect();
    for old in store.list_webhooks(&user, reads, 100, 0).await?.webhooks {
        store.delete_webhook(&user, &old.id, None).await?;
    }
    let delivering = args.mode == Mode::Delivering;
    let mut ids = Vec::new();
    for n in 0..args.endpoints {
        let path = format!("e{n}");
        let id = WebhookId::generate();
        let (_, sealed) = sealer.new_secret(&id);
        store
            .insert_webhook(
                &NewWebhook {
                    id: id.clone(),
                    user_id: user.clone(),
                    created_by_key: None,
                    url: format!("{receiver}/{path}"),
                    events: EventFilter::All,
                    read_scopes: reads,
                    description: Some(format!("bench {path}")),
                    secret_sealed: sealed,
                },
                now_ms(),
            )
            .await?;
        ids.push(id);
    }
    let load = Arc::new(Load {
        authority: args
            .url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned(),
        auth: HeaderValue::from_str(&format!("Bearer {}", args.key))?,
    });

    // 1. The cost of three endpoints, in alternating rounds.
    let (mut off, mut on) = ((0u64, 0f64), (0u64, 0f64));
    let mut expected = 0;
    let mut drain_time = Duration::ZERO;
    for round in 0..args.rounds * 2 {
        let enabled = round % 2 == 1;
        set_enabled(store.as_ref(), &user, &ids, enabled).await?;
        let start = Instant::now();
        let until = start + Duration::from_secs_f64(args.seconds);
        let created = load.run(args.connections, until, u64::MAX).await?;
        let elapsed = start.elapsed().as_secs_f64();
        if enabled {
            on = (on.0 + created, on.1 + elapsed);
            expected += args.endpoints * created;
            if delivering {
                drain_time += drained(&counts, expected).await?;
            }
        } else {
            off = (off.0 + created, off.1 + elapsed);
        }
    }
    let (rate_off, rate_on) = (off.0 as f64 / off.1, on.0 as f64 / on.1);
    let what = if delivering {
        "delivered at once"
    } else {
        "queued, unanswered"
    };
    println!("POST /api/v1/posts without webhooks:                      {rate_off:8.0} req/s");
    println!(
        "POST /api/v1/posts, {} endpoints, events {what:>17}: {rate_on:8.0} req/s  ratio {:.3}",
        args.endpoints,
        rate_on / rate_off
    );
    if !delivering {
        return Ok(());
    }
    println!(
        "{expected} deliveries; after the rounds, the rest of each round's queue drained in {:.2} s in all",
        drain_time.as_secs_f64()
    );

    // 2. A backlog of 1,000 events to one endpoint.
    set_enabled(store.as_ref(), &user, &ids[1..], false).await?;
    let before = counts.of("e0");
    let start = Instant::now();
    load.run(
        args.connections,
        start + Duration::from_secs(600),
        args.events,
    )
    .await?;
    let created_in = start.elapsed();
    while counts.of("e0") < before + args.events {
        if start.elapsed() > Duration::from_secs(300) {
            bail!(
                "only {} of {} events arrived",
                counts.of("e0") - before,
                args.events
            );
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    println!(
        "{} events: created in {:.2} s, all at the receiver {:.2} s after the first request",
        args.events,
        created_in.as_secs_f64(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
