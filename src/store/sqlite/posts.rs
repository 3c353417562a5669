//! Posts in SQLite: `seq` orders them, triggers keep the per-status counts.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::post::{PostFields, PostStatus};
use crate::domain::{PostId, UserId};
use crate::store::{Post, PostPage, PostStore, StoreError, StoreResult};

use super::events::{self, Event};
use super::ideas::find_idea;
use super::rows::{missing_or_changed, write_returning};
use super::SqliteStore;
use crate::domain::webhook::EventType;
use crate::store::publishing::Failure;

pub(super) const POST_COLUMNS: &str = "id, content, status, scheduled_at, published_at, \
     created_at, updated_at, version, linkedin_urn, failure_code, failure_message, failure_at";

pub(super) fn post_from_row(row: &Row) -> rusqlite::Result<Post> {
    let status: String = row.get(2)?;
    let status = PostStatus::parse(&status).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            2,
            rusqlite::types::Type::Text,
            format!("unknown post status {status:?}").into(),
        )
    })?;
    Ok(Post {
        id: row.get(0)?,
        fields: PostFields {
            content: row.get(1)?,
            status,
            scheduled_at: row.get(3)?,
        },
        published_at: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
        version: row.get(7)?,
        linkedin_urn: row.get(8)?,
        failure: match (row.get::<_, Option<String>>(9)?, row.get(10)?, row.get(11)?) {
            (Some(code), Some(message), Some(at)) => Some(Failure { code, message, at }),
            _ => None,
        },
    })
}

pub(super) fn find_post(
    conn: &Connection,
    user_id: &UserId,
    id: &PostId,
) -> rusqlite::Result<Option<Post>> {
    conn.prepare_cached(&format!(
        "SELECT {POST_COLUMNS} FROM posts WHERE user_id = ?1 AND id = ?2"
    ))?
    .query_row(params![user_id, id], post_from_row)
    .optional()
}

/// Inserts a post and gives it back as stored; shared by creating and converting an idea.
pub(super) fn insert_post_row(
    conn: &Connection,
    user_id: &UserId,
    id: &PostId,
    fields: &PostFields,
    now: i64,
) -> rusqlite::Result<Post> {
    write_returning(
        conn,
        &format!(
            "INSERT INTO posts (id, user_id, content, status, scheduled_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             RETURNING {POST_COLUMNS}"
        ),
        params![
            id,
            user_id,
            fields.content,
            fields.status.as_str(),
            fields.scheduled_at,
            now
        ],
        post_from_row,
    )?
    .ok_or(rusqlite::Error::QueryReturnedNoRows)
}

#[async_trait]
impl PostStore for SqliteStore {
    async fn insert_post(
        &self,
        user_id: &UserId,
        id: &PostId,
        fields: &PostFields,
        now: i64,
    ) -> StoreResult<Post> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let post = insert_post_row(&tx, user_id, id, fields, now)?;
            let events = events::post_changed(&*self.payloads, None, &post);
            events::emit(&tx, user_id, &events, now)?;
            tx.commit()?;
            Ok(post)
        })
    }

    async fn get_post(&self, user_id: &UserId, id: &PostId) -> StoreResult<Post> {
        self.read(|conn| find_post(conn, user_id, id))?
            .ok_or(StoreError::NotFound("post"))
    }

    async fn list_posts(
        &self,
        user_id: &UserId,
        status: Option<PostStatus>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<PostPage> {
        let status = status.map(PostStatus::as_str);
        self.read(|conn| {
            // One read transaction, so the page and the total come from the same snapshot.
            let tx = conn.unchecked_transaction()?;
            let posts = tx
                .prepare_cached(&format!(
                    "SELECT {POST_COLUMNS} FROM posts
                     WHERE user_id = ?1 AND (?2 IS NULL OR status = ?2)
                     ORDER BY seq DESC LIMIT ?3 OFFSET ?4"
                ))?
                .query_map(params![user_id, status, limit, offset], post_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 = tx
                .prepare_cached(
                    "SELECT COALESCE(SUM(n), 0) FROM post_counts
                     WHERE user_id = ?1 AND (?2 IS NULL OR status = ?2)",
                )?
                .query_row(params![user_id, status], |row| row.get(0))?;
            tx.commit()?;
            Ok(PostPage {
                posts,
                total: total.max(0) as u64,
            })
        })
    }

    async fn update_post(
        &self,
        user_id: &UserId,
        id: &PostId,
        version: i64,
        fields: &PostFields,
        now: i64,
    ) -> StoreResult<Post> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        let before = find_post(&tx, user_id, id)?;
        let updated = write_returning(
            &tx,
            &format!(
                "UPDATE posts SET content = ?4, status = ?5, scheduled_at = ?6,
                    updated_at = ?7, version = version + 1,
                    failure_code = CASE WHEN ?5 = 'failed' THEN failure_code END,
                    failure_message = CASE WHEN ?5 = 'failed' THEN failure_message END,
                    failure_at = CASE WHEN ?5 = 'failed' THEN failure_at END,
                    due_at = CASE WHEN ?5 = 'scheduled' THEN ?6 END, retry_since = NULL
                 WHERE user_id = ?1 AND id = ?2 AND version = ?3 AND status <> 'published'
                   AND claim IS NULL
                 RETURNING {POST_COLUMNS}"
            ),
            params![
                user_id,
                id,
                version,
                fields.content,
                fields.status.as_str(),
                fields.scheduled_at,
                now
            ],
            post_from_row,
        )?;
        let Some(post) = updated else {
            return Err(missing_or_changed(
                &tx,
                "posts",
                "post",
                user_id,
                id.as_str(),
            ));
        };
        let events = events::post_changed(&*self.payloads, before.as_ref(), &post);
        events::emit(&tx, user_id, &events, now)?;
        tx.commit()?;
        Ok(post)
    }

    async fn delete_post(
        &self,
        user_id: &UserId,
        id: &PostId,
        version: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        // Ideas converted into this post are unlinked by the foreign key: they change too.
        let unlinked: Vec<String> = tx
            .prepare_cached("SELECT id FROM ideas WHERE user_id = ?1 AND post_id = ?2")?
            .query_map(params![user_id, id], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let deleted = tx
            .prepare_cached(
                "DELETE FROM posts WHERE user_id = ?1 AND id = ?2 AND (?3 IS NULL OR version = ?3)",
            )?
            .execute(params![user_id, id, version])?;
        if deleted == 0 {
            return Err(missing_or_changed(
                &tx,
                "posts",
                "post",
                user_id,
                id.as_str(),
            ));
        }
        let mut changed = vec![Event::deleted(EventType::PostDeleted, id.as_str())];
        for idea_id in &unlinked {
            if let Some(idea) = find_idea(&tx, user_id, idea_id)? {
                changed.push(Event::new(
                    EventType::IdeaUpdated,
                    self.payloads.idea(&idea),
                ));
            }
        }
        events::emit(&tx, user_id, &changed, now)?;
        tx.commit()?;
        Ok(())
    }

    async fn mark_published(&self, user_id: &UserId, id: &PostId, now: i64) -> StoreResult<Post> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let before = find_post(&tx, user_id, id)?;
            let post = write_returning(
                &tx,
                &format!(
                    "UPDATE posts SET status = 'published', scheduled_at = NULL, published_at = ?3,
                        updated_at = ?3, version = version + 1
                     WHERE user_id = ?1 AND id = ?2
                     RETURNING {POST_COLUMNS}"
                ),
                params![user_id, id, now],
                post_from_row,
            )?;
            if let Some(post) = &post {
                let events = events::post_changed(&*self.payloads, before.as_ref(), post);
                events::emit(&tx, user_id, &events, now)?;
            }
            tx.commit()?;
            Ok(post)
        })?
        .ok_or(StoreError::NotFound("post"))
    }
}
