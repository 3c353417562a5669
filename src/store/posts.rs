//! Posts: one user's posts, paged newest first, changed under optimistic concurrency.

use async_trait::async_trait;

use crate::domain::post::{PostFields, PostStatus};
use crate::domain::{PostId, UserId};

use super::StoreResult;

/// A stored post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: PostId,
    pub fields: PostFields,
    pub published_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped on every change; the basis of optimistic concurrency.
    pub version: i64,
    /// The post on LinkedIn, once published by us.
    pub linkedin_urn: Option<String>,
    /// Why the post failed, while its status is `failed`.
    pub failure: Option<super::publishing::Failure>,
}

/// One page of posts and the number of posts matching the filter.
#[derive(Debug, Clone)]
pub struct PostPage {
    pub posts: Vec<Post>,
    pub total: u64,
}

/// Posts, always scoped to their owner.
#[async_trait]
pub trait PostStore: Send + Sync {
    /// Stores a new post for `user_id`.
    async fn insert_post(
        &self,
        user_id: &UserId,
        id: &PostId,
        fields: &PostFields,
        now: i64,
    ) -> StoreResult<Post>;

    /// One of the user's posts.
    async fn get_post(&self, user_id: &UserId, id: &PostId) -> StoreResult<Post>;

    /// A page of the user's posts, newest first.
    async fn list_posts(
        &self,
        user_id: &UserId,
        status: Option<PostStatus>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<PostPage>;

    /// Replaces a post's fields if it is still at `version` and not published;
    /// `Conflict` otherwise.
    async fn update_post(
        &self,
        user_id: &UserId,
        id: &PostId,
        version: i64,
        fields: &PostFields,
        now: i64,
    ) -> StoreResult<Post>;

    /// Deletes one of the user's posts; with `version`, only if it is still at it.
    async fn delete_post(
        &self,
        user_id: &UserId,
        id: &PostId,
        version: Option<i64>,
        now: i64,
    ) -> StoreResult<()>;

    /// Marks a post published at `now` (the publisher's step; clients cannot do it).
    async fn mark_published(&self, user_id: &UserId, id: &PostId, now: i64) -> StoreResult<Post>;
}
