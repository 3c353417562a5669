//! What the LinkedIn publisher stores: connected accounts, OAuth states, and the claim on a post
//! that makes sure it is sent at most once at a time and never published twice.

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::domain::analytics::Metrics;
use crate::domain::{PostId, UserId};
use crate::store::{Post, StoreResult};

/// A user's connected LinkedIn member. The token is encrypted; only the publisher decrypts it.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkedInAccount {
    pub user_id: UserId,
    /// The member's OpenID `sub`: the author URN is `urn:li:person:{sub}`.
    pub member_sub: String,
    pub member_name: String,
    pub picture_url: Option<String>,
    /// The access token, sealed with the server's key (bound to the user).
    pub token_sealed: String,
    /// Unix ms; `None` when LinkedIn did not say.
    pub token_expires_at: Option<i64>,
    /// What LinkedIn granted, as it said (`openid,profile,w_member_social,…`).
    pub scopes: String,
    /// LinkedIn refused the token (401): nothing is sent until the member reconnects.
    pub needs_reconnect: bool,
    pub connected_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for LinkedInAccount {
    /// Without the (encrypted) token: nothing secret-shaped belongs in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkedInAccount")
            .field("user_id", &self.user_id)
            .field("member_sub", &self.member_sub)
            .field("member_name", &self.member_name)
            .field("token_expires_at", &self.token_expires_at)
            .field("scopes", &self.scopes)
            .field("needs_reconnect", &self.needs_reconnect)
            .finish_non_exhaustive()
    }
}

/// A post the publisher holds: it may send it until `lease_until`, renewing as it goes.
#[derive(Debug, Clone)]
pub struct ClaimedPost {
    pub user_id: UserId,
    pub post: Post,
    /// An earlier attempt may have reached LinkedIn (its holder died, or its answer was lost):
    /// a `DUPLICATE_POST` answer then means that attempt landed.
    pub in_doubt: bool,
    /// The first of the current run of retryable failures, if any.
    pub retry_since: Option<i64>,
}

/// What [`PublishingStore::claim_post_now`] found.
#[derive(Debug, Clone)]
pub enum ClaimNow {
    /// The post is held by this attempt.
    Claimed(Box<ClaimedPost>),
    /// It is published already.
    AlreadyPublished,
    /// Another attempt holds it right now.
    Busy,
}

/// Why a post failed, as stored on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub at: i64,
}

/// The publisher's storage.
#[async_trait]
pub trait PublishingStore: Send + Sync {
    /// Connects (or reconnects) the user's LinkedIn member, replacing any earlier connection.
    async fn save_linkedin_account(&self, account: &LinkedInAccount) -> StoreResult<()>;
    /// The user's connected member, if any.
    async fn linkedin_account(&self, user_id: &UserId) -> StoreResult<Option<LinkedInAccount>>;
    /// Users with a connected member, for the analytics sync.
    async fn linkedin_account_users(&self) -> StoreResult<Vec<UserId>>;
    /// Forgets the user's member and token; whether there was one.
    async fn delete_linkedin_account(&self, user_id: &UserId, now: i64) -> StoreResult<bool>;
    /// Marks the connection as refused by LinkedIn, until the member reconnects.
    async fn mark_needs_reconnect(&self, user_id: &UserId, now: i64) -> StoreResult<()>;

    /// Keeps an OAuth `state` (its hash) for the session that started the round trip.
    async fn save_oauth_state(
        &self,
        state_hash: &str,
        session_hash: &str,
        user_id: &UserId,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// Takes (deletes) an unexpired state and answers its session hash and user; a state is
    /// good for one callback only.
    async fn take_oauth_state(
        &self,
        state_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(String, UserId)>>;

    /// When the publisher must next look: the earliest `due_at` of a scheduled post.
    async fn next_due_at(&self) -> StoreResult<Option<i64>>;
    /// Ids of scheduled posts due at `now` (unheld, or held by an attempt whose lease ran out),
    /// earliest first.
    async fn due_post_ids(&self, now: i64, limit: u32) -> StoreResult<Vec<PostId>>;
    /// Claims a due scheduled post for the attempt `claim`, until `lease_until`; `None` when it
    /// is not due (any more), not scheduled, or held by a live attempt. Atomic: of several
    /// publishers racing for one post, exactly one gets it.
    async fn claim_due_post(
        &self,
        post_id: &PostId,
        claim: &str,
        now: i64,
        lease_until: i64,
    ) -> StoreResult<Option<ClaimedPost>>;
    /// Claims one of the user's draft, scheduled or failed posts to publish it now (it becomes
    /// scheduled for `now` while it is sent, so that a crash leaves it for the scheduler to
    /// finish). `NotFound` for no such post.
    async fn claim_post_now(
        &self,
        user_id: &UserId,
        post_id: &PostId,
        claim: &str,
        now: i64,
        lease_until: i64,
    ) -> StoreResult<ClaimNow>;
    /// Extends the lease of a claim still held; whether it was.
    async fn renew_claim(
        &self,
        post_id: &PostId,
        claim: &str,
        lease_until: i64,
    ) -> StoreResult<bool>;
    /// Records that the request of `claim` is about to be sent or has an unknown outcome.
    async fn mark_in_doubt(&self, post_id: &PostId, claim: &str) -> StoreResult<()>;
    /// The attempt succeeded: the post is published as `urn` at `at`.
    async fn finish_published(
        &self,
        post_id: &PostId,
        claim: &str,
        urn: &str,
        at: i64,
    ) -> StoreResult<Option<Post>>;
    /// The attempt failed for good: the post becomes `failed` with `failure`.
    async fn finish_failed(
        &self,
        post_id: &PostId,
        claim: &str,
        failure: &Failure,
    ) -> StoreResult<Option<Post>>;
    /// The attempt failed for now: the post is due again at `retry_at`, and the run of
    /// retryable failures started at `retry_since`.
    async fn release_for_retry(
        &self,
        post_id: &PostId,
        claim: &str,
        retry_at: i64,
        retry_since: i64,
    ) -> StoreResult<()>;

    /// The user's posts published at or after `since`: (id, LinkedIn URN, published at).
    async fn published_with_urn(
        &self,
        user_id: &UserId,
        since: i64,
    ) -> StoreResult<Vec<(PostId, String, i64)>>;
    /// Replaces every figure of a post with `days` (from LinkedIn's analytics), and sets the
    /// members reached over the post's whole life on its first day.
    async fn replace_post_metrics(
        &self,
        user_id: &UserId,
        post_id: &PostId,
        days: &[(NaiveDate, Metrics)],
    ) -> StoreResult<()>;
}
