//! Analytics rows: one post's figures per UTC day, as the publisher records them.

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::domain::analytics::Metrics;
use crate::domain::{PostId, UserId};

use super::{Post, StoreResult};

/// Per-post, per-day analytics figures.
#[async_trait]
pub trait MetricStore: Send + Sync {
    /// Sets one post's figures for one UTC day (the publisher's step, from LinkedIn's analytics).
    async fn record_post_metrics(
        &self,
        user_id: &UserId,
        post_id: &PostId,
        day: NaiveDate,
        metrics: Metrics,
    ) -> StoreResult<()>;

    /// The user's figures per day from `from` to `to` inclusive, summed over their posts or
    /// for one post; days without rows are left out.
    async fn daily_metrics(
        &self,
        user_id: &UserId,
        post_id: Option<&PostId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, Metrics)>>;

    /// How many of the user's posts were published in `[from_ms, until_ms)`.
    async fn count_published(
        &self,
        user_id: &UserId,
        from_ms: i64,
        until_ms: i64,
    ) -> StoreResult<u64>;

    /// The user's published posts that were published in `[from_ms, until_ms)` or have figures
    /// from `from` to `to`, each with its figures over those days (zeros when it has none).
    async fn post_totals(
        &self,
        user_id: &UserId,
        from: NaiveDate,
        to: NaiveDate,
        from_ms: i64,
        until_ms: i64,
    ) -> StoreResult<Vec<(Post, Metrics)>>;
}
