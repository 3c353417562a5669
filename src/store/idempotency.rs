//! Idempotency records: the stored response of a request made with an `Idempotency-Key`.

use async_trait::async_trait;

use crate::domain::KeyId;

use super::StoreResult;

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

/// Idempotency-Key records, per API key.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Looks up an Idempotency-Key of an API key, first forgetting every record created before
    /// `expired_before`; creates an in-progress record when there is none.
    async fn begin_idempotent(
        &self,
        api_key_id: &KeyId,
        idem_key: &str,
        fingerprint: &str,
        now: i64,
        expired_before: i64,
    ) -> StoreResult<IdempotencyBegin>;

    /// Stores the response of a request begun with [`Store::begin_idempotent`].
    async fn complete_idempotent(
        &self,
        api_key_id: &KeyId,
        idem_key: &str,
        response: &StoredResponse,
    ) -> StoreResult<()>;

    /// Forgets an in-progress record, so the key can be used again.
    async fn release_idempotent(&self, api_key_id: &KeyId, idem_key: &str) -> StoreResult<()>;
}
