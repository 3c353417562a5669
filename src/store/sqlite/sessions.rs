//! Web sessions in SQLite, found by the hash of their token.

use async_trait::async_trait;

use crate::domain::UserId;
use rusqlite::{params, OptionalExtension};

use crate::store::{SessionRecord, SessionStore, StoreResult, User};

use super::rows::plan_from_sql;
use super::SqliteStore;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            tx.prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
                .execute([session.created_at])?;
            tx.prepare_cached(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                session.token_hash,
                session.user_id,
                session.csrf_token,
                session.created_at,
                session.expires_at
            ])?;
            tx.commit()
        })
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(SessionRecord, User)>> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at, s.expires_at,
                        u.id, u.email, u.name, u.plan, u.timezone, u.created_at
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            )?
            .query_row(params![token_hash, now], |row| {
                let session = SessionRecord {
                    token_hash: row.get(0)?,
                    user_id: row.get(1)?,
                    csrf_token: row.get(2)?,
                    created_at: row.get(3)?,
                    expires_at: row.get(4)?,
                };
                let user = User {
                    id: row.get(5)?,
                    email: row.get(6)?,
                    name: row.get(7)?,
                    plan: plan_from_sql(&row.get::<_, String>(8)?)?,
                    timezone: row.get(9)?,
                    created_at: row.get(10)?,
                };
                Ok((session, user))
            })
            .optional()
        })
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
                .execute([token_hash])
        })?;
        Ok(())
    }

    async fn delete_other_sessions(&self, user_id: &UserId, keep_hash: &str) -> StoreResult<u64> {
        let deleted = self.write(|conn| {
            conn.prepare_cached("DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> ?2")?
                .execute(params![user_id, keep_hash])
        })?;
        Ok(deleted as u64)
    }

    async fn delete_sessions(&self, user_id: &UserId) -> StoreResult<u64> {
        let deleted = self.write(|conn| {
            conn.prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
                .execute([user_id])
        })?;
        Ok(deleted as u64)
    }
}
