//! A webhook's deliveries: a test event sent now, the log of attempts, and sending one again.

use axum::extract::{Path, State};

use crate::api::auth::ApiKey;
use crate::api::error::{ApiError, AppJson};
use crate::domain::{DeliveryId, WebhookId};
use crate::store::StoreError;
use crate::AppState;

use super::super::openapi::ErrorEnvelope;
use super::super::query::QueryParams;
use super::views::{DeliveryList, DeliveryView};
use super::visible_webhook;

/// Send a test event
///
/// Sends a `webhook.test` event to the webhook now, even a disabled one, and answers with the
/// attempt: whether the receiver took it is in `statusCode` and `error`, not in this answer's
/// status. A failed test is retried on the usual schedule while the webhook is enabled.
#[utoipa::path(
    post, path = "/api/v1/webhooks/{id}/test", tag = "Webhooks", operation_id = "testWebhook",
    params(("id" = String, Path, description = "The webhook's id (`wh_…`).")),
    responses(
        (status = 200, description = "The attempt, with the receiver's answer.", body = DeliveryView),
        (status = 404, description = "No such webhook for the key's owner, or the key lacks a read scope of its events."),
    ),
    security(("bearer" = []))
)]
pub async fn test_webhook(
    State(app): State<AppState>,
    Path(id): Path<WebhookId>,
    key: ApiKey,
) -> Result<AppJson<DeliveryView>, ApiError> {
    visible_webhook(&app, &key, &id).await?;
    let delivery = app.webhooks.send_test(&key.user_id, &id).await?;
    Ok(AppJson(delivery.into()))
}

/// List delivery attempts
///
/// The webhook's delivery attempts of the last 30 days, newest first, a page at a time.
#[utoipa::path(
    get, path = "/api/v1/webhooks/{id}/deliveries", tag = "Webhooks", operation_id = "listWebhookDeliveries",
    params(
        ("id" = String, Path, description = "The webhook's id (`wh_…`)."),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100.", minimum = 1, maximum = 100),
        ("offset" = Option<u64>, Query, description = "Attempts to skip.", minimum = 0, maximum = 9223372036854775807u64),
    ),
    responses(
        (status = 200, description = "A page of attempts.", body = DeliveryList),
        (status = 400, description = "The request is invalid; `error.message` says how."),
        (status = 404, description = "No such webhook for the key's owner, or the key lacks a read scope of its events."),
    ),
    security(("bearer" = []))
)]
pub async fn list_deliveries(
    State(app): State<AppState>,
    Path(id): Path<WebhookId>,
    query: QueryParams,
    key: ApiKey,
) -> Result<AppJson<DeliveryList>, ApiError> {
    query.only(&["limit", "offset"])?;
    let page = query.page()?;
    visible_webhook(&app, &key, &id).await?;
    let found = app
        .store
        .list_deliveries(&key.user_id, &id, page.limit, page.offset)
        .await?;
    Ok(AppJson(DeliveryList {
        deliveries: found
            .deliveries
            .into_iter()
            .map(DeliveryView::from)
            .collect(),
        total: found.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// Send an event again
///
/// Sends the event of one of the webhook's attempts again now, with the same `webhook-id`,
/// and answers with the new attempt (its `attempt` one more than the event's last). If it
/// fails, the retry schedule takes over from there.
#[utoipa::path(
    post, path = "/api/v1/webhooks/{id}/deliveries/{deliveryId}/resend", tag = "Webhooks",
    operation_id = "resendWebhookDelivery",
    params(
        ("id" = String, Path, description = "The webhook's id (`wh_…`)."),
        ("deliveryId" = String, Path, description = "One of its attempts (`dlv_…`)."),
    ),
    responses(
        (status = 200, description = "The new attempt, with the receiver's answer.", body = DeliveryView),
        (status = 404, description = "No such webhook for the key's owner (or the key lacks a read scope of its events), or no such attempt of it."),
        (status = 409, description = "The event is being delivered right now (`DELIVERY_IN_PROGRESS`); try again in a moment.", body = ErrorEnvelope,
         examples(
            ("DELIVERY_IN_PROGRESS" = (value = json!({"error": {"code": "DELIVERY_IN_PROGRESS", "message": "this event is being delivered right now; try again in a moment"}}))),
         )),
    ),
    security(("bearer" = []))
)]
pub async fn resend_delivery(
    State(app): State<AppState>,
    Path((id, delivery_id)): Path<(WebhookId, DeliveryId)>,
    key: ApiKey,
) -> Result<AppJson<DeliveryView>, ApiError> {
    visible_webhook(&app, &key, &id).await?;
    let delivery = app
        .webhooks
        .resend(&key.user_id, &id, &delivery_id)
        .await
        .map_err(|err| match err {
            StoreError::Conflict(message) => ApiError::conflict("DELIVERY_IN_PROGRESS", message),
            other => other.into(),
        })?;
    Ok(AppJson(delivery.into()))
}
