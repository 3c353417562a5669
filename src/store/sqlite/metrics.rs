//! Analytics rows in SQLite: one per post and UTC day, days as `YYYY-MM-DD` text.

use async_trait::async_trait;
use rusqlite::{params, Row};

use crate::domain::analytics::Metrics;
use crate::domain::{PostId, UserId};
use crate::store::{MetricStore, Post, StoreError, StoreResult};

use super::posts::{find_post, post_from_row, POST_COLUMNS};
use super::SqliteStore;

fn metric(row: &Row, index: usize) -> rusqlite::Result<u64> {
    Ok(row.get::<_, i64>(index)?.max(0) as u64)
}

fn day_from_sql(raw: &str) -> rusqlite::Result<chrono::NaiveDate> {
    raw.parse().map_err(|e: chrono::ParseError| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

pub(super) fn day_to_sql(day: chrono::NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[async_trait]
impl MetricStore for SqliteStore {
    async fn record_post_metrics(
        &self,
        user_id: &UserId,
        post_id: &PostId,
        day: chrono::NaiveDate,
        metrics: Metrics,
    ) -> StoreResult<()> {
        let conn = self.writer.lock();
        if find_post(&conn, user_id, post_id)?.is_none() {
            return Err(StoreError::NotFound("post"));
        }
        let n = |v: u64| v.min(i64::MAX as u64) as i64;
        conn.prepare_cached(
            "INSERT INTO post_metrics (post_id, user_id, day, impressions, members_reached,
                 reactions, comments, reposts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (post_id, day) DO UPDATE SET impressions = excluded.impressions,
                 members_reached = excluded.members_reached, reactions = excluded.reactions,
                 comments = excluded.comments, reposts = excluded.reposts",
        )?
        .execute(params![
            post_id,
            user_id,
            day_to_sql(day),
            n(metrics.impressions),
            n(metrics.members_reached),
            n(metrics.reactions),
            n(metrics.comments),
            n(metrics.reposts)
        ])?;
        Ok(())
    }

    async fn daily_metrics(
        &self,
        user_id: &UserId,
        post_id: Option<&PostId>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> StoreResult<Vec<(chrono::NaiveDate, Metrics)>> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT day, SUM(impressions), SUM(members_reached), SUM(reactions),
                        SUM(comments), SUM(reposts)
                 FROM post_metrics
                 WHERE user_id = ?1 AND (?2 IS NULL OR post_id = ?2) AND day BETWEEN ?3 AND ?4
                 GROUP BY day ORDER BY day",
            )?
            .query_map(
                params![user_id, post_id, day_to_sql(from), day_to_sql(to)],
                |row| {
                    Ok((
                        day_from_sql(&row.get::<_, String>(0)?)?,
                        Metrics {
                            impressions: metric(row, 1)?,
                            members_reached: metric(row, 2)?,
                            reactions: metric(row, 3)?,
                            comments: metric(row, 4)?,
                            reposts: metric(row, 5)?,
                        },
                    ))
                },
            )?
            .collect()
        })
    }

    async fn count_published(
        &self,
        user_id: &UserId,
        from_ms: i64,
        until_ms: i64,
    ) -> StoreResult<u64> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT COUNT(*) FROM posts
                 WHERE user_id = ?1 AND published_at >= ?2 AND published_at < ?3",
            )?
            .query_row(params![user_id, from_ms, until_ms], |row| metric(row, 0))
        })
    }

    async fn post_totals(
        &self,
        user_id: &UserId,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        from_ms: i64,
        until_ms: i64,
    ) -> StoreResult<Vec<(Post, Metrics)>> {
        // The range's sums per post from the covering index, then joined to the posts: one
        // pass over the figures instead of a lookup of each post's rows.
        self.read(|conn| {
            conn.prepare_cached(&format!(
                "WITH sums AS (
                     SELECT post_id, SUM(impressions) AS impressions,
                            SUM(members_reached) AS members_reached, SUM(reactions) AS reactions,
                            SUM(comments) AS comments, SUM(reposts) AS reposts
                     FROM post_metrics WHERE user_id = ?1 AND day BETWEEN ?2 AND ?3
                     GROUP BY post_id)
                 SELECT {POST_COLUMNS}, COALESCE(s.impressions, 0),
                        COALESCE(s.members_reached, 0), COALESCE(s.reactions, 0),
                        COALESCE(s.comments, 0), COALESCE(s.reposts, 0)
                 FROM posts LEFT JOIN sums s ON s.post_id = posts.id
                 WHERE posts.user_id = ?1 AND posts.published_at IS NOT NULL
                   AND ((posts.published_at >= ?4 AND posts.published_at < ?5)
                        OR s.post_id IS NOT NULL)"
            ))?
            .query_map(
                params![user_id, day_to_sql(from), day_to_sql(to), from_ms, until_ms],
                |row| {
                    Ok((
                        post_from_row(row)?,
                        Metrics {
                            impressions: metric(row, 12)?,
                            members_reached: metric(row, 13)?,
                            reactions: metric(row, 14)?,
                            comments: metric(row, 15)?,
                            reposts: metric(row, 16)?,
                        },
                    ))
                },
            )?
            .collect()
        })
    }
}
