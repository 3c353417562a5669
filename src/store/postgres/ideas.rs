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
impl IdeaStore for PostgresStore {
    async fn insert_idea(
        &self,
        user_id: &UserId,
        id: &str,
        fields: &IdeaFields,
        now: i64,
    ) -> StoreResult<Idea> {
        todo!("PostgreSQL")
    }

    async fn get_idea(&self, user_id: &UserId, id: &str) -> StoreResult<Idea> {
        todo!("PostgreSQL")
    }

    async fn idea_of_post(&self, user_id: &UserId, post_id: &PostId) -> StoreResult<Option<Idea>> {
        todo!("PostgreSQL")
    }

    async fn list_ideas(
        &self,
        user_id: &UserId,
        tag: Option<&str>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<IdeaPage> {
        todo!("PostgreSQL")
    }

    async fn update_idea(
        &self,
        user_id: &UserId,
        id: &str,
        version: i64,
        fields: &IdeaFields,
        now: i64,
    ) -> StoreResult<Idea> {
        todo!("PostgreSQL")
    }

    async fn delete_idea(
        &self,
        user_id: &UserId,
        id: &str,
        version: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn convert_idea(
        &self,
        user_id: &UserId,
        idea_id: &str,
        version: i64,
        post_id: &PostId,
        post: &PostFields,
        now: i64,
    ) -> StoreResult<(Idea, Post)> {
        todo!("PostgreSQL")
    }
}
