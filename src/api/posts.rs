//! `/api/v1/posts`: list, read, create, update and delete posts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

use crate::auth::{random_id, ApiKey, Scope};
use crate::domain::post::{CreatePostBody, PostFields, PostStatus, UpdatePostBody};
use crate::domain::time::rfc3339;
use crate::error::{ApiError, AppJson};
use crate::store::Post;
use crate::AppState;

use super::query::QueryParams;

/// A post as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostView {
    pub id: String,
    pub content: String,
    pub status: PostStatus,
    pub scheduled_at: Option<String>,
    pub published_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Post> for PostView {
    fn from(post: Post) -> Self {
        Self {
            id: post.id,
            content: post.fields.content,
            status: post.fields.status,
            scheduled_at: post.fields.scheduled_at.map(rfc3339),
            published_at: post.published_at.map(rfc3339),
            created_at: rfc3339(post.created_at),
            updated_at: rfc3339(post.updated_at),
        }
    }
}

/// One page of posts.
#[derive(Debug, Serialize)]
pub struct PostList {
    pub posts: Vec<PostView>,
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

/// The confirmation of a delete.
#[derive(Debug, Serialize)]
pub struct Deleted {
    pub id: String,
    pub deleted: bool,
}

/// List the key owner's posts, newest first.
pub async fn list_posts(
    State(app): State<AppState>,
    key: ApiKey,
    query: QueryParams,
) -> Result<AppJson<PostList>, ApiError> {
    key.require(Scope::PostsRead)?;
    query.only(&["status", "limit", "offset"])?;
    let status = query
        .get("status")
        .map(|raw| {
            PostStatus::parse(raw).ok_or_else(|| {
                ApiError::bad_request(
                    "INVALID_PARAMETER",
                    format!("invalid status {raw:?}; allowed: draft, scheduled, published"),
                )
            })
        })
        .transpose()?;
    let page = query.page()?;
    let found = app
        .store
        .list_posts(&key.user_id, status, page.limit, page.offset)
        .await?;
    Ok(AppJson(PostList {
        posts: found.posts.into_iter().map(PostView::from).collect(),
        total: found.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// Read one post.
pub async fn get_post(
    State(app): State<AppState>,
    key: ApiKey,
    Path(id): Path<String>,
) -> Result<AppJson<PostView>, ApiError> {
    key.require(Scope::PostsRead)?;
    let post = app.store.get_post(&key.user_id, &id).await?;
    Ok(AppJson(post.into()))
}

/// Create a post (draft or scheduled).
pub async fn create_post(
    State(app): State<AppState>,
    key: ApiKey,
    body: Result<AppJson<CreatePostBody>, ApiError>,
) -> Result<(StatusCode, AppJson<PostView>), ApiError> {
    key.require(Scope::PostsWrite)?;
    let AppJson(body) = body?;
    let now = app.clock.now();
    let fields = PostFields::create(body, now)?;
    let post = app
        .store
        .insert_post(
            &key.user_id,
            &random_id("post_"),
            &fields,
            now.timestamp_millis(),
        )
        .await?;
    Ok((StatusCode::CREATED, AppJson(post.into())))
}

/// Change some fields of a post that is not yet published.
pub async fn update_post(
    State(app): State<AppState>,
    key: ApiKey,
    Path(id): Path<String>,
    body: Result<AppJson<UpdatePostBody>, ApiError>,
) -> Result<AppJson<PostView>, ApiError> {
    key.require(Scope::PostsWrite)?;
    let AppJson(body) = body?;
    let current = app.store.get_post(&key.user_id, &id).await?;
    if current.fields.status == PostStatus::Published {
        return Err(ApiError::conflict(
            "POST_PUBLISHED",
            "this post is published and can no longer be edited",
        ));
    }
    let now = app.clock.now();
    let fields = PostFields::update(&current.fields, body, now)?;
    if fields == current.fields {
        return Ok(AppJson(current.into()));
    }
    let post = app
        .store
        .update_post(
            &key.user_id,
            &id,
            current.version,
            &fields,
            now.timestamp_millis(),
        )
        .await?;
    Ok(AppJson(post.into()))
}

/// Delete a post for good.
pub async fn delete_post(
    State(app): State<AppState>,
    key: ApiKey,
    Path(id): Path<String>,
) -> Result<AppJson<Deleted>, ApiError> {
    key.require(Scope::PostsDelete)?;
    app.store.delete_post(&key.user_id, &id, None).await?;
    Ok(AppJson(Deleted { id, deleted: true }))
}
