//! PostgreSQL: to be written (stub).
#![allow(unused_variables, unused_imports)]

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::domain::analytics::Metrics;
use crate::domain::idea::IdeaFields;
use crate::domain::post::{PostFields, PostStatus};
use crate::domain::*;
use crate::store::publishing::*;
use crate::store::webhooks::*;
use crate::store::*;

use super::PostgresStore;

#[async_trait]
impl MetricStore for PostgresStore {
    async fn record_post_metrics(
        &self,
        user_id: &UserId,
        post_id: &PostId,
        day: NaiveDate,
        metrics: Metrics,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn daily_metrics(
        &self,
        user_id: &UserId,
        post_id: Option<&PostId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, Metrics)>> {
        todo!("PostgreSQL")
    }

    async fn count_published(
        &self,
        user_id: &UserId,
        from_ms: i64,
        until_ms: i64,
    ) -> StoreResult<u64> {
        todo!("PostgreSQL")
    }

    async fn post_totals(
        &self,
        user_id: &UserId,
        from: NaiveDate,
        to: NaiveDate,
        from_ms: i64,
        until_ms: i64,
    ) -> StoreResult<Vec<(Post, Metrics)>> {
        todo!("PostgreSQL")
    }
}
