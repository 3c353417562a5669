//! API keys in SQLite, stored as scope names and a hash of the secret.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use crate::domain::{KeyId, Scope, Scopes, UserId};
use crate::store::{KeyAuth, KeyRecord, KeyStore, NewKey, StoreError, StoreResult};

use super::rows::{plan_from_sql, write_returning};
use super::SqliteStore;

fn scopes_from_sql(s: &str) -> rusqlite::Result<Scopes> {
    s.split(' ')
        .map(str::parse::<Scope>)
        .collect::<Result<Scopes, _>>()
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
        })
}

fn scopes_to_sql(scopes: Scopes) -> String {
    scopes.names().join(" ")
}

const KEY_COLUMNS: &str = "id, user_id, name, prefix, scopes, created_at, last_used_at, revoked_at";

fn key_from_row(row: &Row) -> rusqlite::Result<KeyRecord> {
    Ok(KeyRecord {
        id: row.get(0)?,
        user_id: row.get(1)?,
        name: row.get(2)?,
        prefix: row.get(3)?,
        scopes: scopes_from_sql(&row.get::<_, String>(4)?)?,
        created_at: row.get(5)?,
        last_used_at: row.get(6)?,
        revoked_at: row.get(7)?,
    })
}

#[async_trait]
impl KeyStore for SqliteStore {
    async fn insert_key(&self, key: &NewKey) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO api_keys (id, user_id, name, prefix, hash, scopes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                key.id,
                key.user_id,
                key.name,
                key.prefix,
                key.hash,
                scopes_to_sql(key.scopes),
                key.created_at
            ])
        })?;
        Ok(())
    }

    /// Always read from the database, in a read transaction of its own: a revocation or plan
    /// change committed by anyone (this server, the CLI, another instance) counts from the
    /// next request. A remembered answer saved too little to be worth proving exact.
    async fn key_for_auth(&self, hash: &str) -> StoreResult<Option<KeyAuth>> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT k.id, k.user_id, k.scopes, u.plan, k.last_used_at, k.revoked_at
                 FROM api_keys k JOIN users u ON u.id = k.user_id
                 WHERE k.hash = ?1",
            )?
            .query_row([hash], |row| {
                Ok(KeyAuth {
                    key_id: row.get(0)?,
                    user_id: row.get(1)?,
                    scopes: scopes_from_sql(&row.get::<_, String>(2)?)?,
                    plan: plan_from_sql(&row.get::<_, String>(3)?)?,
                    last_used_at: row.get(4)?,
                    revoked: row.get::<_, Option<i64>>(5)?.is_some(),
                })
            })
            .optional()
        })
    }

    async fn touch_key(&self, key_id: &KeyId, now: i64, unless_since: i64) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached(
                "UPDATE api_keys SET last_used_at = ?2
                 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
            )?
            .execute(params![key_id, now, unless_since])
        })?;
        Ok(())
    }

    async fn list_keys(&self, user_id: &UserId) -> StoreResult<Vec<KeyRecord>> {
        self.read(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM api_keys WHERE user_id = ?1 ORDER BY created_at, rowid"
            ))?
            .query_map([user_id], key_from_row)?
            .collect()
        })
    }

    async fn key_by_id(&self, key_id: &KeyId) -> StoreResult<KeyRecord> {
        self.read(|conn| {
            conn.prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1"))?
                .query_row([key_id], key_from_row)
                .optional()
        })?
        .ok_or(StoreError::NotFound("API key"))
    }

    async fn revoke_key(&self, key_id: &KeyId, now: i64) -> StoreResult<KeyRecord> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let key = write_returning(
                &tx,
                &format!(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1
                     RETURNING {KEY_COLUMNS}"
                ),
                params![key_id, now],
                key_from_row,
            )?;
            // A dead integration must not keep receiving data: its webhooks stop with it.
            tx.prepare_cached(
                "UPDATE webhooks SET disabled = 1, disabled_reason = 'key_revoked',
                     updated_at = ?2, version = version + 1
                 WHERE created_by_key = ?1 AND disabled = 0",
            )?
            .execute(params![key_id, now])?;
            tx.commit()?;
            Ok(key)
        })?
        .ok_or(StoreError::NotFound("API key"))
    }
}
