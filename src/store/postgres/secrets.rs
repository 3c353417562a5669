//! Server secrets in PostgreSQL: the first instance to store one wins, every instance uses it.

use async_trait::async_trait;

use crate::store::{SecretStore, StoreResult};

use super::PostgresStore;

#[async_trait]
impl SecretStore for PostgresStore {
    async fn server_secret(&self, name: &str, fresh: &[u8], now: i64) -> StoreResult<Vec<u8>> {
        let client = self.client().await?;
        // Instances starting together on a new database: the first insert wins (a racing one
        // waits for it to commit, then does nothing), and every one of them reads the winner.
        let insert = client
            .prepare_cached(
                "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO NOTHING",
            )
            .await?;
        client.execute(&insert, &[&name, &fresh, &now]).await?;
        let read = client
            .prepare_cached("SELECT value FROM server_secrets WHERE name = $1")
            .await?;
        Ok(client.query_one(&read, &[&name]).await?.try_get(0)?)
    }
}
