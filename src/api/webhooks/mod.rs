//! `/api/v1/webhooks`: subscriptions to events, their test and their delivery attempts.
//!
//! There is no webhooks scope. A webhook is managed by the keys of its owner that may read its
//! events: creating or changing one asks for the read scope of every event type it names
//! (`["*"]` takes the event-reading scopes the key has), and those scopes are stored with it
//! as its `read_scopes`. A key that lacks one of them does not see the webhook at all: it is
//! absent from the key's list and 404 to every other operation, as another user's would be.

pub mod deliveries;
pub mod views;

pub use deliveries::{list_deliveries, resend_delivery, test_webhook};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use crate::api::auth::ApiKey;
use crate::api::error::{ApiError, AppJson};
use crate::api::idempotency::ContainsSecret;
use crate::domain::webhook::{check_description, EventFilter};
use crate::domain::WebhookId;
use crate::store::webhooks::{NewWebhook, Webhook, WebhookChange};
use crate::AppState;

use super::etag::{etag_of, IfMatch, Tagged};
use super::openapi::ErrorEnvelope;
use super::posts::{stale_if_conditional, Deleted};
use super::query::QueryParams;
use views::{CreateWebhookBody, CreatedWebhook, UpdateWebhookBody, WebhookList, WebhookView};

/// The webhook `id` of the key's owner, if the key holds every read scope it needs.
async fn visible_webhook(
    app: &AppState,
    key: &ApiKey,
    id: &WebhookId,
) -> Result<Webhook, ApiError> {
    let webhook = app.store.get_webhook(&key.user_id, id).await?;
    if webhook
        .read_scopes
        .iter()
        .all(|scope| key.scopes.contains(scope))
    {
        Ok(webhook)
    } else {
        Err(ApiError::NotFound("webhook"))
    }
}

/// The url a client sent, checked and normalised.
async fn checked_url(app: &AppState, url: &str) -> Result<String, ApiError> {
    Ok(app.webhooks.check_url(url).await?.to_string())
}

/// List webhooks
///
/// The owner's webhooks that this key may see (it holds the read scopes of their events),
/// newest first, a page at a time.
#[utoipa::path(
    get, path = "/api/v1/webhooks", tag = "Webhooks", operation_id = "listWebhooks",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100.", minimum = 1, maximum = 100),
        ("offset" = Option<u64>, Query, description = "Webhooks to skip.", minimum = 0, maximum = 9223372036854775807u64),
    ),
    responses(
        (status = 200, description = "A page of webhooks.", body = WebhookList),
        (status = 400, description = "The request is invalid; `error.message` says how."),
    ),
    security(("bearer" = []))
)]
pub async fn list_webhooks(
    State(app): State<AppState>,
    query: QueryParams,
    key: ApiKey,
) -> Result<AppJson<WebhookList>, ApiError> {
    query.only(&["limit", "offset"])?;
    let page = query.page()?;
    let found = app
        .store
        .list_webhooks(&key.user_id, key.scopes, page.limit, page.offset)
        .await?;
    Ok(AppJson(WebhookList {
        webhooks: found.webhooks.into_iter().map(WebhookView::from).collect(),
        total: found.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// Read a webhook
#[utoipa::path(
    get, path = "/api/v1/webhooks/{id}", tag = "Webhooks", operation_id = "getWebhook",
    params(("id" = String, Path, description = "The webhook's id (`wh_…`).")),
    responses(
        (status = 200, description = "The webhook (never its secret).", body = WebhookView,
         headers(("ETag" = String, description = "The strong entity tag of this representation, for `If-Match`."))),
        (status = 404, description = "No such webhook for the key's owner, or the key lacks a read scope of its events."),
    ),
    security(("bearer" = []))
)]
pub async fn get_webhook(
    State(app): State<AppState>,
    Path(id): Path<WebhookId>,
    key: ApiKey,
) -> Result<Tagged<WebhookView>, ApiError> {
    let webhook = visible_webhook(&app, &key, &id).await?;
    Ok(Tagged(StatusCode::OK, webhook.into()))
}

/// Create a webhook
///
/// Subscribes a url to events. The answer carries the webhook's signing `secret`, which is
/// never shown again: every delivery is signed with it as Standard Webhooks specifies
/// (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers). The key that creates a
/// webhook owns its fate: revoking that key disables it (`disabledReason: "key_revoked"`).
#[utoipa::path(
    post, path = "/api/v1/webhooks", tag = "Webhooks", operation_id = "createWebhook",
    request_body(content = CreateWebhookBody, content_type = "application/json"),
    responses(
        (status = 201, description = "The new webhook, with its secret.", body = CreatedWebhook,
         headers(("ETag" = String, description = "The strong entity tag of the webhook as `GET` shows it (without the secret), for `If-Match`."))),
        (status = 400, description = "The request is invalid; `error.message` says how.", body = ErrorEnvelope,
         examples(
            ("INVALID_WEBHOOK_URL" = (value = json!({"error": {"code": "INVALID_WEBHOOK_URL", "message": "the url's host is a private address (10.0.0.1), which webhooks may not reach"}}))),
            ("INVALID_EVENTS" = (value = json!({"error": {"code": "INVALID_EVENTS", "message": "events: \"*\" means every event and must be the only entry"}}))),
            ("INVALID_DESCRIPTION" = (value = json!({"error": {"code": "INVALID_DESCRIPTION", "message": "description must be at most 500 characters"}}))),
            ("INVALID_BODY" = (value = json!({"error": {"code": "INVALID_BODY", "message": "invalid request body: unknown field `secret`, expected one of `url`, `events`, `description`"}}))),
        )),
        (status = 403, description = "The key lacks the read scope of an event type it asks for (`INSUFFICIENT_SCOPE`, naming it), or its owner is not on the Business plan (`PLAN_REQUIRED`).", body = ErrorEnvelope,
         examples(
            ("INSUFFICIENT_SCOPE" = (value = json!({"error": {"code": "INSUFFICIENT_SCOPE", "message": "this API key lacks the ideas:read scope needed to receive these events"}}))),
            ("PLAN_REQUIRED" = (value = json!({"error": {"code": "PLAN_REQUIRED", "message": "API access requires the Business plan"}}))),
        )),
    ),
    security(("bearer" = []))
)]
pub async fn create_webhook(
    State(app): State<AppState>,
    key: ApiKey,
    AppJson(body): AppJson<CreateWebhookBody>,
) -> Result<Response, ApiError> {
    let events = EventFilter::parse(&body.events.unwrap_or_default())?;
    let read_scopes = events.read_scopes(key.scopes)?;
    check_description(body.description.as_deref())?;
    let url = body
        .url
        .ok_or_else(|| ApiError::bad_request("INVALID_WEBHOOK_URL", "url is required"))?;
    let url = checked_url(&app, &url).await?;
    let id = WebhookId::generate();
    let (secret, secret_sealed) = app.webhooks.new_secret(&id);
    let new = NewWebhook {
        id,
        user_id: key.user_id.clone(),
        created_by_key: Some(key.id.clone()),
        url,
        events,
        read_scopes,
        description: body.description,
        secret_sealed,
    };
    let webhook = app
        .store
        .insert_webhook(&new, app.clock.now().timestamp_millis())
        .await?;
    let view = WebhookView::from(webhook);
    // The tag of the webhook as it is read back: the secret is not part of the resource.
    let etag = etag_of(&view);
    let created = CreatedWebhook {
        webhook: view,
        secret,
    };
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag)],
        Extension(ContainsSecret),
        AppJson(created),
    )
        .into_response())
}

/// Update a webhook
///
/// Changes the fields sent and keeps the others: a new url is checked as on creation, new
/// `events` need their read scopes on this key (and `["*"]` takes this key's). `disabled`
/// stops or resumes deliveries. With `If-Match`, the change is made only if the webhook is
/// still as the client last read it.
#[utoipa::path(
    put, path = "/api/v1/webhooks/{id}", tag = "Webhooks", operation_id = "updateWebhook",
    params(
        ("id" = String, Path, description = "The webhook's id (`wh_…`)."),
        ("If-Match" = Option<String>, Header, description = "The webhook's `ETag` as last read, or `*`; when it no longer matches, nothing changes and the answer is 412."),
    ),
    request_body(content = UpdateWebhookBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The webhook as it is now.", body = WebhookView,
         headers(("ETag" = String, description = "The strong entity tag of this representation, for `If-Match`."))),
        (status = 400, description = "The request is invalid; `error.message` says how.", body = ErrorEnvelope,
         examples(
            ("INVALID_WEBHOOK_URL" = (value = json!({"error": {"code": "INVALID_WEBHOOK_URL", "message": "the url must use https"}}))),
            ("INVALID_EVENTS" = (value = json!({"error": {"code": "INVALID_EVENTS", "message": "events must name at least one event type, or be [\"*\"]"}}))),
            ("INVALID_DESCRIPTION" = (value = json!({"error": {"code": "INVALID_DESCRIPTION", "message": "description must be at most 500 characters"}}))),
        )),
        (status = 403, description = "The key lacks the read scope of an event type it asks for (`INSUFFICIENT_SCOPE`, naming it), or its owner is not on the Business plan (`PLAN_REQUIRED`).", body = ErrorEnvelope,
         examples(
            ("INSUFFICIENT_SCOPE" = (value = json!({"error": {"code": "INSUFFICIENT_SCOPE", "message": "this API key lacks the profile:read scope needed to receive these events"}}))),
        )),
        (status = 404, description = "No such webhook for the key's owner, or the key lacks a read scope of its events."),
        (status = 409, description = "The webhook changed during the update (`CONFLICT`); retry."),
        (status = 412, description = "`If-Match` no longer matches the webhook's `ETag`; nothing changed."),
    ),
    security(("bearer" = []))
)]
pub async fn update_webhook(
    State(app): State<AppState>,
    Path(id): Path<WebhookId>,
    if_match: IfMatch,
    key: ApiKey,
    AppJson(body): AppJson<UpdateWebhookBody>,
) -> Result<Tagged<WebhookView>, ApiError> {
    let current = visible_webhook(&app, &key, &id).await?;
    let (events, read_scopes) = match body.events {
        Some(names) => {
            let events = EventFilter::parse(&names)?;
            let read_scopes = events.read_scopes(key.scopes)?;
            (events, read_scopes)
        }
        None => (current.events.clone(), current.read_scopes),
    };
    let description = match body.description {
        Some(description) => {
            check_description(description.as_deref())?;
            description
        }
        None => current.description.clone(),
    };
    let url = match body.url {
        Some(url) => checked_url(&app, &url).await?,
        None => current.url.clone(),
    };
    let change = WebhookChange {
        url,
        events,
        read_scopes,
        description,
        disabled: body.disabled.unwrap_or(current.disabled),
    };
    // After validation: an invalid body is refused as such whatever the precondition.
    if_match.check(&etag_of(&WebhookView::from(current.clone())))?;
    if is_unchanged(&current, &change) {
        return Ok(Tagged(StatusCode::OK, current.into()));
    }
    let webhook = app
        .store
        .update_webhook(
            &key.user_id,
            &id,
            current.version,
            &change,
            app.clock.now().timestamp_millis(),
        )
        .await
        .map_err(|err| stale_if_conditional(err, &if_match))?;
    Ok(Tagged(StatusCode::OK, webhook.into()))
}

fn is_unchanged(current: &Webhook, change: &WebhookChange) -> bool {
    current.url == change.url
        && current.events == change.events
        && current.read_scopes == change.read_scopes
        && current.description == change.description
        && current.disabled == change.disabled
}

/// Delete a webhook
///
/// Deletes the webhook with its queued events and its delivery attempts; nothing more is sent
/// to it.
#[utoipa::path(
    delete, path = "/api/v1/webhooks/{id}", tag = "Webhooks", operation_id = "deleteWebhook",
    params(
        ("id" = String, Path, description = "The webhook's id (`wh_…`)."),
        ("If-Match" = Option<String>, Header, description = "The webhook's `ETag` as last read, or `*`; when it no longer matches, nothing is deleted and the answer is 412."),
    ),
    responses(
        (status = 200, description = "The webhook is gone.", body = Deleted),
        (status = 404, description = "No such webhook for the key's owner, or the key lacks a read scope of its events."),
        (status = 412, description = "`If-Match` no longer matches the webhook's `ETag`; nothing changed."),
    ),
    security(("bearer" = []))
)]
pub async fn delete_webhook(
    State(app): State<AppState>,
    Path(id): Path<WebhookId>,
    if_match: IfMatch,
    key: ApiKey,
) -> Result<AppJson<Deleted>, ApiError> {
    // Always read first: a key that may not see the webhook may not delete it either.
    let current = visible_webhook(&app, &key, &id).await?;
    if_match.check(&etag_of(&WebhookView::from(current.clone())))?;
    let version = if_match.is_present().then_some(current.version);
    app.store
        .delete_webhook(&key.user_id, &id, version)
        .await
        .map_err(|err| stale_if_conditional(err, &if_match))?;
    Ok(AppJson(Deleted {
        id: id.into(),
        deleted: true,
    }))
}
