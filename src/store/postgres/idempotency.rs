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
impl IdempotencyStore for PostgresStore {
    async fn begin_idempotent(
        &self,
        api_key_id: &KeyId,
        idem_key: &str,
        fingerprint: &str,
        now: i64,
        expired_before: i64,
    ) -> StoreResult<IdempotencyBegin> {
        todo!("PostgreSQL")
    }

    async fn complete_idempotent(
        &self,
        api_key_id: &KeyId,
        idem_key: &str,
        response: &StoredResponse,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn release_idempotent(&self, api_key_id: &KeyId, idem_key: &str) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
}
