//! Analytics rows in PostgreSQL: one per post and UTC day, days as `YYYY-MM-DD` text (as in
//! SQLite, so that a copied installation's rows need no conversion).

use async_trait::async_trait;
use chrono::NaiveDate;
use tokio_postgres::Row;

use crate::domain::analytics::Metrics;
use crate::domain::{PostId, UserId};
use crate::store::{MetricStore, Post, StoreError, StoreResult};

use super::rows::{corrupt, post_from_row, POST_COLUMNS, POST_COLUMN_COUNT};
use super::PostgresStore;

fn day_to_sql(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn day_from_sql(raw: &str) -> StoreResult<NaiveDate> {
    raw.parse().map_err(|_| corrupt("day", raw))
}

/// The five figures from a row, starting at `at`. Sums are cast to `bigint` in the queries
/// (PostgreSQL's `SUM` of a `bigint` is a `numeric`).
fn metrics_from_row(row: &Row, at: usize) -> StoreResult<Metrics> {
    let n = |i: usize| -> StoreResult<u64> { Ok(row.try_get::<_, i64>(at + i)?.max(0) as u64) };
    Ok(Metrics {
        impressions: n(0)?,
        members_reached: n(1)?,
        reactions: n(2)?,
        comments: n(3)?,
        reposts: n(4)?,
    })
}

#[async_trait]
impl MetricStore for PostgresStore {
    async fn record_post_metrics(
        &self,
        user_id: &UserId,
        post_id: &PostId,
        day: NaiveDate,
        metrics: Metrics,
    ) -> StoreResult<()> {
        let n = |v: u64| v.min(i64::MAX as u64) as i64;
        let client = self.client().await?;
        // Only for one of the user's own posts: the check and the write are one statement.
        let statement = client
            .prepare_cached(
                "INSERT INTO post_metrics (post_id, user_id, day, impressions, members_reached,
                     reactions, comments, reposts)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8
                 WHERE EXISTS (SELECT 1 FROM posts WHERE user_id = $2 AND id = $1)
                 ON CONFLICT (post_id, day) DO UPDATE SET impressions = excluded.impressions,
                     members_reached = excluded.members_reached, reactions = excluded.reactions,
                     comments = excluded.comments, reposts = excluded.reposts",
            )
            .await?;
        let written = client
            .execute(
                &statement,
                &[
                    &post_id.as_str(),
                    &user_id.as_str(),
                    &day_to_sql(day),
                    &n(metrics.impressions),
                    &n(metrics.members_reached),
                    &n(metrics.reactions),
                    &n(metrics.comments),
                    &n(metrics.reposts),
                ],
            )
            .await?;
        if written == 0 {
            return Err(StoreError::NotFound("post"));
        }
        Ok(())
    }

    async fn daily_metrics(
        &self,
        user_id: &UserId,
        post_id: Option<&PostId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, Metrics)>> {
        let post_id = post_id.map(PostId::as_str);
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT day, SUM(impressions)::bigint, SUM(members_reached)::bigint,
                        SUM(reactions)::bigint, SUM(comments)::bigint, SUM(reposts)::bigint
                 FROM post_metrics
                 WHERE user_id = $1 AND ($2::text IS NULL OR post_id = $2)
                   AND day BETWEEN $3 AND $4
                 GROUP BY day ORDER BY day",
            )
            .await?;
        client
            .query(
                &statement,
                &[
                    &user_id.as_str(),
                    &post_id,
                    &day_to_sql(from),
                    &day_to_sql(to),
                ],
            )
            .await?
            .iter()
            .map(|row| Ok((day_from_sql(row.try_get(0)?)?, metrics_from_row(row, 1)?)))
            .collect()
    }

    async fn count_published(
        &self,
        user_id: &UserId,
        from_ms: i64,
        until_ms: i64,
    ) -> StoreResult<u64> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT COUNT(*) FROM posts
                 WHERE user_id = $1 AND published_at >= $2 AND published_at < $3",
            )
            .await?;
        let count: i64 = client
            .query_one(&statement, &[&user_id.as_str(), &from_ms, &until_ms])
            .await?
            .try_get(0)?;
        Ok(count.max(0) as u64)
    }

    async fn post_totals(
        &self,
        user_id: &UserId,
        from: NaiveDate,
        to: NaiveDate,
        from_ms: i64,
        until_ms: i64,
    ) -> StoreResult<Vec<(Post, Metrics)>> {
        // The range's sums per post from the covering index, then joined to the posts: one
        // pass over the figures instead of a lookup of each post's rows.
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "WITH sums AS (
                     SELECT post_id, SUM(impressions) AS impressions,
                            SUM(members_reached) AS members_reached, SUM(reactions) AS reactions,
                            SUM(comments) AS comments, SUM(reposts) AS reposts
                     FROM post_metrics WHERE user_id = $1 AND day BETWEEN $2 AND $3
                     GROUP BY post_id)
                 SELECT {POST_COLUMNS}, COALESCE(s.impressions, 0)::bigint,
                        COALESCE(s.members_reached, 0)::bigint, COALESCE(s.reactions, 0)::bigint,
                        COALESCE(s.comments, 0)::bigint, COALESCE(s.reposts, 0)::bigint
                 FROM posts LEFT JOIN sums s ON s.post_id = posts.id
                 WHERE posts.user_id = $1 AND posts.published_at IS NOT NULL
                   AND ((posts.published_at >= $4 AND posts.published_at < $5)
                        OR s.post_id IS NOT NULL)"
            ))
            .await?;
        client
            .query(
                &statement,
                &[
                    &user_id.as_str(),
                    &day_to_sql(from),
                    &day_to_sql(to),
                    &from_ms,
                    &until_ms,
                ],
            )
            .await?
            .iter()
            .map(|row| {
                Ok((
                    post_from_row(row)?,
                    metrics_from_row(row, POST_COLUMN_COUNT)?,
                ))
            })
            .collect()
    }
}
