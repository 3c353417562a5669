//! The LinkedGrow API server: posts managed through named, scoped, revocable API keys.

pub mod admin;
pub mod api;
pub mod auth;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
mod http;
pub mod linkedin;
pub mod password;
pub mod rate_limit;
pub mod store;
pub mod web;

use std::future::Future;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::{Config, DatabaseUrl};
use crate::rate_limit::{InProcessLimiter, RateLimiter};
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
    /// What the web app keeps in memory (sign-in throttling) and how it reads requests.
    pub web: web::WebState,
}

impl AppState {
    /// The production state for `config`, with the given clock.
    pub fn from_config(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        config.validate()?;
        Ok(Self {
            store: open_store(&config.database)?,
            clock,
            limiter: Arc::new(InProcessLimiter::new(
                config.rate_limit_per_minute,
                config.rate_limit_per_hour,
            )),
            web: web::WebState::new(config.trust_proxy),
        })
    }
}

/// Opens the store the URL names, applying migrations.
pub fn open_store(url: &DatabaseUrl) -> anyhow::Result<Arc<dyn Store>> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path)?)),
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .nest("/api/v1", api::routes(state.clone()))
        .route("/healthz", get(api::health::healthz))
        .route("/readyz", get(api::health::readyz))
        .merge(api::docs::router())
        .merge(web::routes())
        .fallback(web::not_found);
    web::with_security_headers(http::with_common_layers(router)).with_state(state)
}

/// Serves `state` on `listener` until `shutdown` completes, letting in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address feeds the web app's per-client sign-in throttling.
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}
