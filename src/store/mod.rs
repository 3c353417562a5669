//! The storage interface. Handlers see only these traits; all SQL lives in `store/`.
//!
//! One sub-trait per area (users, keys, posts, ideas, metrics, idempotency, sessions, secrets), each in
//! its own file with its records, and [`Store`], which is all of them: handlers hold an
//! `Arc<dyn Store>`. Each backend (`sqlite/`) implements the areas in a file apiece, and runs
//! the one conformance suite (`conformance.rs`) that says what every backend must do.

mod change_events;
#[cfg(test)]
pub mod conformance;
pub mod copy;
mod ideas;
mod idempotency;
mod keys;
mod metrics;
pub mod postgres;
mod posts;
pub mod publishing;
mod secrets;
mod sessions;
pub mod sqlite;
mod users;
pub mod webhooks;

use async_trait::async_trait;

pub use ideas::{Idea, IdeaPage, IdeaStore};
pub use idempotency::{IdempotencyBegin, IdempotencyStore, StoredResponse};
pub use keys::{KeyAuth, KeyRecord, KeyStore, NewKey};
pub use metrics::MetricStore;
pub use posts::{Post, PostPage, PostStore};
pub use secrets::SecretStore;
pub use sessions::{SessionRecord, SessionStore};
pub use users::{User, UserStore};

/// What a store call can fail with; each backend maps its own errors onto these.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record (for this owner).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change conflicts with what is stored (a duplicate, a concurrent change).
    #[error("{0}")]
    Conflict(String),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything a backend stores: what handlers hold, as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    UserStore
    + KeyStore
    + PostStore
    + IdeaStore
    + MetricStore
    + IdempotencyStore
    + SessionStore
    + SecretStore
    + publishing::PublishingStore
    + webhooks::WebhookStore
    + Send
    + Sync
{
    /// Whether the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// How much background work is waiting at `now`, for the metrics; a message never
    /// attempted is due `first_delay_ms` after it was queued, as the webhook worker counts.
    async fn queue_depths(&self, now: i64, first_delay_ms: i64) -> StoreResult<QueueDepths>;
}

/// The backlog of the publisher and of webhook delivery at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepths {
    /// Scheduled posts whose time has come and that no live attempt holds.
    pub due_posts: u64,
    /// Webhook events written but not yet fanned out into messages.
    pub undispatched_events: u64,
    /// Webhook messages not yet delivered or given up on, due or not.
    pub pending_messages: u64,
    /// Pending messages the worker would take now: due, unheld, of an enabled subscription
    /// whose owner's plan has API access.
    pub due_messages: u64,
}
