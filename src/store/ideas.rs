//! Ideas: the backlog before a post, and its conversion into a post in one transaction.

use async_trait::async_trait;

use crate::domain::idea::IdeaFields;
use crate::domain::post::PostFields;
use crate::domain::{PostId, UserId};

use super::{Post, StoreResult};

/// A stored idea.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idea {
    pub id: String,
    pub fields: IdeaFields,
    /// The post the idea was converted into, while that post exists.
    pub post_id: Option<PostId>,
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

/// Ideas, always scoped to their owner.
#[async_trait]
pub trait IdeaStore: Send + Sync {
    /// Stores a new idea for `user_id`.
    async fn insert_idea(
        &self,
        user_id: &UserId,
        id: &str,
        fields: &IdeaFields,
        now: i64,
    ) -> StoreResult<Idea>;

    /// One of the user's ideas.
    async fn get_idea(&self, user_id: &UserId, id: &str) -> StoreResult<Idea>;

    /// The user's idea that became the post `post_id`, if one did.
    async fn idea_of_post(&self, user_id: &UserId, post_id: &PostId) -> StoreResult<Option<Idea>>;

    /// A page of the user's ideas, newest first, optionally only those carrying `tag`.
    async fn list_ideas(
        &self,
        user_id: &UserId,
        tag: Option<&str>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<IdeaPage>;

    /// Replaces an idea's fields if it is still at `version`; `Conflict` otherwise.
    async fn update_idea(
        &self,
        user_id: &UserId,
        id: &str,
        version: i64,
        fields: &IdeaFields,
        now: i64,
    ) -> StoreResult<Idea>;

    /// Deletes one of the user's ideas; with `version`, only if it is still at it.
    async fn delete_idea(
        &self,
        user_id: &UserId,
        id: &str,
        version: Option<i64>,
        now: i64,
    ) -> StoreResult<()>;

    /// In one transaction: creates the draft post `post_id` with `post` and links the idea to
    /// it, if the idea is still at `version` and not yet converted; `Conflict` otherwise.
    async fn convert_idea(
        &self,
        user_id: &UserId,
        idea_id: &str,
        version: i64,
        post_id: &PostId,
        post: &PostFields,
        now: i64,
    ) -> StoreResult<(Idea, Post)>;
}
