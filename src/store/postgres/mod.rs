//! The PostgreSQL store, for several instances sharing one database: a pool of connections
//! (deadpool-postgres over tokio-postgres), statements prepared once per connection, and the
//! same tables as the SQLite store (`migrations/postgres/`). Work several instances share (due
//! posts, webhook messages) is claimed with leases and `FOR UPDATE SKIP LOCKED`, so that no two
//! instances do the same work and a dead instance's work is taken up when its lease ends.

mod events;
mod ideas;
mod idempotency;
mod keys;
mod metrics;
mod migrate;
mod posts;
mod publishing;
mod publishing_rows;
mod queues;
mod rows;
mod secrets;
mod sessions;
mod users;
mod webhook_queue;
mod webhook_rows;
mod webhooks;

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

use crate::store::webhooks::EventPayloads;
use crate::store::{QueueDepths, Store, StoreError, StoreResult};

/// Connections each instance keeps at most.
const POOL_SIZE: usize = 16;

/// The PostgreSQL implementation of [`Store`].
pub struct PostgresStore {
    pool: Pool,
    /// How events render the records they carry (the API's shapes).
    payloads: Arc<dyn EventPayloads>,
}

impl PostgresStore {
    /// Connects to the database `url` names and applies the migrations it lacks (what `serve`
    /// and `migrate` do); the events its changes emit describe records with `payloads`.
    pub async fn open(url: &str, payloads: Arc<dyn EventPayloads>) -> anyhow::Result<Self> {
        let store = Self::connect(url, payloads)?;
        let mut client = store.pool.get().await.map_err(unreachable(url))?;
        migrate::run(&mut client).await?;
        drop(client);
        Ok(store)
    }

    /// Connects to a database that `serve` (or `migrate`) has already set up, as the admin
    /// commands do: they never create a schema, which in the wrong database would only answer
    /// "no such user" about the accounts in the right one.
    pub async fn open_existing(
        url: &str,
        payloads: Arc<dyn EventPayloads>,
    ) -> anyhow::Result<Self> {
        let store = Self::connect(url, payloads)?;
        let client = store.pool.get().await.map_err(unreachable(url))?;
        match migrate::applied_version(&client).await? {
            Some(version) if version >= migrate::latest() => {}
            Some(_) => anyhow::bail!(
                "the PostgreSQL database at {} has an older schema; start `linkedgrow serve` \
                 (or run `linkedgrow migrate`) against it first",
                redacted(url)
            ),
            None => anyhow::bail!(
                "no LinkedGrow schema in the PostgreSQL database at {}; start `linkedgrow serve` \
                 (or run `linkedgrow migrate`) against it first",
                redacted(url)
            ),
        }
        drop(client);
        Ok(store)
    }

    fn connect(url: &str, payloads: Arc<dyn EventPayloads>) -> anyhow::Result<Self> {
        let config: tokio_postgres::Config = url
            .parse()
            .with_context(|| format!("cannot read the PostgreSQL URL {}", redacted(url)))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .context("cannot build the PostgreSQL connection pool")?;
        Ok(Self { pool, payloads })
    }

    /// A connection from the pool.
    async fn client(&self) -> StoreResult<Object> {
        Ok(self.pool.get().await?)
    }
}

fn unreachable(url: &str) -> impl FnOnce(PoolError) -> anyhow::Error + '_ {
    move |err| anyhow::anyhow!("cannot connect to PostgreSQL at {}: {err}", redacted(url))
}

use crate::config::redact_password as redacted;

/// Whether an error is a unique (or primary key) violation.
fn is_unique_violation(err: &tokio_postgres::Error) -> bool {
    err.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(err: tokio_postgres::Error) -> Self {
        StoreError::Other(err.into())
    }
}

impl From<PoolError> for StoreError {
    fn from(err: PoolError) -> Self {
        StoreError::Other(err.into())
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> StoreResult<()> {
        self.client().await?.simple_query("SELECT 1").await?;
        Ok(())
    }

    async fn queue_depths(&self, now: i64, first_delay_ms: i64) -> StoreResult<QueueDepths> {
        self.depths(now, first_delay_ms).await
    }
}

#[cfg(test)]
mod outbox_tests;
#[cfg(test)]
mod tests;
