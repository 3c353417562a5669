//! API keys in PostgreSQL, stored as scope names and a hash of the secret.

use async_trait::async_trait;
use tokio_postgres::Row;

use crate::domain::{KeyId, Scope, Scopes, UserId};
use crate::store::{KeyAuth, KeyRecord, KeyStore, NewKey, StoreError, StoreResult};

use super::rows::{corrupt, finish, plan_from_sql};
use super::PostgresStore;

fn scopes_from_sql(names: &str) -> StoreResult<Scopes> {
    names
        .split(' ')
        .map(str::parse::<Scope>)
        .collect::<Result<Scopes, _>>()
        .map_err(|_| corrupt("scopes", names))
}

fn scopes_to_sql(scopes: Scopes) -> String {
    scopes.names().join(" ")
}

const KEY_COLUMNS: &str = "id, user_id, name, prefix, scopes, created_at, last_used_at, revoked_at";

fn key_from_row(row: &Row) -> StoreResult<KeyRecord> {
    Ok(KeyRecord {
        id: row.try_get(0)?,
        user_id: row.try_get(1)?,
        name: row.try_get(2)?,
        prefix: row.try_get(3)?,
        scopes: scopes_from_sql(row.try_get(4)?)?,
        created_at: row.try_get(5)?,
        last_used_at: row.try_get(6)?,
        revoked_at: row.try_get(7)?,
    })
}

#[async_trait]
impl KeyStore for PostgresStore {
    async fn insert_key(&self, key: &NewKey) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "INSERT INTO api_keys (id, user_id, name, prefix, hash, scopes, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .await?;
        client
            .execute(
                &statement,
                &[
                    &key.id.as_str(),
                    &key.user_id.as_str(),
                    &key.name,
                    &key.prefix,
                    &key.hash,
                    &scopes_to_sql(key.scopes),
                    &key.created_at,
                ],
            )
            .await?;
        Ok(())
    }

    /// Always read from the database: a revocation or plan change committed through any
    /// instance, the CLI or the web app counts from the next request on every instance.
    async fn key_for_auth(&self, hash: &str) -> StoreResult<Option<KeyAuth>> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT k.id, k.user_id, k.scopes, u.plan, k.last_used_at, k.revoked_at
                 FROM api_keys k JOIN users u ON u.id = k.user_id
                 WHERE k.hash = $1",
            )
            .await?;
        let Some(row) = client.query_opt(&statement, &[&hash]).await? else {
            return Ok(None);
        };
        Ok(Some(KeyAuth {
            key_id: row.try_get(0)?,
            user_id: row.try_get(1)?,
            scopes: scopes_from_sql(row.try_get(2)?)?,
            plan: plan_from_sql(row.try_get(3)?)?,
            last_used_at: row.try_get(4)?,
            revoked: row.try_get::<_, Option<i64>>(5)?.is_some(),
        }))
    }

    async fn touch_key(&self, key_id: &KeyId, now: i64, unless_since: i64) -> StoreResult<()> {
        // One conditional UPDATE: instances touching the same key at once write it at most
        // once per interval, and none of them reads first.
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "UPDATE api_keys SET last_used_at = $2
                 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
            )
            .await?;
        client
            .execute(&statement, &[&key_id.as_str(), &now, &unless_since])
            .await?;
        Ok(())
    }

    async fn list_keys(&self, user_id: &UserId) -> StoreResult<Vec<KeyRecord>> {
        // The id breaks ties within one millisecond (SQLite's rowid did): a stable order.
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at, seq"
            ))
            .await?;
        client
            .query(&statement, &[&user_id.as_str()])
            .await?
            .iter()
            .map(key_from_row)
            .collect()
    }

    async fn key_by_id(&self, key_id: &KeyId) -> StoreResult<KeyRecord> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1"))
            .await?;
        match client.query_opt(&statement, &[&key_id.as_str()]).await? {
            Some(row) => key_from_row(&row),
            None => Err(StoreError::NotFound("API key")),
        }
    }

    async fn revoke_key(&self, key_id: &KeyId, now: i64) -> StoreResult<KeyRecord> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            let revoke = tx
                .prepare_cached(&format!(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1
                     RETURNING {KEY_COLUMNS}"
                ))
                .await?;
            let Some(row) = tx.query_opt(&revoke, &[&key_id.as_str(), &now]).await? else {
                return Err(StoreError::NotFound("API key"));
            };
            let key = key_from_row(&row)?;
            // A dead integration must not keep receiving data: its webhooks stop with it.
            let disable = tx
                .prepare_cached(
                    "UPDATE webhooks SET disabled = TRUE, disabled_reason = 'key_revoked',
                         updated_at = $2, version = version + 1
                     WHERE created_by_key = $1 AND NOT disabled",
                )
                .await?;
            tx.execute(&disable, &[&key_id.as_str(), &now]).await?;
            Ok(key)
        }
        .await;
        finish(tx, outcome).await
    }
}
