//! Secrets the server keeps in the database, shared by every instance that uses it.

use async_trait::async_trait;

use super::StoreResult;

/// Server secrets, by name.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The secret called `name`, the same for every instance on this database: the stored one,
    /// or `fresh` (stored now) if there was none.
    async fn server_secret(&self, name: &str, fresh: &[u8], now: i64) -> StoreResult<Vec<u8>>;
}
