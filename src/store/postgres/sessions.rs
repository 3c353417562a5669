//! Web sessions in PostgreSQL, found by the hash of their token.

use async_trait::async_trait;

use crate::domain::UserId;
use crate::store::{SessionRecord, SessionStore, StoreResult, User};

use super::rows::finish;
use super::users::user_from_row;
use super::PostgresStore;

#[async_trait]
impl SessionStore for PostgresStore {
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            let purge = tx
                .prepare_cached("DELETE FROM sessions WHERE expires_at <= $1")
                .await?;
            tx.execute(&purge, &[&session.created_at]).await?;
            let insert = tx
                .prepare_cached(
                    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .await?;
            tx.execute(
                &insert,
                &[
                    &session.token_hash,
                    &session.user_id.as_str(),
                    &session.csrf_token,
                    &session.created_at,
                    &session.expires_at,
                ],
            )
            .await?;
            Ok(())
        }
        .await;
        finish(tx, outcome).await
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(SessionRecord, User)>> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at, s.expires_at,
                        u.id, u.email, u.name, u.plan, u.timezone, u.created_at
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
            )
            .await?;
        let Some(row) = client.query_opt(&statement, &[&token_hash, &now]).await? else {
            return Ok(None);
        };
        let session = SessionRecord {
            token_hash: row.try_get(0)?,
            user_id: row.try_get(1)?,
            csrf_token: row.try_get(2)?,
            created_at: row.try_get(3)?,
            expires_at: row.try_get(4)?,
        };
        Ok(Some((session, user_from_row(&row, 5)?)))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("DELETE FROM sessions WHERE token_hash = $1")
            .await?;
        client.execute(&statement, &[&token_hash]).await?;
        Ok(())
    }

    async fn delete_other_sessions(&self, user_id: &UserId, keep_hash: &str) -> StoreResult<u64> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .await?;
        Ok(client
            .execute(&statement, &[&user_id.as_str(), &keep_hash])
            .await?)
    }

    async fn delete_sessions(&self, user_id: &UserId) -> StoreResult<u64> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("DELETE FROM sessions WHERE user_id = $1")
            .await?;
        Ok(client.execute(&statement, &[&user_id.as_str()]).await?)
    }
}
