//! [`MeteredStore`]: times every store call, by operation and backend, around the real store;
//! wrapped only when metrics are on, so a server without them pays nothing.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use chrono::NaiveDate;

use super::STORE_DURATION;
use crate::domain::analytics::Metrics;
use crate::domain::idea::IdeaFields;
use crate::domain::post::{PostFields, PostStatus};
use crate::domain::{DeliveryId, EventId, KeyId, Plan, PostId, Scopes, UserId, WebhookId};
use crate::store::publishing::{ClaimNow, ClaimedPost, Failure, LinkedInAccount, PublishingStore};
use crate::store::webhooks::{
    AttemptOutcome, ClaimBounds, ClaimedMessage, DeliveryPage, Lease, NewWebhook, Webhook,
    WebhookChange, WebhookPage, WebhookStore,
};
use crate::store::{
    Idea, IdeaPage, IdeaStore, IdempotencyBegin, IdempotencyStore, KeyAuth, KeyRecord, KeyStore,
    MetricStore, NewKey, Post, PostPage, PostStore, QueueDepths, SecretStore, SessionRecord,
    SessionStore, Store, StoreError, StoreResult, StoredResponse, User, UserStore,
};

/// A store that forwards every call to `inner` and records how long it took; results and
/// errors pass through untouched.
pub struct MeteredStore {
    inner: Arc<dyn Store>,
    backend: &'static str,
}

impl MeteredStore {
    /// `inner`, timed; `backend` (`sqlite`, `postgres`) labels its series.
    pub fn wrap(inner: Arc<dyn Store>, backend: &'static str) -> Arc<dyn Store> {
        Arc::new(Self { inner, backend })
    }

    async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let started = Instant::now();
        let result = call.await;
        // Not found and conflicts are answers, not failures: only `error` says the database
        // is in trouble.
        let outcome = match &result {
            Ok(_) => "ok",
            Err(StoreError::NotFound(_)) => "not_found",
            Err(StoreError::Conflict(_)) => "conflict",
            Err(StoreError::Other(_)) => "error",
        };
        metrics::histogram!(
            STORE_DURATION,
            "operation" => operation,
            "backend" => self.backend,
            "outcome" => outcome,
        )
        .record(started.elapsed().as_secs_f64());
        result
    }
}

/// Implements `$area` by forwarding each listed method, timed under its own name.
macro_rules! metered {
    ($area:path { $($method:ident($($arg:ident: $ty:ty),*) -> $out:ty;)* }) => {
        #[async_trait]
        impl $area for MeteredStore {
            $(
                async fn $method(&self, $($arg: $ty),*) -> StoreResult<$out> {
                    self.timed(stringify!($method), self.inner.$method($($arg),*)).await
                }
            )*
        }
    };
}

metered!(Store {
    ping() -> ();
    queue_depths(now: i64, first_delay_ms: i64) -> QueueDepths;
});

metered!(UserStore {
    create_user(user: &User) -> ();
    user_by_email(email: &str) -> User;
    user_by_id(user_id: &UserId) -> User;
    set_plan(user_id: &UserId, plan: Plan) -> ();
    update_profile(user_id: &UserId, name: &str, timezone: &str) -> ();
    count_users() -> u64;
    create_owner(user: &User, password_hash: &str) -> ();
    password_hash(user_id: &UserId) -> Option<String>;
    set_password(user_id: &UserId, password_hash: &str, now: i64) -> ();
});

metered!(KeyStore {
    insert_key(key: &NewKey) -> ();
    key_for_auth(hash: &str) -> Option<KeyAuth>;
    touch_key(key_id: &KeyId, now: i64, unless_since: i64) -> ();
    list_keys(user_id: &UserId) -> Vec<KeyRecord>;
    key_by_id(key_id: &KeyId) -> KeyRecord;
    revoke_key(key_id: &KeyId, now: i64) -> KeyRecord;
});

metered!(PostStore {
    insert_post(user_id: &UserId, id: &PostId, fields: &PostFields, now: i64) -> Post;
    get_post(user_id: &UserId, id: &PostId) -> Post;
    list_posts(user_id: &UserId, status: Option<PostStatus>, limit: u32, offset: u64) -> PostPage;
    update_post(user_id: &UserId, id: &PostId, version: i64, fields: &PostFields, now: i64) -> Post;
    delete_post(user_id: &UserId, id: &PostId, version: Option<i64>, now: i64) -> ();
    mark_published(user_id: &UserId, id: &PostId, now: i64) -> Post;
});

metered!(IdeaStore {
    insert_idea(user_id: &UserId, id: &str, fields: &IdeaFields, now: i64) -> Idea;
    get_idea(user_id: &UserId, id: &str) -> Idea;
    idea_of_post(user_id: &UserId, post_id: &PostId) -> Option<Idea>;
    list_ideas(user_id: &UserId, tag: Option<&str>, limit: u32, offset: u64) -> IdeaPage;
    update_idea(user_id: &UserId, id: &str, version: i64, fields: &IdeaFields, now: i64) -> Idea;
    delete_idea(user_id: &UserId, id: &str, version: Option<i64>, now: i64) -> ();
    convert_idea(
        user_id: &UserId, idea_id: &str, version: i64, post_id: &PostId, post: &PostFields, now: i64
    ) -> (Idea, Post);
});

metered!(MetricStore {
    record_post_metrics(user_id: &UserId, post_id: &PostId, day: NaiveDate, metrics: Metrics) -> ();
    daily_metrics(
        user_id: &UserId, post_id: Option<&PostId>, from: NaiveDate, to: NaiveDate
    ) -> Vec<(NaiveDate, Metrics)>;
    count_published(user_id: &UserId, from_ms: i64, until_ms: i64) -> u64;
    post_totals(
        user_id: &UserId, from: NaiveDate, to: NaiveDate, from_ms: i64, until_ms: i64
    ) -> Vec<(Post, Metrics)>;
});

metered!(IdempotencyStore {
    begin_idempotent(
        api_key_id: &KeyId, idem_key: &str, fingerprint: &str, now: i64, expired_before: i64
    ) -> IdempotencyBegin;
    complete_idempotent(api_key_id: &KeyId, idem_key: &str, response: &StoredResponse) -> ();
    release_idempotent(api_key_id: &KeyId, idem_key: &str) -> ();
});

metered!(SessionStore {
    insert_session(session: &SessionRecord) -> ();
    session_user(token_hash: &str, now: i64) -> Option<(SessionRecord, User)>;
    delete_session(token_hash: &str) -> ();
    delete_other_sessions(user_id: &UserId, keep_hash: &str) -> u64;
    delete_sessions(user_id: &UserId) -> u64;
});

metered!(SecretStore {
    server_secret(name: &str, fresh: &[u8], now: i64) -> Vec<u8>;
});

metered!(PublishingStore {
    save_linkedin_account(account: &LinkedInAccount) -> ();
    linkedin_account(user_id: &UserId) -> Option<LinkedInAccount>;
    linkedin_account_users() -> Vec<UserId>;
    delete_linkedin_account(user_id: &UserId, now: i64) -> bool;
    mark_needs_reconnect(user_id: &UserId, now: i64) -> ();
    save_oauth_state(state_hash: &str, session_hash: &str, user_id: &UserId, expires_at: i64) -> ();
    take_oauth_state(state_hash: &str, now: i64) -> Option<(String, UserId)>;
    next_due_at() -> Option<i64>;
    due_post_ids(now: i64, limit: u32) -> Vec<PostId>;
    claim_due_post(post_id: &PostId, claim: &str, now: i64, lease_until: i64) -> Option<ClaimedPost>;
    claim_post_now(
        user_id: &UserId, post_id: &PostId, claim: &str, now: i64, lease_until: i64
    ) -> ClaimNow;
    renew_claim(post_id: &PostId, claim: &str, lease_until: i64) -> bool;
    mark_in_doubt(post_id: &PostId, claim: &str) -> ();
    finish_published(post_id: &PostId, claim: &str, urn: &str, at: i64) -> Option<Post>;
    finish_failed(post_id: &PostId, claim: &str, failure: &Failure) -> Option<Post>;
    release_for_retry(post_id: &PostId, claim: &str, retry_at: i64, retry_since: i64) -> ();
    published_with_urn(user_id: &UserId, since: i64) -> Vec<(PostId, String, i64)>;
    replace_post_metrics(user_id: &UserId, post_id: &PostId, days: &[(NaiveDate, Metrics)]) -> ();
});

metered!(WebhookStore {
    insert_webhook(new: &NewWebhook, now: i64) -> Webhook;
    get_webhook(user_id: &UserId, id: &WebhookId) -> Webhook;
    list_webhooks(user_id: &UserId, visible_to: Scopes, limit: u32, offset: u64) -> WebhookPage;
    update_webhook(
        user_id: &UserId, id: &WebhookId, version: i64, change: &WebhookChange, now: i64
    ) -> Webhook;
    delete_webhook(user_id: &UserId, id: &WebhookId, version: Option<i64>) -> ();
    queue_test_event(
        user_id: &UserId, webhook_id: &WebhookId, event_id: &EventId, body: &str, lease: Lease<'_>
    ) -> ClaimedMessage;
    claim_for_resend(
        user_id: &UserId, webhook_id: &WebhookId, delivery_id: &DeliveryId, lease: Lease<'_>
    ) -> ClaimedMessage;
    claim_due_messages(lease: Lease<'_>, first_delay_ms: i64, bounds: ClaimBounds)
        -> Vec<ClaimedMessage>;
    record_attempt(message: &ClaimedMessage, outcome: &AttemptOutcome) -> ();
    release_message(message_seq: i64, claim: &str) -> ();
    list_deliveries(user_id: &UserId, webhook_id: &WebhookId, limit: u32, offset: u64)
        -> DeliveryPage;
    purge_webhook_records(before: i64) -> u64;
    warn_expiring_tokens(before: i64, now: i64) -> u64;
});
