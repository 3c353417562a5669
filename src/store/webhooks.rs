//! Webhooks: subscriptions, the outbox of events and the queue of their deliveries.
//!
//! Events are written by the store itself, in the transaction of the change they describe (see
//! [`EventPayloads`]), so an acknowledged change always has its events. The queue holds one
//! message per (event, subscription); a worker claims due messages under a lease, sends them and
//! records each attempt.

use async_trait::async_trait;

use crate::domain::time::rfc3339;
use crate::domain::webhook::{EventFilter, EventType};
use crate::domain::{DeliveryId, EventId, KeyId, Scopes, UserId, WebhookId};

use super::publishing::LinkedInAccount;
use super::{Idea, Post, StoreResult};

/// How events describe the records they are about: "the resource exactly as the API returns
/// it". The API provides it; the store calls it inside its transactions, so it must not block.
pub trait EventPayloads: Send + Sync {
    /// A post, as `GET /posts/{id}` shows it.
    fn post(&self, post: &Post) -> serde_json::Value;
    /// An idea, as `GET /ideas/{id}` shows it.
    fn idea(&self, idea: &Idea) -> serde_json::Value;
    /// The LinkedIn connection, as the profile's `linkedin` object shows it at `now`.
    fn linkedin(&self, account: Option<&LinkedInAccount>, now: i64) -> serde_json::Value;
}

/// The body every delivery of an event sends: `{"type", "timestamp", "data"}`.
pub fn event_body(kind: EventType, data: &serde_json::Value, now: i64) -> String {
    serde_json::json!({ "type": kind.as_str(), "timestamp": rfc3339(now), "data": data })
        .to_string()
}

/// A stored subscription. The secret is sealed; only the delivery worker opens it.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: WebhookId,
    pub user_id: UserId,
    /// The API key that created it (`None` from the web app); revoking it disables the webhook.
    pub created_by_key: Option<KeyId>,
    pub url: String,
    pub events: EventFilter,
    /// The read scopes a key needs to see and manage it.
    pub read_scopes: Scopes,
    pub description: Option<String>,
    pub secret_sealed: String,
    pub disabled: bool,
    /// Why it was disabled, when it was not by its owner (`gone`, `failing`, `key_revoked`).
    pub disabled_reason: Option<String>,
    /// The start of the current run of failed attempts.
    pub failing_since: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped on every change; the basis of optimistic concurrency.
    pub version: i64,
}

impl std::fmt::Debug for Webhook {
    /// Without the (sealed) secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// A subscription to store.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub id: WebhookId,
    pub user_id: UserId,
    pub created_by_key: Option<KeyId>,
    pub url: String,
    pub events: EventFilter,
    pub read_scopes: Scopes,
    pub description: Option<String>,
    pub secret_sealed: String,
}

/// The fields a client changes (`PUT`): all of them, replaced.
#[derive(Debug, Clone)]
pub struct WebhookChange {
    pub url: String,
    pub events: EventFilter,
    pub read_scopes: Scopes,
    pub description: Option<String>,
    pub disabled: bool,
}

/// One page of subscriptions and how many there are.
#[derive(Debug, Clone)]
pub struct WebhookPage {
    pub webhooks: Vec<Webhook>,
    pub total: u64,
}

/// One attempt to deliver an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub event_id: EventId,
    pub event_type: String,
    /// 1 for the first attempt of this event at this webhook.
    pub attempt: u32,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
    pub created_at: i64,
}

/// One page of attempts, newest first.
#[derive(Debug, Clone)]
pub struct DeliveryPage {
    pub deliveries: Vec<Delivery>,
    pub total: u64,
}

/// A message a worker holds: everything one attempt needs.
#[derive(Clone)]
pub struct ClaimedMessage {
    pub webhook_id: WebhookId,
    pub event_id: EventId,
    pub event_type: String,
    /// The exact body to send.
    pub body: String,
    /// The number of this attempt (1 for the first).
    pub attempt: u32,
    pub url: String,
    pub secret_sealed: String,
    pub user_id: UserId,
    /// The webhook's current run of failures.
    pub failing_since: Option<i64>,
    /// The worker's claim: only its holder records the outcome.
    pub claim: String,
    /// The message's place in the queue, by which the store finds it again.
    pub message_seq: i64,
}

impl std::fmt::Debug for ClaimedMessage {
    /// Without the body or the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedMessage")
            .field("webhook_id", &self.webhook_id)
            .field("event_id", &self.event_id)
            .field("event_type", &self.event_type)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// A worker's hold on messages: its claim token, taken at `now` until `until` (Unix ms).
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub claim: &'a str,
    pub now: i64,
    pub until: i64,
}

/// How many held messages a claim may reach: per webhook, per account (over all its webhooks)
/// and taken by this claim in all.
#[derive(Debug, Clone, Copy)]
pub struct ClaimBounds {
    pub per_webhook: u32,
    pub per_account: u32,
    pub limit: u32,
}

/// What happens to a message after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// The receiver took it.
    Delivered,
    /// Try again at this time (Unix ms).
    RetryAt(i64),
    /// No attempts left.
    GiveUp,
}

/// The outcome of one attempt, to record.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub delivery_id: DeliveryId,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
    pub at: i64,
    pub next: NextStep,
    /// Disable the webhook, for this reason (`gone`: 410; `failing`: failing for days).
    pub disable: Option<&'static str>,
}

/// Subscriptions and their deliveries, always scoped to their owner where a client asks.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a new subscription.
    async fn insert_webhook(&self, new: &NewWebhook, now: i64) -> StoreResult<Webhook>;

    /// One of the user's subscriptions.
    async fn get_webhook(&self, user_id: &UserId, id: &WebhookId) -> StoreResult<Webhook>;

    /// A page of the user's subscriptions that a key with `visible_to` may see, newest first.
    async fn list_webhooks(
        &self,
        user_id: &UserId,
        visible_to: Scopes,
        limit: u32,
        offset: u64,
    ) -> StoreResult<WebhookPage>;

    /// Replaces a subscription's fields if it is still at `version`; `Conflict` otherwise.
    /// Enabling it again clears why it was disabled and its run of failures.
    async fn update_webhook(
        &self,
        user_id: &UserId,
        id: &WebhookId,
        version: i64,
        change: &WebhookChange,
        now: i64,
    ) -> StoreResult<Webhook>;

    /// Deletes a subscription, its queue and its attempts; with `version`, only if it is still
    /// at it.
    async fn delete_webhook(
        &self,
        user_id: &UserId,
        id: &WebhookId,
        version: Option<i64>,
    ) -> StoreResult<()>;

    /// Queues a `webhook.test` event (`body`) for one subscription and claims it at once, for
    /// the caller to send now.
    async fn queue_test_event(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
        event_id: &EventId,
        body: &str,
        lease: Lease<'_>,
    ) -> StoreResult<ClaimedMessage>;

    /// Claims the event of one of the subscription's attempts to send it again now, whatever
    /// its state; `NotFound` for an unknown attempt, `Conflict` while another attempt holds it.
    async fn claim_for_resend(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
        delivery_id: &DeliveryId,
        lease: Lease<'_>,
    ) -> StoreResult<ClaimedMessage>;

    /// Claims up to `bounds.limit` due messages (pending, due, unheld or with a lapsed lease)
    /// of enabled subscriptions whose owner is on a plan with API access, at most
    /// `bounds.per_webhook` held at once per subscription and `bounds.per_account` per owner
    /// (counting the ones already held), oldest first; new events are fanned out first. A message never attempted is due `first_delay_ms` after it was queued (the
    /// first entry of the retry schedule).
    async fn claim_due_messages(
        &self,
        lease: Lease<'_>,
        first_delay_ms: i64,
        bounds: ClaimBounds,
    ) -> StoreResult<Vec<ClaimedMessage>>;

    /// Records an attempt of a held message and moves the message on (only while `claim`
    /// still holds it: a late worker does not undo another's outcome); keeps the webhook's
    /// run of failures and disables it when asked.
    async fn record_attempt(
        &self,
        message: &ClaimedMessage,
        outcome: &AttemptOutcome,
    ) -> StoreResult<()>;

    /// Hands back a message `claim` holds but will not finish (its worker is shutting down):
    /// due again for any worker at once, its attempts unchanged. Nothing when `claim` no longer
    /// holds it.
    async fn release_message(&self, message_seq: i64, claim: &str) -> StoreResult<()>;

    /// A page of a subscription's attempts, newest first.
    async fn list_deliveries(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<DeliveryPage>;

    /// Deletes attempts, and finished messages and their events, older than `before`; how many
    /// rows went.
    async fn purge_webhook_records(&self, before: i64) -> StoreResult<u64>;

    /// Emits `linkedin.token_expiring` for every connection whose token ends before `before`
    /// and has not been warned about yet; how many were warned.
    async fn warn_expiring_tokens(&self, before: i64, now: i64) -> StoreResult<u64>;
}
