//! The publisher's tables in SQLite. A claim is one `UPDATE … WHERE` on the post: SQLite runs
//! one writer at a time (also across processes), so of two publishers racing for a post exactly
//! one sees its row change.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::events::{self, Event};
use super::metrics::day_to_sql;
use super::posts::{post_from_row, POST_COLUMNS};
use super::rows::write_returning;
use super::SqliteStore;
use crate::domain::analytics::Metrics;
use crate::domain::webhook::EventType;
use crate::domain::{PostId, UserId};
use crate::store::publishing::{ClaimNow, ClaimedPost, Failure, LinkedInAccount, PublishingStore};
use crate::store::{Post, StoreError, StoreResult};

pub(super) const ACCOUNT_COLUMNS: &str = "user_id, member_sub, member_name, picture_url, token, \
     token_expires_at, scopes, needs_reconnect, connected_at, updated_at";

pub(super) fn account_from_row(row: &Row) -> rusqlite::Result<LinkedInAccount> {
    Ok(LinkedInAccount {
        user_id: row.get(0)?,
        member_sub: row.get(1)?,
        member_name: row.get(2)?,
        picture_url: row.get(3)?,
        token_sealed: row.get(4)?,
        token_expires_at: row.get(5)?,
        scopes: row.get(6)?,
        needs_reconnect: row.get(7)?,
        connected_at: row.get(8)?,
        updated_at: row.get(9)?,
    })
}

/// The post's columns, then the claim's: `user_id, in_doubt, retry_since`.
fn claimed_from_row(row: &Row) -> rusqlite::Result<ClaimedPost> {
    let post = post_from_row(row)?;
    let base = POST_COLUMNS.split(',').count();
    Ok(ClaimedPost {
        post,
        user_id: row.get(base)?,
        in_doubt: row.get(base + 1)?,
        retry_since: row.get(base + 2)?,
    })
}

/// A post and its owner, by id alone (the publisher's claims carry no user).
fn post_by_id(conn: &Connection, post_id: &PostId) -> rusqlite::Result<Option<(UserId, Post)>> {
    conn.prepare_cached(&format!(
        "SELECT {POST_COLUMNS}, user_id FROM posts WHERE id = ?1"
    ))?
    .query_row([post_id], |row| {
        let post = post_from_row(row)?;
        Ok((row.get(POST_COLUMNS.split(',').count())?, post))
    })
    .optional()
}

impl SqliteStore {
    /// Emits the events of the publisher's change of a post, when it happened.
    fn emit_post_change(
        &self,
        conn: &Connection,
        before: Option<(UserId, Post)>,
        after: Option<&Post>,
        now: i64,
    ) -> rusqlite::Result<()> {
        let (Some((user_id, before)), Some(after)) = (before, after) else {
            return Ok(());
        };
        let events = events::post_changed(&*self.payloads, Some(&before), after);
        events::emit(conn, &user_id, &events, now).map(drop)
    }
}

#[async_trait]
impl PublishingStore for SqliteStore {
    async fn save_linkedin_account(&self, account: &LinkedInAccount) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached(&format!(
                "INSERT OR REPLACE INTO linkedin_accounts ({ACCOUNT_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ))?
            .execute(params![
                account.user_id,
                account.member_sub,
                account.member_name,
                account.picture_url,
                account.token_sealed,
                account.token_expires_at,
                account.scopes,
                account.needs_reconnect,
                account.connected_at,
                account.updated_at
            ])
        })?;
        Ok(())
    }

    async fn linkedin_account(&self, user_id: &UserId) -> StoreResult<Option<LinkedInAccount>> {
        self.read(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM linkedin_accounts WHERE user_id = ?1"
            ))?
            .query_row([user_id], account_from_row)
            .optional()
        })
    }

    async fn linkedin_account_users(&self) -> StoreResult<Vec<UserId>> {
        self.read(|conn| {
            conn.prepare_cached("SELECT user_id FROM linkedin_accounts ORDER BY user_id")?
                .query_map([], |row| row.get(0))?
                .collect()
        })
    }

    async fn delete_linkedin_account(&self, user_id: &UserId, now: i64) -> StoreResult<bool> {
        let n = self.write(|conn| {
            let tx = conn.transaction()?;
            let n = tx
                .prepare_cached("DELETE FROM linkedin_accounts WHERE user_id = ?1")?
                .execute([user_id])?;
            if n > 0 {
                let data = self.payloads.linkedin(None, now);
                let event = Event::new(EventType::LinkedInDisconnected, data);
                events::emit(&tx, user_id, &[event], now)?;
            }
            tx.commit()?;
            Ok(n)
        })?;
        Ok(n > 0)
    }

    async fn mark_needs_reconnect(&self, user_id: &UserId, now: i64) -> StoreResult<()> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            // Only the first refusal is news: the connection is lost until the member reconnects.
            let refused = write_returning(
                &tx,
                &format!(
                    "UPDATE linkedin_accounts SET needs_reconnect = 1, updated_at = ?2
                     WHERE user_id = ?1 AND needs_reconnect = 0
                     RETURNING {ACCOUNT_COLUMNS}"
                ),
                params![user_id, now],
                account_from_row,
            )?;
            if let Some(account) = refused {
                let data = self.payloads.linkedin(Some(&account), now);
                let event = Event::new(EventType::LinkedInDisconnected, data);
                events::emit(&tx, user_id, &[event], now)?;
            }
            tx.commit()
        })?;
        Ok(())
    }

    async fn save_oauth_state(
        &self,
        state_hash: &str,
        session_hash: &str,
        user_id: &UserId,
        expires_at: i64,
    ) -> StoreResult<()> {
        self.write(|conn| {
            // Expired states are dropped on the way, so the table stays small.
            conn.prepare_cached("DELETE FROM linkedin_oauth_states WHERE expires_at < ?1")?
                .execute([expires_at - 3_600_000])?;
            conn.prepare_cached(
                "INSERT INTO linkedin_oauth_states (state_hash, session_hash, user_id, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![state_hash, session_hash, user_id, expires_at])
        })?;
        Ok(())
    }

    async fn take_oauth_state(
        &self,
        state_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(String, UserId)>> {
        let taken = self.write(|conn| {
            write_returning(
                conn,
                "DELETE FROM linkedin_oauth_states WHERE state_hash = ?1
                 RETURNING session_hash, user_id, expires_at",
                [state_hash],
                |row| Ok((row.get(0)?, row.get(1)?, row.get::<_, i64>(2)?)),
            )
        })?;
        Ok(taken
            .filter(|(_, _, expires_at)| *expires_at > now)
            .map(|(session, user, _)| (session, user)))
    }

    async fn next_due_at(&self) -> StoreResult<Option<i64>> {
        self.read(|conn| {
            conn.prepare_cached("SELECT MIN(due_at) FROM posts WHERE status = 'scheduled'")?
                .query_row([], |row| row.get(0))
        })
    }

    async fn due_post_ids(&self, now: i64, limit: u32) -> StoreResult<Vec<PostId>> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT id FROM posts WHERE status = 'scheduled' AND due_at <= ?1
                 ORDER BY due_at LIMIT ?2",
            )?
            .query_map(params![now, limit], |row| row.get(0))?
            .collect()
        })
    }

    async fn claim_due_post(
        &self,
        post_id: &PostId,
        claim: &str,
        now: i64,
        lease_until: i64,
    ) -> StoreResult<Option<ClaimedPost>> {
        // A claim left behind (its holder died before clearing it) makes the post in doubt.
        self.write(|conn| {
            write_returning(
                conn,
                &format!(
                    "UPDATE posts SET claim = ?2, due_at = ?4,
                         in_doubt = in_doubt OR claim IS NOT NULL
                     WHERE id = ?1 AND status = 'scheduled' AND due_at <= ?3
                     RETURNING {POST_COLUMNS}, user_id, in_doubt, retry_since"
                ),
                params![post_id, claim, now, lease_until],
                claimed_from_row,
            )
        })
    }

    async fn claim_post_now(
        &self,
        user_id: &UserId,
        post_id: &PostId,
        claim: &str,
        now: i64,
        lease_until: i64,
    ) -> StoreResult<ClaimNow> {
        self.write(|conn| {
            let claimed = write_returning(
                conn,
                &format!(
                    "UPDATE posts SET claim = ?3, due_at = ?5, status = 'scheduled',
                         scheduled_at = COALESCE(scheduled_at, ?4), updated_at = ?4,
                         version = version + 1, failure_code = NULL, failure_message = NULL,
                         failure_at = NULL, retry_since = NULL,
                         in_doubt = in_doubt OR claim IS NOT NULL
                     WHERE user_id = ?1 AND id = ?2
                       AND status IN ('draft', 'scheduled', 'failed')
                       AND (claim IS NULL OR due_at <= ?4)
                     RETURNING {POST_COLUMNS}, user_id, in_doubt, retry_since"
                ),
                params![user_id, post_id, claim, now, lease_until],
                claimed_from_row,
            )?;
            if let Some(claimed) = claimed {
                return Ok(Ok(ClaimNow::Claimed(Box::new(claimed))));
            }
            let status: Option<String> = conn
                .prepare_cached("SELECT status FROM posts WHERE user_id = ?1 AND id = ?2")?
                .query_row(params![user_id, post_id], |row| row.get(0))
                .optional()?;
            Ok(match status.as_deref() {
                None => Err(StoreError::NotFound("post")),
                Some("published") => Ok(ClaimNow::AlreadyPublished),
                Some(_) => Ok(ClaimNow::Busy),
            })
        })?
    }

    async fn renew_claim(
        &self,
        post_id: &PostId,
        claim: &str,
        lease_until: i64,
    ) -> StoreResult<bool> {
        let n = self.write(|conn| {
            conn.prepare_cached(
                "UPDATE posts SET due_at = ?3
                 WHERE id = ?1 AND claim = ?2 AND status = 'scheduled'",
            )?
            .execute(params![post_id, claim, lease_until])
        })?;
        Ok(n > 0)
    }

    async fn mark_in_doubt(&self, post_id: &PostId, claim: &str) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached("UPDATE posts SET in_doubt = 1 WHERE id = ?1 AND claim = ?2")?
                .execute(params![post_id, claim])
        })?;
        Ok(())
    }

    async fn finish_published(
        &self,
        post_id: &PostId,
        claim: &str,
        urn: &str,
        at: i64,
    ) -> StoreResult<Option<Post>> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let before = post_by_id(&tx, post_id)?;
            let after = write_returning(
                &tx,
                &format!(
                    "UPDATE posts SET status = 'published', published_at = ?4, linkedin_urn = ?3,
                         scheduled_at = NULL,
                         updated_at = ?4, version = version + 1, claim = NULL, due_at = NULL,
                         in_doubt = 0, retry_since = NULL
                     WHERE id = ?1 AND claim = ?2
                     RETURNING {POST_COLUMNS}"
                ),
                params![post_id, claim, urn, at],
                post_from_row,
            )?;
            self.emit_post_change(&tx, before, after.as_ref(), at)?;
            tx.commit()?;
            Ok(after)
        })
    }

    async fn finish_failed(
        &self,
        post_id: &PostId,
        claim: &str,
        failure: &Failure,
    ) -> StoreResult<Option<Post>> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let before = post_by_id(&tx, post_id)?;
            let after = write_returning(
                &tx,
                &format!(
                    "UPDATE posts SET status = 'failed', failure_code = ?3, failure_message = ?4,
                         scheduled_at = NULL,
                         failure_at = ?5, updated_at = ?5, version = version + 1, claim = NULL,
                         due_at = NULL, retry_since = NULL
                     WHERE id = ?1 AND claim = ?2
                     RETURNING {POST_COLUMNS}"
                ),
                params![post_id, claim, failure.code, failure.message, failure.at],
                post_from_row,
            )?;
            self.emit_post_change(&tx, before, after.as_ref(), failure.at)?;
            tx.commit()?;
            Ok(after)
        })
    }

    async fn release_for_retry(
        &self,
        post_id: &PostId,
        claim: &str,
        retry_at: i64,
        retry_since: i64,
    ) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached(
                "UPDATE posts SET claim = NULL, due_at = ?3, retry_since = ?4
                 WHERE id = ?1 AND claim = ?2",
            )?
            .execute(params![post_id, claim, retry_at, retry_since])
        })?;
        Ok(())
    }

    async fn published_with_urn(
        &self,
        user_id: &UserId,
        since: i64,
    ) -> StoreResult<Vec<(PostId, String, i64)>> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT id, linkedin_urn, published_at FROM posts
                 WHERE user_id = ?1 AND status = 'published' AND linkedin_urn IS NOT NULL
                   AND published_at >= ?2
                 ORDER BY published_at",
            )?
            .query_map(params![user_id, since], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect()
        })
    }

    async fn replace_post_metrics(
        &self,
        user_id: &UserId,
        post_id: &PostId,
        days: &[(chrono::NaiveDate, Metrics)],
    ) -> StoreResult<()> {
        let n = |v: u64| v.min(i64::MAX as u64) as i64;
        self.write(|conn| {
            let tx = conn.transaction()?;
            tx.prepare_cached("DELETE FROM post_metrics WHERE user_id = ?1 AND post_id = ?2")?
                .execute(params![user_id, post_id])?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO post_metrics (post_id, user_id, day, impressions, members_reached,
                     reactions, comments, reposts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for (day, m) in days {
                insert.execute(params![
                    post_id,
                    user_id,
                    day_to_sql(*day),
                    n(m.impressions),
                    n(m.members_reached),
                    n(m.reactions),
                    n(m.comments),
                    n(m.reposts)
                ])?;
            }
            drop(insert);
            tx.commit()
        })?;
        Ok(())
    }
}
