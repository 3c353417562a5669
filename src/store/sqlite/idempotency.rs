//! Idempotency records in SQLite, purged after their retention on the next lookup.

use async_trait::async_trait;

use crate::domain::KeyId;
use rusqlite::{params, OptionalExtension};

use crate::store::{IdempotencyBegin, IdempotencyStore, StoreResult, StoredResponse};

use super::SqliteStore;

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn begin_idempotent(
        &self,
        api_key_id: &KeyId,
        idem_key: &str,
        fingerprint: &str,
        now: i64,
        expired_before: i64,
    ) -> StoreResult<IdempotencyBegin> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        tx.prepare_cached("DELETE FROM idempotency_keys WHERE created_at < ?1")?
            .execute([expired_before])?;
        let found = tx
            .prepare_cached(
                "SELECT fingerprint, status, headers, body FROM idempotency_keys
                 WHERE api_key_id = ?1 AND idem_key = ?2",
            )?
            .query_row(params![api_key_id, idem_key], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<u16>>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, Option<Vec<u8>>>(3)?,
                ))
            })
            .optional()?;
        let outcome = match found {
            None => {
                tx.prepare_cached(
                    "INSERT INTO idempotency_keys (api_key_id, idem_key, fingerprint, created_at)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![api_key_id, idem_key, fingerprint, now])?;
                IdempotencyBegin::Started
            }
            Some((stored, _, _, _)) if stored != fingerprint => IdempotencyBegin::Mismatch,
            Some((_, None, _, _)) => IdempotencyBegin::InProgress,
            Some((_, Some(status), headers, body)) => {
                let headers: Vec<(String, String)> =
                    serde_json::from_str(headers.as_deref().unwrap_or("[]"))
                        .map_err(anyhow::Error::from)?;
                IdempotencyBegin::Completed(StoredResponse {
                    status,
                    headers,
                    body: body.unwrap_or_default(),
                })
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    async fn complete_idempotent(
        &self,
        api_key_id: &KeyId,
        idem_key: &str,
        response: &StoredResponse,
    ) -> StoreResult<()> {
        let headers = serde_json::to_string(&response.headers).map_err(anyhow::Error::from)?;
        self.write(|conn| {
            conn.prepare_cached(
                "UPDATE idempotency_keys SET status = ?3, headers = ?4, body = ?5
                 WHERE api_key_id = ?1 AND idem_key = ?2",
            )?
            .execute(params![
                api_key_id,
                idem_key,
                response.status,
                headers,
                response.body
            ])
        })?;
        Ok(())
    }

    async fn release_idempotent(&self, api_key_id: &KeyId, idem_key: &str) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached(
                "DELETE FROM idempotency_keys
                 WHERE api_key_id = ?1 AND idem_key = ?2 AND status IS NULL",
            )?
            .execute(params![api_key_id, idem_key])
        })?;
        Ok(())
    }
}
