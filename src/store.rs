//! The storage interface. Handlers see only this trait; all SQL lives in `store/`.

pub mod sqlite;

use async_trait::async_trait;

use chrono::NaiveDate;

use crate::auth::Scopes;
use crate::domain::analytics::Metrics;
use crate::domain::idea::IdeaFields;
use crate::domain::post::{PostFields, PostStatus};

/// What a store call can fail with; each backend maps its own errors onto these.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record (for this owner).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change conflicts with what is stored (a duplicate, a concurrent change).
    #[error("{0}")]
    Conflict(String),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// A subscription plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Free,
    Pro,
    Business,
}

impl Plan {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Pro => "pro",
            Plan::Business => "business",
        }
    }
}

impl std::str::FromStr for Plan {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "free" => Ok(Plan::Free),
            "pro" => Ok(Plan::Pro),
            "business" => Ok(Plan::Business),
            _ => Err(format!("unknown plan {s:?}; plans: free, pro, business")),
        }
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub plan: Plan,
    pub timezone: String,
    pub created_at: i64,
}

/// An API key as stored: never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Scopes,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A new key to store.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub hash: String,
    pub scopes: Scopes,
    pub created_at: i64,
}

/// What authentication needs to know about a key, found by its hash in one query.
#[derive(Debug, Clone)]
pub struct KeyAuth {
    pub key_id: String,
    pub user_id: String,
    pub scopes: Scopes,
    pub plan: Plan,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

/// A stored post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: String,
    pub fields: PostFields,
    pub published_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped on every change; the basis of optimistic concurrency.
    pub version: i64,
}

/// One page of posts and the number of posts matching the filter.
#[derive(Debug, Clone)]
pub struct PostPage {
    pub posts: Vec<Post>,
    pub total: u64,
}

/// A stored idea.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idea {
    pub id: String,
    pub fields: IdeaFields,
    /// The post the idea was converted into, while that post exists.
    pub post_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped on every change; the basis of optimistic concurrency.
    pub version: i64,
}

/// One page of ideas and the number of ideas matching the filter.
#[derive(Debug, Clone)]
pub struct IdeaPage {
    pub ideas: Vec<Idea>,
    pub total: u64,
}

/// A response kept for an Idempotency-Key, replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// The headers that describe the body (`content-type`, `etag`, `location`).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What [`Store::begin_idempotent`] found for an Idempotency-Key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// No live record: one was created, marked in progress; the caller runs the request.
    Started,
    /// A request with this key and the same fingerprint is still running.
    InProgress,
    /// The key was used for a different request (method, path or body).
    Mismatch,
    /// The request already completed with this response.
    Completed(StoredResponse),
}

/// A signed-in browser session. The token itself is never stored, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user_id: String,
    /// The synchronizer token the session's forms must send back.
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// The storage interface for every backend.
#[async_trait]
pub trait Store: Send + Sync {
    /// Whether the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// Creates a user; `Conflict` if the email is taken.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    /// The user with this email (case-insensitive).
    async fn user_by_email(&self, email: &str) -> StoreResult<User>;
    /// The user with this id.
    async fn user_by_id(&self, user_id: &str) -> StoreResult<User>;
    /// Changes a user's plan.
    async fn set_plan(&self, user_id: &str, plan: Plan) -> StoreResult<()>;
    /// Changes a user's display name and timezone (an IANA name, validated by the caller).
    async fn update_profile(&self, user_id: &str, name: &str, timezone: &str) -> StoreResult<()>;
    /// How many users there are.
    async fn count_users(&self) -> StoreResult<u64>;

    /// Stores a new key.
    async fn insert_key(&self, key: &NewKey) -> StoreResult<()>;
    /// The key with this hash, revoked or not, with its owner's plan.
    async fn key_for_auth(&self, hash: &str) -> StoreResult<Option<KeyAuth>>;
    /// Records a use of the key unless one at or after `unless_since` is already recorded.
    async fn touch_key(&self, key_id: &str, now: i64, unless_since: i64) -> StoreResult<()>;
    /// A user's keys, revoked ones included, oldest first.
    async fn list_keys(&self, user_id: &str) -> StoreResult<Vec<KeyRecord>>;
    /// One key by id.
    async fn key_by_id(&self, key_id: &str) -> StoreResult<KeyRecord>;
    /// Revokes a key (revoking twice keeps the first time).
    async fn revoke_key(&self, key_id: &str, now: i64) -> StoreResult<KeyRecord>;

    /// Stores a new post for `user_id`.
    async fn insert_post(
        &self,
        user_id: &str,
        id: &str,
        fields: &PostFields,
        now: i64,
    ) -> StoreResult<Post>;
    /// One of the user's posts.
    async fn get_post(&self, user_id: &str, id: &str) -> StoreResult<Post>;
    /// A page of the user's posts, newest first.
    async fn list_posts(
        &self,
        user_id: &str,
        status: Option<PostStatus>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<PostPage>;
    /// Replaces a post's fields if it is still at `version` and not published;
    /// `Conflict` otherwise.
    async fn update_post(
        &self,
        user_id: &str,
        id: &str,
        version: i64,
        fields: &PostFields,
        now: i64,
    ) -> StoreResult<Post>;
    /// Deletes one of the user's posts; with `version`, only if it is still at it.
    async fn delete_post(&self, user_id: &str, id: &str, version: Option<i64>) -> StoreResult<()>;
    /// Marks a post published at `now` (the publisher's step; clients cannot do it).
    async fn mark_published(&self, user_id: &str, id: &str, now: i64) -> StoreResult<Post>;

    /// Stores a new idea for `user_id`.
    async fn insert_idea(
        &self,
        user_id: &str,
        id: &str,
        fields: &IdeaFields,
        now: i64,
    ) -> StoreResult<Idea>;
    /// One of the user's ideas.
    async fn get_idea(&self, user_id: &str, id: &str) -> StoreResult<Idea>;
    /// A page of the user's ideas, newest first, optionally only those carrying `tag`.
    async fn list_ideas(
        &self,
        user_id: &str,
        tag: Option<&str>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<IdeaPage>;
    /// Replaces an idea's fields if it is still at `version`; `Conflict` otherwise.
    async fn update_idea(
        &self,
        user_id: &str,
        id: &str,
        version: i64,
        fields: &IdeaFields,
        now: i64,
    ) -> StoreResult<Idea>;
    /// Deletes one of the user's ideas; with `version`, only if it is still at it.
    async fn delete_idea(&self, user_id: &str, id: &str, version: Option<i64>) -> StoreResult<()>;
    /// In one transaction: creates the draft post `post_id` with `post` and links the idea to
    /// it, if the idea is still at `version` and not yet converted; `Conflict` otherwise.
    async fn convert_idea(
        &self,
        user_id: &str,
        idea_id: &str,
        version: i64,
        post_id: &str,
        post: &PostFields,
        now: i64,
    ) -> StoreResult<(Idea, Post)>;

    /// Sets one post's figures for one UTC day (the publisher's step, from LinkedIn's analytics).
    async fn record_post_metrics(
        &self,
        user_id: &str,
        post_id: &str,
        day: NaiveDate,
        metrics: Metrics,
    ) -> StoreResult<()>;
    /// The user's figures per day from `from` to `to` inclusive, summed over their posts or
    /// for one post; days without rows are left out.
    async fn daily_metrics(
        &self,
        user_id: &str,
        post_id: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, Metrics)>>;
    /// How many of the user's posts were published in `[from_ms, until_ms)`.
    async fn count_published(&self, user_id: &str, from_ms: i64, until_ms: i64)
        -> StoreResult<u64>;

    /// Looks up an Idempotency-Key of an API key, first forgetting every record created before
    /// `expired_before`; creates an in-progress record when there is none.
    async fn begin_idempotent(
        &self,
        api_key_id: &str,
        idem_key: &str,
        fingerprint: &str,
        now: i64,
        expired_before: i64,
    ) -> StoreResult<IdempotencyBegin>;
    /// Stores the response of a request begun with [`Store::begin_idempotent`].
    async fn complete_idempotent(
        &self,
        api_key_id: &str,
        idem_key: &str,
        response: &StoredResponse,
    ) -> StoreResult<()>;
    /// Forgets an in-progress record, so the key can be used again.
    async fn release_idempotent(&self, api_key_id: &str, idem_key: &str) -> StoreResult<()>;

    // --- web app: owner account, passwords, sessions ---

    /// Creates `user` with `password_hash` only if there are no users at all (the first-run
    /// owner); `Conflict` otherwise, also when two requests race.
    async fn create_owner(&self, user: &User, password_hash: &str) -> StoreResult<()>;
    /// The user's password hash (a PHC string), if they have one.
    async fn password_hash(&self, user_id: &str) -> StoreResult<Option<String>>;
    /// Sets or replaces the user's password hash.
    async fn set_password(&self, user_id: &str, password_hash: &str, now: i64) -> StoreResult<()>;
    /// Stores a new session, dropping expired ones on the way.
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()>;
    /// The unexpired session with this token hash, and its user.
    async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(SessionRecord, User)>>;
    /// Ends one session.
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Ends every session of the user except `keep_hash`; returns how many ended.
    async fn delete_other_sessions(&self, user_id: &str, keep_hash: &str) -> StoreResult<u64>;
    /// Ends every session of the user; returns how many ended.
    async fn delete_sessions(&self, user_id: &str) -> StoreResult<u64>;

    // --- server secrets ---

    /// The secret called `name`, the same for every instance on this database: the stored one,
    /// or `fresh` (stored now) if there was none.
    async fn server_secret(&self, name: &str, fresh: &[u8], now: i64) -> StoreResult<Vec<u8>>;
}
