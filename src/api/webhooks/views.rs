//! What the webhooks API reads and writes: request bodies, the subscription and delivery views,
//! and the JSON Schema of an `events` list, which the derive cannot express.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::domain::time::rfc3339;
use crate::domain::webhook::EventType;
use crate::store::webhooks::{Delivery, Webhook};

/// The body of `POST /api/v1/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(examples(
    json!({"url": "https://hooks.example.com/linkedgrow", "events": ["post.published", "post.failed"]}),
    json!({"url": "https://hooks.example.com/all", "events": ["*"], "description": "Zapier"})
))]
pub struct CreateWebhookBody {
    /// Where events are sent: an `https` url whose host is on the public internet (every
    /// address it resolves to), at most 2,048 characters, without a user name or password.
    #[schema(value_type = String, required = true, max_length = 2048,
             examples("https://hooks.example.com/linkedgrow"))]
    pub url: Option<String>,
    /// The event types to receive, or `["*"]` for every event the key may read.
    #[schema(value_type = Vec<String>, required = true)]
    pub events: Option<Vec<String>>,
    /// A note for people, at most 500 characters.
    #[schema(max_length = 500, examples("Zapier: new posts to Slack"))]
    pub description: Option<String>,
}

/// The body of `PUT /api/v1/webhooks/{id}`: only the fields sent change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(examples(json!({"disabled": true}), json!({"events": ["idea.created"], "description": null})))]
pub struct UpdateWebhookBody {
    /// A new url, checked as on creation; `null` is the same as leaving it out.
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    /// A new list of event types (or `["*"]`), replacing the old one; `null` is the same as
    /// leaving it out.
    #[schema(value_type = Option<Vec<String>>)]
    pub events: Option<Vec<String>>,
    /// A new description; `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub description: Option<Option<String>>,
    /// `true` stops deliveries; `false` resumes them (and clears `disabledReason`); `null` is
    /// the same as leaving it out.
    pub disabled: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Why the system disabled a webhook, or `owner` when a client did.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisabledReason {
    /// The receiver answered 410 Gone.
    Gone,
    /// Every attempt failed for five days.
    Failing,
    /// The API key that created it was revoked.
    KeyRevoked,
    /// It was disabled through the API or the web app.
    Owner,
}

/// A webhook as the API shows it: never its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(examples(json!({
    "id": "wh_Nq4Zt8Lp2Xc6Vb1M", "url": "https://hooks.example.com/linkedgrow",
    "events": ["post.published", "post.failed"], "description": "Zapier: new posts to Slack",
    "disabled": false, "disabledReason": null,
    "createdAt": "2026-01-05T09:00:00Z", "updatedAt": "2026-01-05T09:00:00Z"
})))]
pub struct WebhookView {
    /// `wh_` and 16 letters or digits.
    #[schema(pattern = "^wh_[A-Za-z0-9]{16}$")]
    pub id: String,
    /// The url as stored (normalised: lower-case scheme and host, a `/` path when none was
    /// given).
    pub url: String,
    /// The event types it receives, or `["*"]`.
    #[schema(value_type = Vec<String>)]
    pub events: Vec<&'static str>,
    /// The note given with it; `null` when none.
    pub description: Option<String>,
    /// Whether deliveries are stopped.
    pub disabled: bool,
    /// Why it is disabled; `null` while enabled.
    #[schema(value_type = Option<DisabledReason>)]
    pub disabled_reason: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Webhook> for WebhookView {
    fn from(webhook: Webhook) -> Self {
        Self {
            id: webhook.id.into(),
            url: webhook.url,
            events: webhook.events.names(),
            description: webhook.description,
            disabled: webhook.disabled,
            disabled_reason: webhook
                .disabled
                .then_some(webhook.disabled_reason)
                .flatten(),
            created_at: rfc3339(webhook.created_at),
            updated_at: rfc3339(webhook.updated_at),
        }
    }
}

/// A new webhook, with the secret that signs its deliveries: shown in this answer only.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(examples(json!({
    "id": "wh_Nq4Zt8Lp2Xc6Vb1M", "url": "https://hooks.example.com/linkedgrow",
    "events": ["post.published", "post.failed"], "description": null,
    "disabled": false, "disabledReason": null,
    "createdAt": "2026-01-05T09:00:00Z", "updatedAt": "2026-01-05T09:00:00Z",
    "secret": "whsec_BwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSY="
})))]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The Standard Webhooks signing secret (`whsec_` and base64 of 32 random bytes). Store it
    /// now: it is never shown again.
    #[schema(pattern = "^whsec_[A-Za-z0-9+/]+={0,2}$")]
    pub secret: String,
}

/// One page of webhooks, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookView>,
    /// How many webhooks the key may see, across all pages.
    #[schema(minimum = 0)]
    pub total: u64,
    #[schema(minimum = 1, maximum = 100)]
    pub limit: u32,
    #[schema(minimum = 0)]
    pub offset: u64,
}

/// One attempt to deliver an event.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(examples(json!({
    "id": "dlv_Hs2Kq9Wm4Tz7Lc1B", "eventId": "msg_Pw7Xn3Rb8Vd2Qf5J", "type": "webhook.test",
    "attempt": 1, "statusCode": 200, "error": null, "durationMs": 84,
    "createdAt": "2026-01-05T09:00:00Z"
})))]
pub struct DeliveryView {
    /// `dlv_` and 16 letters or digits.
    #[schema(pattern = "^dlv_[A-Za-z0-9]{16}$")]
    pub id: String,
    /// The event (`msg_…`): the `webhook-id` header, the same on every attempt of it.
    #[schema(pattern = "^msg_[A-Za-z0-9]{16}$")]
    pub event_id: String,
    /// The event's type, such as `post.published`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// 1 for the first attempt of this event at this webhook, one more for each after it.
    #[schema(minimum = 1)]
    pub attempt: u32,
    /// The receiver's HTTP status; `null` when it did not answer.
    #[schema(minimum = 100, maximum = 599)]
    pub status_code: Option<u16>,
    /// Why no answer came (refused connection, timeout, …); `null` when one did.
    pub error: Option<String>,
    /// How long the attempt took, in milliseconds.
    #[schema(minimum = 0)]
    pub duration_ms: u64,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<Delivery> for DeliveryView {
    fn from(delivery: Delivery) -> Self {
        Self {
            id: delivery.id.into(),
            event_id: delivery.event_id.into(),
            event_type: delivery.event_type,
            attempt: delivery.attempt,
            status_code: delivery.status_code,
            error: delivery.error,
            duration_ms: delivery.duration_ms,
            created_at: rfc3339(delivery.created_at),
        }
    }
}

/// One page of a webhook's delivery attempts, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryView>,
    /// How many attempts are kept (30 days), across all pages.
    #[schema(minimum = 0)]
    pub total: u64,
    #[schema(minimum = 1, maximum = 100)]
    pub limit: u32,
    #[schema(minimum = 0)]
    pub offset: u64,
}

/// The JSON Schema of an `events` list: `["*"]` alone, or event type names.
pub fn events_schema() -> Value {
    let names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    json!({
        "description": "`[\"*\"]` for every event the key may read, or a list of event types \
            (repeats are ignored). Each type needs its read scope on the key: `post.*` \
            `posts:read`, `idea.*` `ideas:read`, `linkedin.*` `profile:read`; `webhook.test` \
            needs none and is only sent by the test operation.",
        "anyOf": [
            { "type": "array", "items": { "const": "*" }, "minItems": 1, "maxItems": 1 },
            { "type": "array", "items": { "type": "string", "enum": names }, "minItems": 1 }
        ],
        "examples": [["post.published", "post.failed"], ["*"]]
    })
}

/// The JSON Schema of a delivery's `type`: an event type name.
pub fn event_type_schema() -> Value {
    let names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    json!({ "type": "string", "enum": names, "description": "The event's type." })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_tell_null_from_absent() {
        let kept: UpdateWebhookBody = serde_json::from_str("{}").unwrap();
        assert_eq!(kept.description, None);
        let cleared: UpdateWebhookBody = serde_json::from_str(r#"{"description": null}"#).unwrap();
        assert_eq!(cleared.description, Some(None));
    }

    #[test]
    fn the_secret_sits_beside_the_view_fields() {
        let view = WebhookView {
            id: "wh_1".into(),
            url: "https://example.com/".into(),
            events: vec!["*"],
            description: None,
            disabled: false,
            disabled_reason: None,
            created_at: rfc3339(0),
            updated_at: rfc3339(0),
        };
        let created = serde_json::to_value(CreatedWebhook {
            webhook: view,
            secret: "whsec_x".into(),
        })
        .unwrap();
        assert_eq!(created["secret"], "whsec_x");
        assert_eq!(created["events"], json!(["*"]));
        assert_eq!(created["disabledReason"], Value::Null);
    }
}
