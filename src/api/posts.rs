//! `/api/v1/posts`: list, read, create, update and delete posts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::{PostsDelete, PostsRead, PostsWrite, Scoped};
use crate::api::error::{ApiError, AppJson};
use crate::domain::post::{PostFields, PostInput, PostStatus};
use crate::domain::time::rfc3339;
use crate::domain::PostId;
use crate::store::{Post, StoreError};
use crate::AppState;

use super::etag::{etag_of, precondition_failed, IfMatch, Tagged};
use super::query::QueryParams;

/// The statuses a client may set; `published` is set only by publishing.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SettableStatus {
    Draft,
    Scheduled,
}

/// The body of `POST /api/v1/posts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(examples(
    json!({"content": "Hello LinkedIn"}),
    json!({"content": "Monday thoughts", "status": "scheduled", "scheduledAt": "2030-03-04T09:00:00+01:00"})
))]
pub struct CreatePostBody {
    /// The text of the post: not blank, at most 3,000 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 3000,
             pattern = "[^\t-\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]")]
    pub content: Option<String>,
    /// `draft` (the default) or `scheduled`; `scheduled` needs `scheduledAt`.
    #[schema(value_type = Option<SettableStatus>)]
    pub status: Option<String>,
    /// When to publish (RFC 3339 with an offset, in the future); only with status `scheduled`.
    #[schema(format = DateTime)]
    pub scheduled_at: Option<String>,
}

/// The body of `PUT /api/v1/posts/{id}`: only the fields sent change; `null` is the same as
/// leaving a field out.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(examples(json!({"content": "Hello again"}), json!({"status": "draft"})))]
pub struct UpdatePostBody {
    /// New text: not blank, at most 3,000 characters.
    #[schema(
        min_length = 1,
        max_length = 3000,
        pattern = "[^\t-\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub content: Option<String>,
    /// `draft` (clears `scheduledAt`) or `scheduled` (needs a `scheduledAt`, sent or kept).
    #[schema(value_type = Option<SettableStatus>)]
    pub status: Option<String>,
    /// A new time in the future (RFC 3339 with an offset); only for a post that is or becomes
    /// scheduled.
    #[schema(format = DateTime)]
    pub scheduled_at: Option<String>,
}

impl From<CreatePostBody> for PostInput {
    fn from(body: CreatePostBody) -> Self {
        Self {
            content: body.content,
            status: body.status,
            scheduled_at: body.scheduled_at,
        }
    }
}

impl From<UpdatePostBody> for PostInput {
    fn from(body: UpdatePostBody) -> Self {
        Self {
            content: body.content,
            status: body.status,
            scheduled_at: body.scheduled_at,
        }
    }
}

/// A post as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(examples(json!({
    "id": "post_Xk3v9QmT2bLp8RzA", "content": "Hello LinkedIn", "status": "draft",
    "scheduledAt": null, "publishedAt": null, "linkedinUrn": null, "linkedinUrl": null,
    "failure": null, "createdAt": "2026-01-05T09:00:00Z", "updatedAt": "2026-01-05T09:00:00Z"
})))]
pub struct PostView {
    /// `post_` and 16 letters or digits.
    #[schema(pattern = "^post_[A-Za-z0-9]{16}$")]
    pub id: String,
    pub content: String,
    pub status: PostStatus,
    /// When a scheduled post will be published (RFC 3339, UTC); `null` unless scheduled.
    #[schema(format = DateTime)]
    pub scheduled_at: Option<String>,
    /// When the post was published (RFC 3339, UTC); `null` until then.
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
    /// The post on LinkedIn (`urn:li:share:…` or `urn:li:ugcPost:…`); `null` until published.
    pub linkedin_urn: Option<String>,
    /// Where the post can be seen on LinkedIn; `null` until published.
    pub linkedin_url: Option<String>,
    /// Why LinkedIn did not take the post; `null` unless the status is `failed`.
    pub failure: Option<FailureView>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Why a post failed to publish. Named `failure`, never `error`: a success body with an
/// `error` field reads like the error envelope to clients.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FailureView {
    /// `LINKEDIN_NOT_CONNECTED`, `LINKEDIN_TOKEN_EXPIRED`, `LINKEDIN_TOKEN_INVALID`,
    /// `LINKEDIN_FORBIDDEN`, `LINKEDIN_REJECTED`, `LINKEDIN_UNAVAILABLE` or
    /// `LINKEDIN_VERSION_RETIRED`.
    pub code: String,
    pub message: String,
    /// When it failed (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub at: String,
}

impl From<Post> for PostView {
    fn from(post: Post) -> Self {
        Self {
            id: post.id.into(),
            content: post.fields.content,
            status: post.fields.status,
            scheduled_at: post.fields.scheduled_at.map(rfc3339),
            published_at: post.published_at.map(rfc3339),
            linkedin_url: post.linkedin_urn.as_deref().map(linkedin_url),
            linkedin_urn: post.linkedin_urn,
            failure: post.failure.map(|f| FailureView {
                code: f.code,
                message: f.message,
                at: rfc3339(f.at),
            }),
            created_at: rfc3339(post.created_at),
            updated_at: rfc3339(post.updated_at),
        }
    }
}

/// The address of a LinkedIn post, from its URN.
pub fn linkedin_url(urn: &str) -> String {
    format!("https://www.linkedin.com/feed/update/{urn}/")
}

/// One page of posts, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostList {
    pub posts: Vec<PostView>,
    /// How many posts match the filter, across all pages.
    #[schema(minimum = 0)]
    pub total: u64,
    #[schema(minimum = 1, maximum = 100)]
    pub limit: u32,
    #[schema(minimum = 0)]
    pub offset: u64,
}

/// The confirmation of a delete.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub id: String,
    /// Always `true`.
    pub deleted: bool,
}

/// List posts
///
/// The key owner's posts, newest first, a page at a time.
#[utoipa::path(
    get, path = "/api/v1/posts", tag = "Posts", operation_id = "listPosts",
    params(
        ("status" = Option<PostStatus>, Query, description = "Only posts with this status."),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100.", minimum = 1, maximum = 100),
        ("offset" = Option<u64>, Query, description = "Posts to skip.", minimum = 0, maximum = 9223372036854775807u64),
    ),
    responses(
        (status = 200, description = "A page of posts.", body = PostList),
        (status = 400, description = "The request is invalid; `error.message` says how."),
    ),
    security(("bearer" = ["posts:read"]))
)]
pub async fn list_posts(
    State(app): State<AppState>,
    query: QueryParams,
    key: Scoped<PostsRead>,
) -> Result<AppJson<PostList>, ApiError> {
    find_posts(&app, &key, &query).await.map(AppJson)
}

/// The page of posts `query` asks for; the REST handler and the MCP tool share it.
pub async fn find_posts(
    app: &AppState,
    key: &Scoped<PostsRead>,
    query: &QueryParams,
) -> Result<PostList, ApiError> {
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
    Ok(PostList {
        posts: found.posts.into_iter().map(PostView::from).collect(),
        total: found.total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// Read a post
#[utoipa::path(
    get, path = "/api/v1/posts/{id}", tag = "Posts", operation_id = "getPost",
    params(("id" = String, Path, description = "The post's id (`post_…`).")),
    responses(
        (status = 200, description = "The post.", body = PostView,
         headers(("ETag" = String, description = "The strong entity tag of this representation, for `If-Match`."))),
        (status = 404, description = "No such post for the key's owner."),
    ),
    security(("bearer" = ["posts:read"]))
)]
pub async fn get_post(
    State(app): State<AppState>,
    Path(id): Path<PostId>,
    key: Scoped<PostsRead>,
) -> Result<Tagged<PostView>, ApiError> {
    let post = read_post(&app, &key, &id).await?;
    Ok(Tagged(StatusCode::OK, post))
}

/// One post of the key's owner.
pub async fn read_post(
    app: &AppState,
    key: &Scoped<PostsRead>,
    id: &PostId,
) -> Result<PostView, ApiError> {
    Ok(app.store.get_post(&key.user_id, id).await?.into())
}

/// Create a post
///
/// A draft, or a post scheduled for a time in the future.
#[utoipa::path(
    post, path = "/api/v1/posts", tag = "Posts", operation_id = "createPost",
    request_body(content = CreatePostBody, content_type = "application/json"),
    responses(
        (status = 201, description = "The new post.", body = PostView,
         headers(("ETag" = String, description = "The strong entity tag of this representation, for `If-Match`."))),
        (status = 400, description = "The request is invalid; `error.message` says how."),
    ),
    security(("bearer" = ["posts:write"]))
)]
pub async fn create_post(
    State(app): State<AppState>,
    key: Scoped<PostsWrite>,
    AppJson(body): AppJson<CreatePostBody>,
) -> Result<Tagged<PostView>, ApiError> {
    let post = add_post(&app, &key, body).await?;
    Ok(Tagged(StatusCode::CREATED, post))
}

/// Validates `body` and stores the new post (its events with it), waking the scheduler.
pub async fn add_post(
    app: &AppState,
    key: &Scoped<PostsWrite>,
    body: CreatePostBody,
) -> Result<PostView, ApiError> {
    let now = app.clock.now();
    let fields = PostFields::create(body.into(), now)?;
    let post = app
        .store
        .insert_post(
            &key.user_id,
            &PostId::generate(),
            &fields,
            now.timestamp_millis(),
        )
        .await?;
    app.publisher.wake();
    Ok(post.into())
}

/// Update a post
///
/// Changes the fields sent and keeps the others. Published posts can no longer be edited.
/// With `If-Match`, the change is made only if the post is still as the client last read it.
#[utoipa::path(
    put, path = "/api/v1/posts/{id}", tag = "Posts", operation_id = "updatePost",
    params(
        ("id" = String, Path, description = "The post's id (`post_…`)."),
        ("If-Match" = Option<String>, Header, description = "The post's `ETag` as last read, or `*`; when it no longer matches, nothing changes and the answer is 412."),
    ),
    request_body(content = UpdatePostBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The post as it is now.", body = PostView,
         headers(("ETag" = String, description = "The strong entity tag of this representation, for `If-Match`."))),
        (status = 400, description = "The request is invalid; `error.message` says how."),
        (status = 404, description = "No such post for the key's owner."),
        (status = 409, description = "The post is published (`POST_PUBLISHED`) or changed during the update (`CONFLICT`)."),
        (status = 412, description = "`If-Match` no longer matches the post's `ETag`; nothing changed."),
    ),
    security(("bearer" = ["posts:write"]))
)]
pub async fn update_post(
    State(app): State<AppState>,
    Path(id): Path<PostId>,
    if_match: IfMatch,
    key: Scoped<PostsWrite>,
    AppJson(body): AppJson<UpdatePostBody>,
) -> Result<Tagged<PostView>, ApiError> {
    let post = edit_post(&app, &key, &id, &if_match, body).await?;
    Ok(Tagged(StatusCode::OK, post))
}

/// Applies `body` to the post if `if_match` holds; unchanged fields write nothing.
pub async fn edit_post(
    app: &AppState,
    key: &Scoped<PostsWrite>,
    id: &PostId,
    if_match: &IfMatch,
    body: UpdatePostBody,
) -> Result<PostView, ApiError> {
    let current = app.store.get_post(&key.user_id, id).await?;
    if current.fields.status == PostStatus::Published {
        return Err(ApiError::conflict(
            "POST_PUBLISHED",
            "this post is published and can no longer be edited",
        ));
    }
    let now = app.clock.now();
    let fields = PostFields::update(&current.fields, body.into(), now)?;
    // After validation: an invalid body is refused as such whatever the precondition.
    if_match.check(&etag_of(&PostView::from(current.clone())))?;
    if fields == current.fields {
        return Ok(current.into());
    }
    let post = app
        .store
        .update_post(
            &key.user_id,
            id,
            current.version,
            &fields,
            now.timestamp_millis(),
        )
        .await
        .map_err(|err| stale_if_conditional(err, if_match))?;
    app.publisher.wake();
    Ok(post.into())
}

/// Delete a post
///
/// Deletes the post for good. With `If-Match`, only if it is still as the client last read it.
/// Only our record goes, unless `fromLinkedIn=true`: then a published post is first deleted on
/// LinkedIn (a post LinkedIn no longer has counts as deleted there).
#[utoipa::path(
    delete, path = "/api/v1/posts/{id}", tag = "Posts", operation_id = "deletePost",
    params(
        ("id" = String, Path, description = "The post's id (`post_…`)."),
        ("fromLinkedIn" = Option<bool>, Query, description = "Also delete the published post on LinkedIn first (default false)."),
        ("If-Match" = Option<String>, Header, description = "The post's `ETag` as last read, or `*`; when it no longer matches, nothing is deleted and the answer is 412."),
    ),
    responses(
        (status = 200, description = "The post is gone.", body = Deleted),
        (status = 400, description = "`fromLinkedIn` is not `true` or `false`."),
        (status = 404, description = "No such post for the key's owner."),
        (status = 409, description = "`fromLinkedIn=true` but the LinkedIn connection is missing, expired or refused (`LINKEDIN_NOT_CONNECTED`, `LINKEDIN_TOKEN_EXPIRED`, `LINKEDIN_TOKEN_INVALID`, `LINKEDIN_FORBIDDEN`); nothing was deleted."),
        (status = 502, description = "`fromLinkedIn=true` but LinkedIn did not answer usefully (`LINKEDIN_UNAVAILABLE`); nothing was deleted."),
        (status = 412, description = "`If-Match` no longer matches the post's `ETag`; nothing changed."),
    ),
    security(("bearer" = ["posts:delete"]))
)]
pub async fn delete_post(
    State(app): State<AppState>,
    Path(id): Path<PostId>,
    if_match: IfMatch,
    query: QueryParams,
    key: Scoped<PostsDelete>,
) -> Result<AppJson<Deleted>, ApiError> {
    remove_post(&app, &key, id, &if_match, &query)
        .await
        .map(AppJson)
}

/// Deletes the post if `if_match` holds, first on LinkedIn when `query` says `fromLinkedIn`.
pub async fn remove_post(
    app: &AppState,
    key: &Scoped<PostsDelete>,
    id: PostId,
    if_match: &IfMatch,
    query: &QueryParams,
) -> Result<Deleted, ApiError> {
    query.only(&["fromLinkedIn"])?;
    let from_linkedin = match query.get("fromLinkedIn") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "INVALID_PARAMETER",
                format!("fromLinkedIn must be true or false, got {other:?}"),
            ))
        }
    };
    let version = if if_match.is_present() || from_linkedin {
        let current = app.store.get_post(&key.user_id, &id).await?;
        if_match.check(&etag_of(&PostView::from(current.clone())))?;
        if from_linkedin {
            super::publishing::delete_from_linkedin(app, &key.user_id, &current).await?;
        }
        Some(current.version)
    } else {
        None
    };
    app.store
        .delete_post(
            &key.user_id,
            &id,
            version,
            app.clock.now().timestamp_millis(),
        )
        .await
        .map_err(|err| stale_if_conditional(err, if_match))?;
    Ok(Deleted {
        id: id.into(),
        deleted: true,
    })
}

/// A change guarded by the version read moments before lost a race: with `If-Match` that is a
/// failed precondition (412); without, the usual 409.
pub(crate) fn stale_if_conditional(err: StoreError, if_match: &IfMatch) -> ApiError {
    match err {
        StoreError::Conflict(_) if if_match.is_present() => precondition_failed(),
        other => other.into(),
    }
}
