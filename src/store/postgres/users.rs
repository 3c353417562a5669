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
impl UserStore for PostgresStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<User> {
        todo!("PostgreSQL")
    }

    async fn user_by_id(&self, user_id: &UserId) -> StoreResult<User> {
        todo!("PostgreSQL")
    }

    async fn set_plan(&self, user_id: &UserId, plan: Plan) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn update_profile(
        &self,
        user_id: &UserId,
        name: &str,
        timezone: &str,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn count_users(&self) -> StoreResult<u64> {
        todo!("PostgreSQL")
    }

    async fn create_owner(&self, user: &User, password_hash: &str) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn password_hash(&self, user_id: &UserId) -> StoreResult<Option<String>> {
        todo!("PostgreSQL")
    }

    async fn set_password(
        &self,
        user_id: &UserId,
        password_hash: &str,
        now: i64,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
}
