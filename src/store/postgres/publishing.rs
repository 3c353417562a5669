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
impl PublishingStore for PostgresStore {
    async fn save_linkedin_account(&self, account: &LinkedInAccount) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn linkedin_account(&self, user_id: &UserId) -> StoreResult<Option<LinkedInAccount>> {
        todo!("PostgreSQL")
    }

    async fn linkedin_account_users(&self) -> StoreResult<Vec<UserId>> {
        todo!("PostgreSQL")
    }

    async fn delete_linkedin_account(&self, user_id: &UserId, now: i64) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }

    async fn mark_needs_reconnect(&self, user_id: &UserId, now: i64) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn save_oauth_state(
        &self,
        state_hash: &str,
        session_hash: &str,
        user_id: &UserId,
        expires_at: i64,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn take_oauth_state(
        &self,
        state_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(String, UserId)>> {
        todo!("PostgreSQL")
    }

    async fn next_due_at(&self) -> StoreResult<Option<i64>> {
        todo!("PostgreSQL")
    }

    async fn due_post_ids(&self, now: i64, limit: u32) -> StoreResult<Vec<PostId>> {
        todo!("PostgreSQL")
    }

    async fn claim_due_post(
        &self,
        post_id: &PostId,
        claim: &str,
        now: i64,
        lease_until: i64,
    ) -> StoreResult<Option<ClaimedPost>> {
        todo!("PostgreSQL")
    }

    async fn claim_post_now(
        &self,
        user_id: &UserId,
        post_id: &PostId,
        claim: &str,
        now: i64,
        lease_until: i64,
    ) -> StoreResult<ClaimNow> {
        todo!("PostgreSQL")
    }

    async fn renew_claim(
        &self,
        post_id: &PostId,
        claim: &str,
        lease_until: i64,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL")
    }

    async fn mark_in_doubt(&self, post_id: &PostId, claim: &str) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn finish_published(
        &self,
        post_id: &PostId,
        claim: &str,
        urn: &str,
        at: i64,
    ) -> StoreResult<Option<Post>> {
        todo!("PostgreSQL")
    }

    async fn finish_failed(
        &self,
        post_id: &PostId,
        claim: &str,
        failure: &Failure,
    ) -> StoreResult<Option<Post>> {
        todo!("PostgreSQL")
    }

    async fn release_for_retry(
        &self,
        post_id: &PostId,
        claim: &str,
        retry_at: i64,
        retry_since: i64,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn published_with_urn(
        &self,
        user_id: &UserId,
        since: i64,
    ) -> StoreResult<Vec<(PostId, String, i64)>> {
        todo!("PostgreSQL")
    }

    async fn replace_post_metrics(
        &self,
        user_id: &UserId,
        post_id: &PostId,
        days: &[(NaiveDate, Metrics)],
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }
}
