//! Query-string parsing whose errors use the envelope and say what is allowed.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

use crate::api::error::ApiError;

/// The query string as name → value, with helpers that validate one parameter each.
#[derive(Debug, Default)]
pub struct QueryParams(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                ApiError::bad_request("INVALID_PARAMETER", "the query string is malformed")
            })?;
        Ok(Self(map))
    }
}

/// Pagination as the API defines it: `limit` 1–100 (default 20), `offset` ≥ 0 (default 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u64,
}

impl QueryParams {
    /// Parameters given by name, as the MCP tools pass their arguments.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    /// Refuses parameters outside `allowed`, so typos are caught rather than ignored.
    pub fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        let mut unknown: Vec<&str> = self
            .0
            .keys()
            .map(String::as_str)
            .filter(|name| !allowed.contains(name))
            .collect();
        unknown.sort_unstable();
        match unknown.first() {
            None => Ok(()),
            Some(name) => Err(ApiError::bad_request(
                "INVALID_PARAMETER",
                format!(
                    "unknown query parameter {name:?}; allowed: {}",
                    allowed.join(", ")
                ),
            )),
        }
    }

    /// The raw value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `limit` and `offset`.
    pub fn page(&self) -> Result<Page, ApiError> {
        let limit = match self.get("limit") {
            None => 20,
            Some(raw) => raw
                .parse()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "INVALID_PARAMETER",
                        format!("limit must be an integer from 1 to 100, got {raw:?}"),
                    )
                })?,
        };
        let offset = match self.get("offset") {
            None => 0,
            Some(raw) => raw
                .parse()
                .ok()
                .filter(|n| *n <= i64::MAX as u64)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "INVALID_PARAMETER",
                        format!("offset must be a non-negative integer, got {raw:?}"),
                    )
                })?,
        };
        Ok(Page { limit, offset })
    }
}
