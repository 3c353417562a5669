//! Idempotency records in PostgreSQL, purged after their retention on the next lookup. The
//! record is claimed with one `INSERT … ON CONFLICT DO NOTHING`, so of two instances receiving
//! the same key at once exactly one runs the request.

use async_trait::async_trait;

use crate::domain::KeyId;
use crate::store::{IdempotencyBegin, IdempotencyStore, StoreResult, StoredResponse};

use super::PostgresStore;

/// Rounds of "claim, else read" before giving up: the record read can vanish in between (its
/// request failed and released it, or it expired), and then the claim is tried again.
const ATTEMPTS: usize = 3;

#[async_trait]
impl IdempotencyStore for PostgresStore {
    async fn begin_idempotent(
        &self,
        api_key_id: &KeyId,
        idem_key: &str,
        fingerprint: &str,
        now: i64,
        expired_before: i64,
    ) -> StoreResult<IdempotencyBegin> {
        let client = self.client().await?;
        let purge = client
            .prepare_cached("DELETE FROM idempotency_keys WHERE created_at < $1")
            .await?;
        client.execute(&purge, &[&expired_before]).await?;
        let claim = client
            .prepare_cached(
                "INSERT INTO idempotency_keys (api_key_id, idem_key, fingerprint, created_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (api_key_id, idem_key) DO NOTHING RETURNING 1",
            )
            .await?;
        let read = client
            .prepare_cached(
                "SELECT fingerprint, status, headers, body FROM idempotency_keys
                 WHERE api_key_id = $1 AND idem_key = $2",
            )
            .await?;
        for _ in 0..ATTEMPTS {
            let claimed = client
                .query_opt(
                    &claim,
                    &[&api_key_id.as_str(), &idem_key, &fingerprint, &now],
                )
                .await?;
            if claimed.is_some() {
                return Ok(IdempotencyBegin::Started);
            }
            let Some(row) = client
                .query_opt(&read, &[&api_key_id.as_str(), &idem_key])
                .await?
            else {
                continue;
            };
            let stored: &str = row.try_get(0)?;
            if stored != fingerprint {
                return Ok(IdempotencyBegin::Mismatch);
            }
            let Some(status) = row.try_get::<_, Option<i32>>(1)? else {
                return Ok(IdempotencyBegin::InProgress);
            };
            let headers: Option<&str> = row.try_get(2)?;
            let headers: Vec<(String, String)> =
                serde_json::from_str(headers.unwrap_or("[]")).map_err(anyhow::Error::from)?;
            let status = u16::try_from(status).map_err(anyhow::Error::from)?;
            return Ok(IdempotencyBegin::Completed(StoredResponse {
                status,
                headers,
                body: row.try_get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default(),
            }));
        }
        Err(
            anyhow::anyhow!("the Idempotency-Key record kept changing while it was looked up")
                .into(),
        )
    }

    async fn complete_idempotent(
        &self,
        api_key_id: &KeyId,
        idem_key: &str,
        response: &StoredResponse,
    ) -> StoreResult<()> {
        let headers = serde_json::to_string(&response.headers).map_err(anyhow::Error::from)?;
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "UPDATE idempotency_keys SET status = $3, headers = $4, body = $5
                 WHERE api_key_id = $1 AND idem_key = $2",
            )
            .await?;
        client
            .execute(
                &statement,
                &[
                    &api_key_id.as_str(),
                    &idem_key,
                    &i32::from(response.status),
                    &headers,
                    &response.body,
                ],
            )
            .await?;
        Ok(())
    }

    async fn release_idempotent(&self, api_key_id: &KeyId, idem_key: &str) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "DELETE FROM idempotency_keys
                 WHERE api_key_id = $1 AND idem_key = $2 AND status IS NULL",
            )
            .await?;
        client
            .execute(&statement, &[&api_key_id.as_str(), &idem_key])
            .await?;
        Ok(())
    }
}
