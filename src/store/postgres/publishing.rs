//! The publisher's tables in PostgreSQL. Several instances run the publisher against one
//! database, so a claim is one `UPDATE … WHERE <still due> RETURNING` on the post: PostgreSQL
//! locks the row and rechecks the condition on its newest version, so of several publishers
//! racing for a post exactly one sees its row change; the scheduler's claims also skip a post
//! another is claiming (`SKIP LOCKED`) instead of waiting to lose to it.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::events::{self, Event};
use super::publishing_rows::{
    account_from_row, claimed_from_row, write_returning, ACCOUNT_COLUMNS,
};
use super::rows::{finish, POST_COLUMNS};
use super::PostgresStore;
use crate::domain::analytics::Metrics;
use crate::domain::webhook::EventType;
use crate::domain::{PostId, UserId};
use crate::store::publishing::{ClaimNow, ClaimedPost, Failure, LinkedInAccount, PublishingStore};
use crate::store::{Post, StoreError, StoreResult};

#[async_trait]
impl PublishingStore for PostgresStore {
    async fn save_linkedin_account(&self, account: &LinkedInAccount) -> StoreResult<()> {
        let client = self.client().await?;
        // A new connection is a new token: the warning about the old one's expiry is forgotten.
        let statement = client
            .prepare_cached(&format!(
                "INSERT INTO linkedin_accounts ({ACCOUNT_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (user_id) DO UPDATE SET member_sub = EXCLUDED.member_sub,
                     member_name = EXCLUDED.member_name, picture_url = EXCLUDED.picture_url,
                     token = EXCLUDED.token, token_expires_at = EXCLUDED.token_expires_at,
                     scopes = EXCLUDED.scopes, needs_reconnect = EXCLUDED.needs_reconnect,
                     connected_at = EXCLUDED.connected_at, updated_at = EXCLUDED.updated_at,
                     expiry_warned_for = NULL"
            ))
            .await?;
        client
            .execute(
                &statement,
                &[
                    &account.user_id.as_str(),
                    &account.member_sub,
                    &account.member_name,
                    &account.picture_url,
                    &account.token_sealed,
                    &account.token_expires_at,
                    &account.scopes,
                    &account.needs_reconnect,
                    &account.connected_at,
                    &account.updated_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn linkedin_account(&self, user_id: &UserId) -> StoreResult<Option<LinkedInAccount>> {
        let client = self.client().await?;
        write_returning(
            &client,
            &format!("SELECT {ACCOUNT_COLUMNS} FROM linkedin_accounts WHERE user_id = $1"),
            &[&user_id.as_str()],
            account_from_row,
        )
        .await
    }

    async fn linkedin_account_users(&self) -> StoreResult<Vec<UserId>> {
        let client = self.client().await?;
        // Byte order, as SQLite sorts text.
        let statement = client
            .prepare_cached("SELECT user_id FROM linkedin_accounts ORDER BY user_id COLLATE \"C\"")
            .await?;
        client
            .query(&statement, &[])
            .await?
            .iter()
            .map(|row| Ok(row.try_get::<_, UserId>(0)?))
            .collect()
    }

    async fn delete_linkedin_account(&self, user_id: &UserId, now: i64) -> StoreResult<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            let statement = tx
                .prepare_cached("DELETE FROM linkedin_accounts WHERE user_id = $1")
                .await?;
            let deleted = tx.execute(&statement, &[&user_id.as_str()]).await? > 0;
            if deleted {
                let data = self.payloads.linkedin(None, now);
                let event = Event::new(EventType::LinkedInDisconnected, data);
                events::emit(&tx, user_id, &[event], now).await?;
            }
            Ok(deleted)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn mark_needs_reconnect(&self, user_id: &UserId, now: i64) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            // Only the first refusal is news: the connection is lost until the member reconnects.
            // Of two instances refused at once, the second's update waits for the first's and then
            // finds the flag set.
            let refused = write_returning(
                &tx,
                &format!(
                    "UPDATE linkedin_accounts SET needs_reconnect = TRUE, updated_at = $2
                 WHERE user_id = $1 AND NOT needs_reconnect
                 RETURNING {ACCOUNT_COLUMNS}"
                ),
                &[&user_id.as_str(), &now],
                account_from_row,
            )
            .await?;
            if let Some(account) = refused {
                let data = self.payloads.linkedin(Some(&account), now);
                let event = Event::new(EventType::LinkedInDisconnected, data);
                events::emit(&tx, user_id, &[event], now).await?;
            }
            Ok(())
        }
        .await;
        finish(tx, outcome).await
    }

    async fn save_oauth_state(
        &self,
        state_hash: &str,
        session_hash: &str,
        user_id: &UserId,
        expires_at: i64,
    ) -> StoreResult<()> {
        let client = self.client().await?;
        // Expired states are dropped on the way, so the table stays small.
        let statement = client
            .prepare_cached("DELETE FROM linkedin_oauth_states WHERE expires_at < $1")
            .await?;
        client
            .execute(&statement, &[&(expires_at - 3_600_000)])
            .await?;
        let statement = client
            .prepare_cached(
                "INSERT INTO linkedin_oauth_states (state_hash, session_hash, user_id, expires_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .await?;
        client
            .execute(
                &statement,
                &[&state_hash, &session_hash, &user_id.as_str(), &expires_at],
            )
            .await?;
        Ok(())
    }

    async fn take_oauth_state(
        &self,
        state_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(String, UserId)>> {
        let client = self.client().await?;
        let taken = write_returning(
            &client,
            "DELETE FROM linkedin_oauth_states WHERE state_hash = $1
             RETURNING session_hash, user_id, expires_at",
            &[&state_hash],
            |row| {
                Ok((
                    row.try_get::<_, String>(0)?,
                    row.try_get::<_, UserId>(1)?,
                    row.try_get::<_, i64>(2)?,
                ))
            },
        )
        .await?;
        Ok(taken
            .filter(|(_, _, expires_at)| *expires_at > now)
            .map(|(session, user, _)| (session, user)))
    }

    async fn next_due_at(&self) -> StoreResult<Option<i64>> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT MIN(due_at) FROM posts WHERE status = 'scheduled'")
            .await?;
        Ok(client.query_one(&statement, &[]).await?.try_get(0)?)
    }

    async fn due_post_ids(&self, now: i64, limit: u32) -> StoreResult<Vec<PostId>> {
        // Only a list: each post is then claimed on its own, atomically.
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT id FROM posts WHERE status = 'scheduled' AND due_at <= $1
                 ORDER BY due_at, seq LIMIT $2",
            )
            .await?;
        client
            .query(&statement, &[&now, &i64::from(limit)])
            .await?
            .iter()
            .map(|row| Ok(row.try_get::<_, PostId>(0)?))
            .collect()
    }

    async fn claim_due_post(
        &self,
        post_id: &PostId,
        claim: &str,
        now: i64,
        lease_until: i64,
    ) -> StoreResult<Option<ClaimedPost>> {
        // A claim left behind (its holder died before clearing it) makes the post in doubt.
        // The post is taken only if no other transaction has it locked: a publisher claiming
        // it right now would win anyway (its lease makes the post not due), so the others move
        // on at once. A user's edit holding it for a moment merely leaves it due for the next
        // round.
        let client = self.client().await?;
        write_returning(
            &client,
            &format!(
                "WITH due AS (
                     SELECT id AS due_id FROM posts
                     WHERE id = $1 AND status = 'scheduled' AND due_at <= $3
                     FOR NO KEY UPDATE SKIP LOCKED)
                 UPDATE posts SET claim = $2, due_at = $4,
                     in_doubt = in_doubt OR claim IS NOT NULL
                 FROM due WHERE id = due_id
                 RETURNING {POST_COLUMNS}, user_id, in_doubt, retry_since"
            ),
            &[&post_id.as_str(), &claim, &now, &lease_until],
            claimed_from_row,
        )
        .await
    }

    async fn claim_post_now(
        &self,
        user_id: &UserId,
        post_id: &PostId,
        claim: &str,
        now: i64,
        lease_until: i64,
    ) -> StoreResult<ClaimNow> {
        let client = self.client().await?;
        // Unlike the scheduler's claim this one waits for a concurrent claimer: the user is
        // told whether the post is busy, which is only known once that claimer has committed.
        let claimed = write_returning(
            &client,
            &format!(
                "UPDATE posts SET claim = $3, due_at = $5, status = 'scheduled',
                     scheduled_at = COALESCE(scheduled_at, $4), updated_at = $4,
                     version = version + 1, failure_code = NULL, failure_message = NULL,
                     failure_at = NULL, retry_since = NULL,
                     in_doubt = in_doubt OR claim IS NOT NULL
                 WHERE user_id = $1 AND id = $2
                   AND status IN ('draft', 'scheduled', 'failed')
                   AND (claim IS NULL OR due_at <= $4)
                 RETURNING {POST_COLUMNS}, user_id, in_doubt, retry_since"
            ),
            &[
                &user_id.as_str(),
                &post_id.as_str(),
                &claim,
                &now,
                &lease_until,
            ],
            claimed_from_row,
        )
        .await?;
        if let Some(claimed) = claimed {
            return Ok(ClaimNow::Claimed(Box::new(claimed)));
        }
        let status = write_returning(
            &client,
            "SELECT status FROM posts WHERE user_id = $1 AND id = $2",
            &[&user_id.as_str(), &post_id.as_str()],
            |row| Ok(row.try_get::<_, String>(0)?),
        )
        .await?;
        match status.as_deref() {
            None => Err(StoreError::NotFound("post")),
            Some("published") => Ok(ClaimNow::AlreadyPublished),
            Some(_) => Ok(ClaimNow::Busy),
        }
    }

    async fn renew_claim(
        &self,
        post_id: &PostId,
        claim: &str,
        lease_until: i64,
    ) -> StoreResult<bool> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "UPDATE posts SET due_at = $3
                 WHERE id = $1 AND claim = $2 AND status = 'scheduled'",
            )
            .await?;
        let n = client
            .execute(&statement, &[&post_id.as_str(), &claim, &lease_until])
            .await?;
        Ok(n > 0)
    }

    async fn mark_in_doubt(&self, post_id: &PostId, claim: &str) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("UPDATE posts SET in_doubt = TRUE WHERE id = $1 AND claim = $2")
            .await?;
        client
            .execute(&statement, &[&post_id.as_str(), &claim])
            .await?;
        Ok(())
    }

    async fn finish_published(
        &self,
        post_id: &PostId,
        claim: &str,
        urn: &str,
        at: i64,
    ) -> StoreResult<Option<Post>> {
        let sql = format!(
            "UPDATE posts SET status = 'published', published_at = $4, linkedin_urn = $3,
                 scheduled_at = NULL,
                 updated_at = $4, version = version + 1, claim = NULL, due_at = NULL,
                 in_doubt = FALSE, retry_since = NULL
             WHERE id = $1 AND claim = $2
             RETURNING {POST_COLUMNS}"
        );
        self.end_attempt(post_id, claim, &sql, &[&urn, &at], at)
            .await
    }

    async fn finish_failed(
        &self,
        post_id: &PostId,
        claim: &str,
        failure: &Failure,
    ) -> StoreResult<Option<Post>> {
        let sql = format!(
            "UPDATE posts SET status = 'failed', failure_code = $3, failure_message = $4,
                 scheduled_at = NULL,
                 failure_at = $5, updated_at = $5, version = version + 1, claim = NULL,
                 due_at = NULL, retry_since = NULL
             WHERE id = $1 AND claim = $2
             RETURNING {POST_COLUMNS}"
        );
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
            [&failure.code, &failure.message, &failure.at];
        self.end_attempt(post_id, claim, &sql, &params, failure.at)
            .await
    }

    async fn release_for_retry(
        &self,
        post_id: &PostId,
        claim: &str,
        retry_at: i64,
        retry_since: i64,
    ) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "UPDATE posts SET claim = NULL, due_at = $3, retry_since = $4
                 WHERE id = $1 AND claim = $2",
            )
            .await?;
        client
            .execute(
                &statement,
                &[&post_id.as_str(), &claim, &retry_at, &retry_since],
            )
            .await?;
        Ok(())
    }

    async fn published_with_urn(
        &self,
        user_id: &UserId,
        since: i64,
    ) -> StoreResult<Vec<(PostId, String, i64)>> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT id, linkedin_urn, published_at FROM posts
                 WHERE user_id = $1 AND status = 'published' AND linkedin_urn IS NOT NULL
                   AND published_at >= $2
                 ORDER BY published_at",
            )
            .await?;
        client
            .query(&statement, &[&user_id.as_str(), &since])
            .await?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get::<_, PostId>(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                ))
            })
            .collect()
    }

    async fn replace_post_metrics(
        &self,
        user_id: &UserId,
        post_id: &PostId,
        days: &[(NaiveDate, Metrics)],
    ) -> StoreResult<()> {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            // Two syncs of one post at once (two instances) are serialised on the post's row: else
            // both would delete the old figures, and the second to insert would hit the first's.
            let statement = tx
                .prepare_cached("SELECT 1 FROM posts WHERE id = $1 FOR NO KEY UPDATE")
                .await?;
            tx.query_opt(&statement, &[&post_id.as_str()]).await?;
            let statement = tx
                .prepare_cached("DELETE FROM post_metrics WHERE user_id = $1 AND post_id = $2")
                .await?;
            tx.execute(&statement, &[&user_id.as_str(), &post_id.as_str()])
                .await?;
            let insert = tx
                .prepare_cached(
                    "INSERT INTO post_metrics (post_id, user_id, day, impressions, members_reached,
                     reactions, comments, reposts)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .await?;
            for (day, m) in days {
                tx.execute(
                    &insert,
                    &[
                        &post_id.as_str(),
                        &user_id.as_str(),
                        &day.format("%Y-%m-%d").to_string(),
                        &n(m.impressions),
                        &n(m.members_reached),
                        &n(m.reactions),
                        &n(m.comments),
                        &n(m.reposts),
                    ],
                )
                .await?;
            }
            Ok(())
        }
        .await;
        finish(tx, outcome).await
    }
}
