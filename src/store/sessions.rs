//! Browser sessions of the web app, found by the hash of their token.

use async_trait::async_trait;

use crate::domain::UserId;

use super::{StoreResult, User};

/// A signed-in browser session. The token itself is never stored, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user_id: UserId,
    /// The synchronizer token the session's forms must send back.
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Web sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
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
    async fn delete_other_sessions(&self, user_id: &UserId, keep_hash: &str) -> StoreResult<u64>;
    /// Ends every session of the user; returns how many ended.
    async fn delete_sessions(&self, user_id: &UserId) -> StoreResult<u64>;
}
