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
impl WebhookStore for PostgresStore {
    async fn insert_webhook(&self, new: &NewWebhook, now: i64) -> StoreResult<Webhook> {
        todo!("PostgreSQL")
    }

    async fn get_webhook(&self, user_id: &UserId, id: &WebhookId) -> StoreResult<Webhook> {
        todo!("PostgreSQL")
    }

    async fn list_webhooks(
        &self,
        user_id: &UserId,
        visible_to: Scopes,
        limit: u32,
        offset: u64,
    ) -> StoreResult<WebhookPage> {
        todo!("PostgreSQL")
    }

    async fn update_webhook(
        &self,
        user_id: &UserId,
        id: &WebhookId,
        version: i64,
        change: &WebhookChange,
        now: i64,
    ) -> StoreResult<Webhook> {
        todo!("PostgreSQL")
    }

    async fn delete_webhook(
        &self,
        user_id: &UserId,
        id: &WebhookId,
        version: Option<i64>,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn queue_test_event(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
        event_id: &EventId,
        body: &str,
        lease: Lease<'_>,
    ) -> StoreResult<ClaimedMessage> {
        todo!("PostgreSQL")
    }

    async fn claim_for_resend(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
        delivery_id: &DeliveryId,
        lease: Lease<'_>,
    ) -> StoreResult<ClaimedMessage> {
        todo!("PostgreSQL")
    }

    async fn claim_due_messages(
        &self,
        lease: Lease<'_>,
        first_delay_ms: i64,
        bounds: ClaimBounds,
    ) -> StoreResult<Vec<ClaimedMessage>> {
        todo!("PostgreSQL")
    }

    async fn record_attempt(
        &self,
        message: &ClaimedMessage,
        outcome: &AttemptOutcome,
    ) -> StoreResult<()> {
        todo!("PostgreSQL")
    }

    async fn list_deliveries(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<DeliveryPage> {
        todo!("PostgreSQL")
    }

    async fn purge_webhook_records(&self, before: i64) -> StoreResult<u64> {
        todo!("PostgreSQL")
    }

    async fn warn_expiring_tokens(&self, before: i64, now: i64) -> StoreResult<u64> {
        todo!("PostgreSQL")
    }
}
