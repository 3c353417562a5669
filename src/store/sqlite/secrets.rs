//! Server secrets in SQLite: the first instance to store one wins.

use async_trait::async_trait;
use rusqlite::params;

use crate::store::{SecretStore, StoreResult};

use super::SqliteStore;

#[async_trait]
impl SecretStore for SqliteStore {
    async fn server_secret(&self, name: &str, fresh: &[u8], now: i64) -> StoreResult<Vec<u8>> {
        self.write(|conn| {
            // Instances starting together on a new database: the first insert wins, and every
            // one of them reads the winner.
            conn.prepare_cached(
                "INSERT INTO server_secrets (name, value, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO NOTHING",
            )?
            .execute(params![name, fresh, now])?;
            conn.prepare_cached("SELECT value FROM server_secrets WHERE name = ?1")?
                .query_row([name], |row| row.get(0))
        })
    }
}
