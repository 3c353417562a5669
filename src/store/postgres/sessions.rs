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
impl SessionStore for PostgresStore {
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(SessionRecord, User)>> {
        todo!("PostgreSQL")
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn delete_other_sessions(&self, user_id: &UserId, keep_hash: &str) -> StoreResult<u64> {
        todo!("PostgreSQL")
    }

    async fn delete_sessions(&self, user_id: &UserId) -> StoreResult<u64> {
        todo!("PostgreSQL")
    }
}
