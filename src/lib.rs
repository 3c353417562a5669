//! The LinkedGrow API server: posts managed through named, scoped, revocable API keys.

pub mod admin;
pub mod api;
pub mod clock;
pub mod config;
pub mod domain;
pub mod hand_back;
mod http;
pub mod keys;
pub mod limits;
pub mod linkedin;
pub mod mcp;
pub mod password;
pub mod publisher;
pub mod rate_limit;
pub mod server;
pub mod shared;
pub mod store;
pub mod telemetry;
pub mod web;
pub mod webhooks;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::{Config, ConnectionLimits, DatabaseUrl};
use crate::rate_limit::{InProcessLimiter, RateLimiter, RedisLimiter};
use crate::shared::Redis;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::store::Store;

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Where the data lives.
    pub store: Arc<dyn Store>,
    /// The source of "now".
    pub clock: Arc<dyn Clock>,
    /// The per-key rate limiter.
    pub limiter: Arc<dyn RateLimiter>,
    /// Redis, when instances share state through it (`LINKEDGROW_REDIS_URL`); readiness
    /// depends on it then.
    pub redis: Option<Redis>,
    /// What the web app keeps in memory (sign-in throttling) and how it reads requests.
    pub web: web::WebState,
    /// How long clients may take and how many may be connected; [`serve`] keeps them.
    pub connections: ConnectionLimits,
    /// Sends posts to LinkedIn; its loops run only where `serve` starts them.
    pub publisher: Arc<publisher::Publisher>,
    /// Delivers webhook events; its loop runs only where `serve` starts it.
    pub webhooks: Arc<webhooks::Webhooks>,
    /// The `Host` values `/mcp` answers to (the public URL's host and loopback).
    pub mcp_hosts: Vec<String>,
    /// Where `GET /metrics` answers, when the configuration asks for metrics (the bound
    /// address, so a port of 0 shows the one picked).
    pub metrics_address: Option<std::net::SocketAddr>,
}

impl AppState {
    /// The production state for `config`, with the given clock.
    pub async fn from_config(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        config.validate()?;
        // First, so that the store's first calls are timed too.
        let metrics_address = match config.metrics_listen {
            Some(address) => Some(telemetry::start(address).await?),
            None => None,
        };
        let mut store = open_store(&config.database).await?;
        if metrics_address.is_some() {
            store = telemetry::MeteredStore::wrap(store, config.database.backend());
        }
        let publisher = publisher::Publisher::from_config(
            store.clone(),
            clock.clone(),
            &config.publishing,
            config.database.key_file().as_deref(),
            &format!("http://{}", config.listen),
        )?;
        let mut fresh = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut fresh);
        let now = clock.now().timestamp_millis();
        let secret = store
            .server_secret(web::form_tokens::SECRET_NAME, &fresh, now)
            .await
            .context("cannot read the server secret from the database")?;
        let webhooks = webhooks::Webhooks::new(
            store.clone(),
            clock.clone(),
            publisher.key().clone(),
            &config.webhooks,
        );
        let redis = config.redis_url.as_ref().map(Redis::open).transpose()?;
        let (per_minute, per_hour) = (config.rate_limit_per_minute, config.rate_limit_per_hour);
        let limiter: Arc<dyn RateLimiter> = match &redis {
            Some(redis) => Arc::new(RedisLimiter::new(redis.clone(), per_minute, per_hour)),
            None => Arc::new(InProcessLimiter::new(per_minute, per_hour)),
        };
        let form_tokens = web::form_tokens::FormTokens::new(secret);
        let web = match &redis {
            Some(redis) => web::WebState::shared(config.trust_proxy, form_tokens, redis.clone()),
            None => web::WebState::new(config.trust_proxy, form_tokens),
        };
        Ok(Self {
            mcp_hosts: mcp::allowed_hosts(config.publishing.public_url.as_deref()),
            metrics_address,
            publisher,
            webhooks,
            store,
            clock,
            limiter,
            redis,
            web,
            connections: config.connections,
        })
    }
}

/// Opens the store the URL names, applying migrations.
pub async fn open_store(url: &DatabaseUrl) -> anyhow::Result<Arc<dyn Store>> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            Ok(Arc::new(SqliteStore::open(path, api::events::payloads())?))
        }
        DatabaseUrl::Postgres(url) => Ok(Arc::new(
            PostgresStore::open(url, api::events::payloads()).await?,
        )),
    }
}

/// Opens the store the URL names for an admin command, which never creates one: a new, empty
/// database in the wrong place would only answer "no such user" about the accounts in the
/// right one.
pub async fn open_existing_store(url: &DatabaseUrl) -> anyhow::Result<Arc<dyn Store>> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            if !path.exists() {
                anyhow::bail!(
                    "no database at {}; point at yours with --database-url sqlite://PATH \
                     (or LINKEDGROW_DATABASE_URL), or create one with `linkedgrow migrate`",
                    url.location()
                );
            }
            open_store(url).await
        }
        DatabaseUrl::Postgres(url) => Ok(Arc::new(
            PostgresStore::open_existing(url, api::events::payloads()).await?,
        )),
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .nest("/api/v1", api::routes(state.clone()))
        .merge(mcp::routes(state.clone(), state.mcp_hosts.clone()))
        .route("/healthz", get(api::health::healthz))
        .route("/readyz", get(api::health::readyz))
        .merge(api::docs::router())
        .merge(web::routes())
        .fallback(http::fallback);
    let common = http::with_common_layers(router, state.connections.body_timeout);
    let mut app = web::with_security_headers(common);
    // Outermost, so it sees every response's final status; absent unless metrics are on.
    if state.metrics_address.is_some() {
        app = app.layer(axum::middleware::from_fn(telemetry::record_request));
    }
    app.with_state(state)
}

/// Serves `state` on `listener` until `shutdown` completes, then lets in-flight requests finish
/// for at most the configured shutdown timeout.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.connections;
    server::serve(listener, app(state), limits, shutdown).await;
    Ok(())
}
