//! `/api/v1/ideas`: the backlog a writer keeps before a post exists, and its conversion to posts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::api::auth::{IdeasRead, IdeasWrite, PostsWrite, Scoped};
use crate::api::error::{ApiError, AppJson};
use crate::domain::idea::{IdeaFields, IdeaInput};
use crate::domain::post::{PostFields, PostStatus};
use crate::domain::time::rfc3339;
use crate::domain::PostId;
use crate::keys::random_id;
use crate::store::{Idea, StoreError};
use crate::AppState;

use super::etag::{etag_of, IfMatch, Tagged};
use super::posts::{stale_if_conditional, Deleted, PostView};
use super::query::QueryParams;

/// The body of `POST /api/v1/ideas`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateIdeaBody {
    /// The idea itself: not blank, at most 3,000 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 3000,
             pattern = "[^\t-\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]", examples("Why most LinkedIn hooks fail"))]
    pub content: Option<String>,
    /// Free-form notes, at most 10,000 characters.
    #[schema(
        max_length = 10000,
        examples("Start with the 3 hooks that worked for me")
    )]
    pub notes: Option<String>,
    /// Short labels: at most 20, each not blank and at most 50 characters; duplicates are dropped.
    #[schema(max_items = 20, examples(json!(["hooks", "writing"])))]
    pub tags: Option<Vec<Tag>>,
}

/// A tag: not blank, at most 50 characters.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, min_length = 1, max_length = 50, pattern = "[^\t-\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]")]
pub struct Tag(pub String);

/// The body of `PUT /api/v1/ideas/{id}`: only the fields sent change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateIdeaBody {
    /// New content (not blank, at most 3,000 characters); `null` is the same as leaving it out.
    #[schema(
        min_length = 1,
        max_length = 3000,
        pattern = "[^\t-\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub content: Option<String>,
    /// New notes; `null` removes them.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub notes: Option<Option<String>>,
    /// The new list of tags (replacing the old one; `[]` removes all); `null` is the same as
    /// leaving it out.
    #[schema(max_items = 20)]
    pub tags: Option<Vec<Tag>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl From<CreateIdeaBody> for IdeaInput {
    fn from(body: CreateIdeaBody) -> Self {
        Self {
            content: body.content,
            notes: body.notes.map(Some),
            tags: body.tags.map(Tag::into_strings),
        }
    }
}

impl From<UpdateIdeaBody> for IdeaInput {
    fn from(body: UpdateIdeaBody) -> Self {
        Self {
            content: body.content,
            notes: body.notes,
            tags: body.tags.map(Tag::into_strings),
        }
    }
}

impl Tag {
    fn into_strings(tags: Vec<Tag>) -> Vec<String> {
        tags.into_iter().map(|Tag(tag)| tag).collect()
    }
}

/// An idea as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(examples(json!({
    "id": "idea_Qw8Lr2Zt5Nc1Vb7M", "content": "Why most LinkedIn hooks fail",
    "notes": "Start with the 3 hooks that worked for me", "tags": ["hooks", "writing"],
    "postId": null, "createdAt": "2026-01-05T09:00:00Z", "updatedAt": "2026-01-05T09:00:00Z"
})))]
pub struct IdeaView {
    /// `idea_` and 16 letters or digits.
    #[schema(pattern = "^idea_[A-Za-z0-9]{16}$")]
    pub id: String,
    pub content: String,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    /// The post this idea became (see `convert`); `null` until then, and again if that post is
    /// deleted.
    pub post_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Idea> for IdeaView {
    fn from(idea: Idea) -> Self {
        Self {
            id: idea.id,
            content: idea.fields.content,
            notes: idea.fields.notes,
            tags: idea.fields.tags,
            post_id: idea.post_id.map(String::from),
            created_at: rfc3339(idea.created_at),
            updated_at: rfc3339(idea.updated_at),
        }
    }
}

/// One page of ideas, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdeaList {
    pub ideas: Vec<IdeaView>,
    /// How many ideas match the filter, across all pages.
    #[schema(minimum = 0)]
    pub total: u64,
    #[schema(minimum = 1, maximum = 100)]
    pub limit: u32,
    #[schema(minimum = 0)]
    pub offset: u64,
}

/// List ideas
///
/// The key owner's ideas, newest first, a page at a time; optionally only those with a tag.
#[utoipa::path(
    get, path = "/api/v1/ideas", tag = "Ideas", operation_id = "listIdeas",
    params(
        ("tag" = Option<String>, Query, description = "Only ideas carrying exactly this tag."),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100.", minimum = 1, maximum = 100),
        ("offset" = Option<u64>, Query, description = "Ideas to skip.", minimum = 0, maximum = 9223372036854775807u64),
    ),
    responses(
        (status = 200, description = "A page of ideas.", body = IdeaList),
        (status = 400, description = "The request is invalid; `error.message` says how."),
    ),
    security(("bearer" = ["ideas:read"]))
)]
pub async fn list_ideas(
    State(app): State<AppState>,
    query: QueryParams,
    key: Scoped<IdeasRead>,
) -> Result<AppJson<IdeaList>, ApiError> {
    find_ideas(&app, &key, &query).await.map(AppJson)
}

/// The page of ideas `query` asks for; the REST handler and the MCP tool share it.
pub async fn find_ideas(
    app: &AppState,
    key: &Scoped<IdeasRead>,
    query: &QueryParams,
) -> Result<IdeaList, ApiError> {
    query.only(&["tag", "limit", "offset"])?;
    let page = query.page()?;
    let found = app
        .store
        .list_ideas(&key.user_id, query.get("tag"), page.limit, page.offset)
        .await?;
    Ok(IdeaList {
        ideas: found.ideas.into_iter().map(IdeaView::from).collect(),
        total: found.total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// Read an idea
#[utoipa::path(
    get, path = "/api/v1/ideas/{id}", tag = "Ideas", operation_id = "getIdea",
    params(("id" = String, Path, description = "The idea's id (`idea_…`).")),
    responses(
        (status = 200, description = "The idea.", body = IdeaView,
         headers(("ETag" = String, description = "The strong entity tag of this representation, for `If-Match`."))),
        (status = 404, description = "No such idea for the key's owner."),
    ),
    security(("bearer" = ["ideas:read"]))
)]
pub async fn get_idea(
    State(app): State<AppState>,
    Path(id): Path<String>,
    key: Scoped<IdeasRead>,
) -> Result<Tagged<IdeaView>, ApiError> {
    let idea = read_idea(&app, &key, &id).await?;
    Ok(Tagged(StatusCode::OK, idea))
}

/// One idea of the key's owner.
pub async fn read_idea(
    app: &AppState,
    key: &Scoped<IdeasRead>,
    id: &str,
) -> Result<IdeaView, ApiError> {
    Ok(app.store.get_idea(&key.user_id, id).await?.into())
}

/// Create an idea
#[utoipa::path(
    post, path = "/api/v1/ideas", tag = "Ideas", operation_id = "createIdea",
    request_body(content = CreateIdeaBody, content_type = "application/json"),
    responses(
        (status = 201, description = "The new idea.", body = IdeaView,
         headers(("ETag" = String, description = "The strong entity tag of this representation, for `If-Match`."))),
        (status = 400, description = "The request is invalid; `error.message` says how."),
    ),
    security(("bearer" = ["ideas:write"]))
)]
pub async fn create_idea(
    State(app): State<AppState>,
    key: Scoped<IdeasWrite>,
    AppJson(body): AppJson<CreateIdeaBody>,
) -> Result<Tagged<IdeaView>, ApiError> {
    let idea = add_idea(&app, &key, body).await?;
    Ok(Tagged(StatusCode::CREATED, idea))
}

/// Validates `body` and stores the new idea (its event with it).
pub async fn add_idea(
    app: &AppState,
    key: &Scoped<IdeasWrite>,
    body: CreateIdeaBody,
) -> Result<IdeaView, ApiError> {
    let fields = IdeaFields::create(body.into())?;
    let idea = app
        .store
        .insert_idea(
            &key.user_id,
            &random_id("idea_"),
            &fields,
            app.clock.now().timestamp_millis(),
        )
        .await?;
    Ok(idea.into())
}

/// Update an idea
///
/// Changes the fields sent and keeps the others. With `If-Match`, the change is made only if the
/// idea is still as the client last read it.
#[utoipa::path(
    put, path = "/api/v1/ideas/{id}", tag = "Ideas", operation_id = "updateIdea",
    params(
        ("id" = String, Path, description = "The idea's id (`idea_…`)."),
        ("If-Match" = Option<String>, Header, description = "The idea's `ETag` as last read, or `*`; when it no longer matches, nothing changes and the answer is 412."),
    ),
    request_body(content = UpdateIdeaBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The idea as it is now.", body = IdeaView,
         headers(("ETag" = String, description = "The strong entity tag of this representation, for `If-Match`."))),
        (status = 400, description = "The request is invalid; `error.message` says how."),
        (status = 404, description = "No such idea for the key's owner."),
        (status = 409, description = "The idea changed during the update (`CONFLICT`); retry."),
        (status = 412, description = "`If-Match` no longer matches the idea's `ETag`; nothing changed."),
    ),
    security(("bearer" = ["ideas:write"]))
)]
pub async fn update_idea(
    State(app): State<AppState>,
    Path(id): Path<String>,
    if_match: IfMatch,
    key: Scoped<IdeasWrite>,
    AppJson(body): AppJson<UpdateIdeaBody>,
) -> Result<Tagged<IdeaView>, ApiError> {
    let idea = edit_idea(&app, &key, &id, &if_match, body).await?;
    Ok(Tagged(StatusCode::OK, idea))
}

/// Applies `body` to the idea if `if_match` holds; unchanged fields write nothing.
pub async fn edit_idea(
    app: &AppState,
    key: &Scoped<IdeasWrite>,
    id: &str,
    if_match: &IfMatch,
    body: UpdateIdeaBody,
) -> Result<IdeaView, ApiError> {
    let current = app.store.get_idea(&key.user_id, id).await?;
    let fields = IdeaFields::update(&current.fields, body.into())?;
    // After validation: an invalid body is refused as such whatever the precondition.
    if_match.check(&etag_of(&IdeaView::from(current.clone())))?;
    if fields == current.fields {
        return Ok(current.into());
    }
    let idea = app
        .store
        .update_idea(
            &key.user_id,
            id,
            current.version,
            &fields,
            app.clock.now().timestamp_millis(),
        )
        .await
        .map_err(|err| stale_if_conditional(err, if_match))?;
    Ok(idea.into())
}

/// Delete an idea
///
/// Deleting needs `ideas:write` (there is no `ideas:delete` scope). A post the idea became stays.
#[utoipa::path(
    delete, path = "/api/v1/ideas/{id}", tag = "Ideas", operation_id = "deleteIdea",
    params(
        ("id" = String, Path, description = "The idea's id (`idea_…`)."),
        ("If-Match" = Option<String>, Header, description = "The idea's `ETag` as last read, or `*`; when it no longer matches, nothing is deleted and the answer is 412."),
    ),
    responses(
        (status = 200, description = "The idea is gone.", body = Deleted),
        (status = 404, description = "No such idea for the key's owner."),
        (status = 412, description = "`If-Match` no longer matches the idea's `ETag`; nothing changed."),
    ),
    security(("bearer" = ["ideas:write"]))
)]
pub async fn delete_idea(
    State(app): State<AppState>,
    Path(id): Path<String>,
    if_match: IfMatch,
    key: Scoped<IdeasWrite>,
) -> Result<AppJson<Deleted>, ApiError> {
    remove_idea(&app, &key, id, &if_match).await.map(AppJson)
}

/// Deletes the idea if `if_match` holds; a post it became stays.
pub async fn remove_idea(
    app: &AppState,
    key: &Scoped<IdeasWrite>,
    id: String,
    if_match: &IfMatch,
) -> Result<Deleted, ApiError> {
    let version = if if_match.is_present() {
        let current = app.store.get_idea(&key.user_id, &id).await?;
        if_match.check(&etag_of(&IdeaView::from(current.clone())))?;
        Some(current.version)
    } else {
        None
    };
    app.store
        .delete_idea(
            &key.user_id,
            &id,
            version,
            app.clock.now().timestamp_millis(),
        )
        .await
        .map_err(|err| stale_if_conditional(err, if_match))?;
    Ok(Deleted { id, deleted: true })
}

/// Convert an idea into a draft post
///
/// Creates a draft post with the idea's content and links the idea to it (`postId`). Needs both
/// `ideas:write` and `posts:write`. An idea converts once: again is a 409 while its post exists.
#[utoipa::path(
    post, path = "/api/v1/ideas/{id}/convert", tag = "Ideas", operation_id = "convertIdea",
    params(("id" = String, Path, description = "The idea's id (`idea_…`).")),
    responses(
        (status = 201, description = "The new draft post.", body = PostView,
         headers(("ETag" = String, description = "The strong entity tag of the post, for `If-Match`."))),
        (status = 404, description = "No such idea for the key's owner."),
        (status = 409, description = "The idea was already converted (`IDEA_ALREADY_CONVERTED`)."),
    ),
    security(("bearer" = ["ideas:write", "posts:write"]))
)]
pub async fn convert_idea(
    State(app): State<AppState>,
    Path(id): Path<String>,
    key: Scoped<(IdeasWrite, PostsWrite)>,
) -> Result<Tagged<PostView>, ApiError> {
    let post = make_post_of_idea(&app, &key, &id).await?;
    Ok(Tagged(StatusCode::CREATED, post))
}

/// Turns the idea into a draft post (its events with it); an idea converts once.
pub async fn make_post_of_idea(
    app: &AppState,
    key: &Scoped<(IdeasWrite, PostsWrite)>,
    id: &str,
) -> Result<PostView, ApiError> {
    let idea = app.store.get_idea(&key.user_id, id).await?;
    if let Some(post_id) = &idea.post_id {
        return Err(already_converted(post_id));
    }
    let fields = PostFields {
        content: idea.fields.content.clone(),
        status: PostStatus::Draft,
        scheduled_at: None,
    };
    let (_, post) = app
        .store
        .convert_idea(
            &key.user_id,
            id,
            idea.version,
            &PostId::generate(),
            &fields,
            app.clock.now().timestamp_millis(),
        )
        .await
        .map_err(|err| match err {
            StoreError::Conflict(message) => ApiError::conflict("IDEA_ALREADY_CONVERTED", message),
            other => other.into(),
        })?;
    Ok(post.into())
}

fn already_converted(post_id: &PostId) -> ApiError {
    ApiError::conflict(
        "IDEA_ALREADY_CONVERTED",
        format!("this idea was already converted into the post {post_id}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_tell_null_from_absent() {
        let kept: UpdateIdeaBody = serde_json::from_str("{}").unwrap();
        assert_eq!(IdeaInput::from(kept), IdeaInput::default());
        let cleared: UpdateIdeaBody =
            serde_json::from_str(r#"{"notes": null, "tags": []}"#).unwrap();
        let cleared = IdeaInput::from(cleared);
        assert_eq!((cleared.notes, cleared.tags), (Some(None), Some(vec![])));
    }
}
