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
impl KeyStore for PostgresStore {
    async fn insert_key(&self, key: &NewKey) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn key_for_auth(&self, hash: &str) -> StoreResult<Option<KeyAuth>> {
        todo!("PostgreSQL")
    }

    async fn touch_key(&self, key_id: &KeyId, now: i64, unless_since: i64) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn list_keys(&self, user_id: &UserId) -> StoreResult<Vec<KeyRecord>> {
        todo!("PostgreSQL")
    }

    async fn key_by_id(&self, key_id: &KeyId) -> StoreResult<KeyRecord> {
        todo!("PostgreSQL")
    }

    async fn revoke_key(&self, key_id: &KeyId, now: i64) -> StoreResult<KeyRecord> {
        todo!("PostgreSQL")
    }
}
