//! Who is calling: the [`ApiKey`] the authentication middleware found, as an extractor.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::domain::{Scope, Scopes};

use super::error::ApiError;

/// The authenticated key behind a request, put there by the authentication middleware.
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// The key's id.
    pub id: String,
    /// The owner's id; every query is scoped to it.
    pub user_id: String,
    /// What the key may do.
    pub scopes: Scopes,
}

impl ApiKey {
    /// Refuses with 403 unless the key holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::MissingScope(scope))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<ApiKey>()
            .cloned()
            .ok_or(ApiError::Unauthorized("missing API key"))
    }
}
