//! API keys as stored (never the secret) and the lookup authentication makes.

use async_trait::async_trait;

use crate::domain::{KeyId, Plan, Scopes, UserId};

use super::StoreResult;

/// An API key as stored: never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub id: KeyId,
    pub user_id: UserId,
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
    pub id: KeyId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub hash: String,
    pub scopes: Scopes,
    pub created_at: i64,
}

/// What authentication needs to know about a key, found by its hash in one query.
#[derive(Debug, Clone)]
pub struct KeyAuth {
    pub key_id: KeyId,
    pub user_id: UserId,
    pub scopes: Scopes,
    pub plan: Plan,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

/// API keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a new key.
    async fn insert_key(&self, key: &NewKey) -> StoreResult<()>;

    /// The key with this hash, revoked or not, with its owner's plan.
    async fn key_for_auth(&self, hash: &str) -> StoreResult<Option<KeyAuth>>;

    /// Records a use of the key unless one at or after `unless_since` is already recorded.
    async fn touch_key(&self, key_id: &KeyId, now: i64, unless_since: i64) -> StoreResult<()>;

    /// A user's keys, revoked ones included, oldest first.
    async fn list_keys(&self, user_id: &UserId) -> StoreResult<Vec<KeyRecord>>;

    /// One key by id.
    async fn key_by_id(&self, key_id: &KeyId) -> StoreResult<KeyRecord>;

    /// Revokes a key (revoking twice keeps the first time) and disables the webhooks it created.
    async fn revoke_key(&self, key_id: &KeyId, now: i64) -> StoreResult<KeyRecord>;
}
