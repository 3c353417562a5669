//! Who is calling and what they may do: the [`ApiKey`] the authentication middleware found, and
//! [`Scoped`], which also holds the scopes a handler needs, so they show in its signature.
//!
//! A handler takes `Scoped<…>` after its path, query and header extractors and before its body:
//! axum runs extractors in that order, so a key without the scope is refused (403) before the
//! body is read, and a malformed path or query is still answered first, as before.

use std::marker::PhantomData;
use std::ops::Deref;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::domain::{KeyId, Scope, Scopes, UserId};

use super::error::ApiError;

/// The authenticated key behind a request, put there by the authentication middleware.
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// The key's id.
    pub id: KeyId,
    /// The owner's id; every query is scoped to it.
    pub user_id: UserId,
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

/// What a handler needs: one scope marker below, or a pair of them (both needed).
pub trait RequiredScopes {
    /// Refuses with 403, naming the first scope `key` lacks.
    fn check(key: &ApiKey) -> Result<(), ApiError>;
}

macro_rules! scope_markers {
    ($($scope:ident),* $(,)?) => {
        $(
            #[doc = concat!("Needs [`Scope::", stringify!($scope), "`].")]
            #[derive(Debug, Clone, Copy)]
            pub struct $scope;

            impl RequiredScopes for $scope {
                fn check(key: &ApiKey) -> Result<(), ApiError> {
                    key.require(Scope::$scope)
                }
            }
        )*
    };
}

scope_markers!(
    PostsRead,
    PostsWrite,
    PostsDelete,
    IdeasRead,
    IdeasWrite,
    AnalyticsRead,
    ProfileRead,
);

impl<A: RequiredScopes, B: RequiredScopes> RequiredScopes for (A, B) {
    fn check(key: &ApiKey) -> Result<(), ApiError> {
        A::check(key)?;
        B::check(key)
    }
}

/// The calling key, known to hold the scopes `S`; derefs to the [`ApiKey`].
#[derive(Debug, Clone)]
pub struct Scoped<S> {
    key: ApiKey,
    needs: PhantomData<S>,
}

impl<S> Deref for Scoped<S> {
    type Target = ApiKey;

    fn deref(&self) -> &ApiKey {
        &self.key
    }
}

impl<S: RequiredScopes> Scoped<S> {
    /// `key`, if it holds the scopes `S`; otherwise the 403 naming the first one it lacks.
    /// The extractor below and the MCP tools both go through here.
    pub fn check(key: ApiKey) -> Result<Self, ApiError> {
        S::check(&key)?;
        Ok(Self {
            key,
            needs: PhantomData,
        })
    }
}

impl<S: RequiredScopes, St: Send + Sync> FromRequestParts<St> for Scoped<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, ApiError> {
        Self::check(ApiKey::from_request_parts(parts, state).await?)
    }
}
