//! Posts in PostgreSQL: `seq` orders them, triggers keep the per-status counts, and every
//! change is guarded by the post's version in its own statement, so that two instances
//! changing one post at once cannot both win.

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Transaction};

use crate::domain::post::{PostFields, PostStatus};
use crate::domain::webhook::EventType;
use crate::domain::{PostId, UserId};
use crate::store::{Post, PostPage, PostStore, StoreError, StoreResult};

use super::events::{self, Event};
use super::rows::{
    find_idea, find_post, finish, missing_or_changed, page_and_total, post_from_row, POST_COLUMNS,
    POST_COLUMN_COUNT,
};
use super::PostgresStore;

/// Inserts a post and gives it back as stored; shared by creating and converting an idea.
pub(super) async fn insert_post_row(
    client: &impl GenericClient,
    user_id: &UserId,
    id: &PostId,
    fields: &PostFields,
    now: i64,
) -> StoreResult<Post> {
    let statement = client
        .prepare_cached(&format!(
            "INSERT INTO posts (id, user_id, content, status, scheduled_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             RETURNING {POST_COLUMNS}"
        ))
        .await?;
    let row = client
        .query_one(
            &statement,
            &[
                &id.as_str(),
                &user_id.as_str(),
                &fields.content,
                &fields.status.as_str(),
                &fields.scheduled_at,
                &now,
            ],
        )
        .await?;
    post_from_row(&row)
}

/// The post as it is before a change, locked until the transaction ends: the events of the
/// change compare it with what the change returns, so no other change may come in between.
async fn lock_post(
    tx: &Transaction<'_>,
    user_id: &UserId,
    id: &PostId,
) -> StoreResult<Option<Post>> {
    let statement = tx
        .prepare_cached(&format!(
            "SELECT {POST_COLUMNS} FROM posts WHERE user_id = $1 AND id = $2 FOR UPDATE"
        ))
        .await?;
    tx.query_opt(&statement, &[&user_id.as_str(), &id.as_str()])
        .await?
        .as_ref()
        .map(post_from_row)
        .transpose()
}

#[async_trait]
impl PostStore for PostgresStore {
    async fn insert_post(
        &self,
        user_id: &UserId,
        id: &PostId,
        fields: &PostFields,
        now: i64,
    ) -> StoreResult<Post> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            let post = insert_post_row(&tx, user_id, id, fields, now).await?;
            let changed = events::post_changed(&*self.payloads, None, &post);
            events::emit(&tx, user_id, &changed, now).await?;
            Ok(post)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn get_post(&self, user_id: &UserId, id: &PostId) -> StoreResult<Post> {
        let client = self.client().await?;
        find_post(&client, user_id, id)
            .await?
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
        let limit = i64::from(limit);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let client = self.client().await?;
        // One statement, so the page and the total come from one snapshot in one round trip;
        // the total's row stands alone when the page is empty.
        let statement = client
            .prepare_cached(&format!(
                "WITH total AS (
                     SELECT COALESCE(SUM(n), 0)::bigint AS n FROM post_counts
                     WHERE user_id = $1 AND ($2::text IS NULL OR status = $2)),
                 page AS (
                     SELECT {POST_COLUMNS}, seq FROM posts
                     WHERE user_id = $1 AND ($2::text IS NULL OR status = $2)
                     ORDER BY seq DESC LIMIT $3 OFFSET $4)
                 SELECT page.*, total.n FROM total LEFT JOIN page ON TRUE
                 ORDER BY page.seq DESC"
            ))
            .await?;
        let rows = client
            .query(&statement, &[&user_id.as_str(), &status, &limit, &offset])
            .await?;
        let (posts, total) = page_and_total(&rows, POST_COLUMN_COUNT + 1, post_from_row)?;
        Ok(PostPage { posts, total })
    }

    async fn update_post(
        &self,
        user_id: &UserId,
        id: &PostId,
        version: i64,
        fields: &PostFields,
        now: i64,
    ) -> StoreResult<Post> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            let before = lock_post(&tx, user_id, id).await?;
            // The guard (version, not published, not held by a publishing attempt) is checked by
            // the UPDATE itself on the locked row, so a publisher's claim in between is seen.
            let statement = tx
                .prepare_cached(&format!(
                    "UPDATE posts SET content = $4, status = $5, scheduled_at = $6,
                        updated_at = $7, version = version + 1,
                        failure_code = CASE WHEN $5 = 'failed' THEN failure_code END,
                        failure_message = CASE WHEN $5 = 'failed' THEN failure_message END,
                        failure_at = CASE WHEN $5 = 'failed' THEN failure_at END,
                        due_at = CASE WHEN $5 = 'scheduled' THEN $6::bigint END, retry_since = NULL
                     WHERE user_id = $1 AND id = $2 AND version = $3 AND status <> 'published'
                       AND claim IS NULL
                     RETURNING {POST_COLUMNS}"
                ))
                .await?;
            let updated = tx
                .query_opt(
                    &statement,
                    &[
                        &user_id.as_str(),
                        &id.as_str(),
                        &version,
                        &fields.content,
                        &fields.status.as_str(),
                        &fields.scheduled_at,
                        &now,
                    ],
                )
                .await?;
            let Some(row) = updated else {
                return Err(missing_or_changed(&tx, "posts", "post", user_id, id.as_str()).await);
            };
            let post = post_from_row(&row)?;
            let changed = events::post_changed(&*self.payloads, before.as_ref(), &post);
            events::emit(&tx, user_id, &changed, now).await?;
            Ok(post)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn delete_post(
        &self,
        user_id: &UserId,
        id: &PostId,
        version: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            // Ideas converted into this post are unlinked by the foreign key: they change too.
            // Only converting links an idea, and only to the post it creates, so no idea can
            // join this list between the read and the delete.
            let linked = tx
                .prepare_cached("SELECT id FROM ideas WHERE user_id = $1 AND post_id = $2")
                .await?;
            let unlinked: Vec<String> = tx
                .query(&linked, &[&user_id.as_str(), &id.as_str()])
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
            let statement = tx
                .prepare_cached(
                    "DELETE FROM posts WHERE user_id = $1 AND id = $2
                        AND ($3::bigint IS NULL OR version = $3)",
                )
                .await?;
            let deleted = tx
                .execute(&statement, &[&user_id.as_str(), &id.as_str(), &version])
                .await?;
            if deleted == 0 {
                return Err(missing_or_changed(&tx, "posts", "post", user_id, id.as_str()).await);
            }
            let mut changed = vec![Event::deleted(EventType::PostDeleted, id.as_str())];
            for idea_id in &unlinked {
                if let Some(idea) = find_idea(&tx, user_id, idea_id).await? {
                    changed.push(Event::new(
                        EventType::IdeaUpdated,
                        self.payloads.idea(&idea),
                    ));
                }
            }
            events::emit(&tx, user_id, &changed, now).await?;
            Ok(())
        }
        .await;
        finish(tx, outcome).await
    }

    async fn mark_published(&self, user_id: &UserId, id: &PostId, now: i64) -> StoreResult<Post> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            let Some(before) = lock_post(&tx, user_id, id).await? else {
                return Err(StoreError::NotFound("post"));
            };
            let statement = tx
                .prepare_cached(&format!(
                    "UPDATE posts SET status = 'published', scheduled_at = NULL, published_at = $3,
                        updated_at = $3, version = version + 1
                     WHERE user_id = $1 AND id = $2
                     RETURNING {POST_COLUMNS}"
                ))
                .await?;
            let row = tx
                .query_one(&statement, &[&user_id.as_str(), &id.as_str(), &now])
                .await?;
            let post = post_from_row(&row)?;
            let changed = events::post_changed(&*self.payloads, Some(&before), &post);
            events::emit(&tx, user_id, &changed, now).await?;
            Ok(post)
        }
        .await;
        finish(tx, outcome).await
    }
}
