//! `POST /api/v1/posts/{id}/publish`: send a post to LinkedIn now.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::api::auth::{PostsWrite, Scoped};
use crate::api::error::{ApiError, AppJson};
use crate::domain::{PostId, UserId};
use crate::linkedin::{LinkedInError, PostUrn};
use crate::publisher::connection::ConnectionStatus;
use crate::publisher::{Outcome, PublishFailure};
use crate::AppState;

use super::posts::PostView;

/// Publish a post now
///
/// Sends a draft, scheduled or failed post to LinkedIn at once and answers with the published
/// post. When LinkedIn refuses it, the post becomes `failed` (its `failure` says why) and the
/// answer is the error envelope with the same code.
#[utoipa::path(
    post, path = "/api/v1/posts/{id}/publish", tag = "Posts", operation_id = "publishPost",
    params(("id" = String, Path, description = "The post's id (`post_…`).")),
    responses(
        (status = 200, description = "The post, published.", body = PostView),
        (status = 404, description = "No such post for the key's owner."),
        (status = 409, description = "The post is already published (`POST_PUBLISHED`), is being published right now (`CONFLICT`), or the LinkedIn connection is missing, expired or refused (`LINKEDIN_NOT_CONNECTED`, `LINKEDIN_TOKEN_EXPIRED`, `LINKEDIN_TOKEN_INVALID`, `LINKEDIN_FORBIDDEN`)."),
        (status = 422, description = "LinkedIn rejected the post (`LINKEDIN_REJECTED`); `error.message` has LinkedIn's reason."),
        (status = 502, description = "LinkedIn did not answer usefully (`LINKEDIN_UNAVAILABLE`) or no longer accepts this server's API version (`LINKEDIN_VERSION_RETIRED`)."),
    ),
    security(("bearer" = ["posts:write"]))
)]
pub async fn publish_post(
    State(app): State<AppState>,
    Path(id): Path<PostId>,
    key: Scoped<PostsWrite>,
) -> Result<AppJson<PostView>, ApiError> {
    publish_now(&app, &key, &id).await.map(AppJson)
}

/// Sends the post to LinkedIn now and answers it published, or the error its failure maps to.
pub async fn publish_now(
    app: &AppState,
    key: &Scoped<PostsWrite>,
    id: &PostId,
) -> Result<PostView, ApiError> {
    match app.publisher.publish_now(&key.user_id, id).await? {
        Outcome::Published(post) => Ok(post.into()),
        Outcome::Failed(reason, message) => Err(failure_error(reason, message)),
        Outcome::AlreadyPublished => Err(ApiError::conflict(
            "POST_PUBLISHED",
            "this post is already published",
        )),
        Outcome::Retrying | Outcome::ClaimLost | Outcome::Busy => Err(ApiError::conflict(
            "CONFLICT",
            "the post is being published right now; read it again in a moment",
        )),
    }
}

/// The error envelope for a refused publication.
pub fn failure_error(reason: PublishFailure, message: String) -> ApiError {
    let status = match reason {
        PublishFailure::NotConnected
        | PublishFailure::TokenExpired
        | PublishFailure::TokenInvalid
        | PublishFailure::Forbidden => StatusCode::CONFLICT,
        PublishFailure::Rejected => StatusCode::UNPROCESSABLE_ENTITY,
        PublishFailure::Unavailable | PublishFailure::VersionRetired => StatusCode::BAD_GATEWAY,
    };
    ApiError::Http {
        status,
        code: reason.code(),
        message,
    }
}

/// Deletes a published post on LinkedIn (for `DELETE …?fromLinkedIn=true`); nothing to do for a
/// post that was never published there.
pub async fn delete_from_linkedin(
    app: &AppState,
    user_id: &UserId,
    post: &crate::store::Post,
) -> Result<(), ApiError> {
    let Some(urn) = post.linkedin_urn.as_deref().and_then(PostUrn::parse) else {
        return Ok(());
    };
    let now = app.clock.now().timestamp_millis();
    let account = app.store.linkedin_account(user_id).await?;
    let status = ConnectionStatus::of(account.as_ref(), now);
    let account = match account {
        None => return Err(failure_error(PublishFailure::NotConnected, not_connected())),
        Some(_) if status.expired => {
            return Err(failure_error(
                PublishFailure::TokenExpired,
                "the LinkedIn connection has expired; reconnect in Settings › LinkedIn".into(),
            ))
        }
        Some(account) => account,
    };
    let token = app.publisher.open(user_id, &account.token_sealed)?;
    match app.publisher.linkedin().delete_post(&token, &urn).await {
        Ok(()) | Err(LinkedInError::NotFound { .. }) => Ok(()),
        Err(err) => {
            let reason = match err {
                LinkedInError::TokenInvalid { .. } => {
                    app.store.mark_needs_reconnect(user_id, now).await?;
                    PublishFailure::TokenInvalid
                }
                LinkedInError::Forbidden { .. } => PublishFailure::Forbidden,
                LinkedInError::VersionRetired { .. } => PublishFailure::VersionRetired,
                LinkedInError::Rejected { .. } => PublishFailure::Rejected,
                _ => PublishFailure::Unavailable,
            };
            Err(failure_error(reason, err.to_string()))
        }
    }
}

fn not_connected() -> String {
    "no LinkedIn account is connected; connect one in Settings › LinkedIn".into()
}
