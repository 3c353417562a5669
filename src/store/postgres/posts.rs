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
impl PostStore for PostgresStore {
    async fn insert_post(
        &self,
        user_id: &UserId,
        id: &PostId,
        fields: &PostFields,
        now: i64,
    ) -> StoreResult<Post> {
        todo!("PostgreSQL")
    }

    async fn get_post(&self, user_id: &UserId, id: &PostId) -> StoreResult<Post> {
        todo!("PostgreSQL")
    }

    async fn list_posts(
        &self,
        user_id: &UserId,
        status: Option<PostStatus>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<PostPage> {
        todo!("PostgreSQL")
    }

    async fn update_post(
        &self,
        user_id: &UserId,
        id: &PostId,
        version: i64,
        fields: &PostFields,
        now: i64,
    ) -> StoreResult<Post> {
        todo!("PostgreSQL")
    }

    async fn delete_post(
        &self,
        user_id: &UserId,
        id: &PostId,
        version: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn mark_published(&self, user_id: &UserId, id: &PostId, now: i64) -> StoreResult<Post> {
        todo!("PostgreSQL")
    }
}
