//! What the pages show of an endpoint and of its deliveries, in words.

use crate::domain::webhook::{EventFilter, EventType};
use crate::domain::Scope;
use crate::store::webhooks::{Delivery, Webhook};
use crate::webhooks::client::is_success;
use crate::webhooks::worker::DISABLE_AFTER_FAILING_MS;

use super::super::render::local_time;

/// One endpoint as the list and its page show it.
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    /// `None` for all events.
    pub events: Option<Vec<&'static str>>,
    pub enabled: bool,
    /// "Enabled", or "Disabled by you", or why the server disabled it.
    pub state: String,
    /// When it has been failing since, if it is.
    pub failing_since: Option<String>,
    pub created: String,
}

/// The words for a disabled endpoint.
fn disabled_because(reason: Option<&str>) -> String {
    match reason {
        None | Some("owner") => "Disabled by you".into(),
        Some("gone") => "Disabled: the receiver answered 410 Gone".into(),
        Some("failing") => format!(
            "Disabled: every delivery failed for {} days",
            DISABLE_AFTER_FAILING_MS / 86_400_000
        ),
        Some("key_revoked") => "Disabled: the API key that created it was revoked".into(),
        Some(_) => "Disabled".into(),
    }
}

pub fn webhook_row(webhook: &Webhook, tz: chrono_tz::Tz) -> WebhookRow {
    WebhookRow {
        id: webhook.id.to_string(),
        url: webhook.url.clone(),
        description: webhook.description.clone(),
        events: match &webhook.events {
            EventFilter::All => None,
            only @ EventFilter::Only(_) => Some(only.names()),
        },
        enabled: !webhook.disabled,
        state: if webhook.disabled {
            disabled_because(webhook.disabled_reason.as_deref())
        } else {
            "Enabled".into()
        },
        failing_since: webhook
            .failing_since
            .filter(|_| !webhook.disabled)
            .map(|at| local_time(at, tz)),
        created: local_time(webhook.created_at, tz),
    }
}

/// One event checkbox.
pub struct EventChoice {
    pub name: &'static str,
    pub description: &'static str,
    pub checked: bool,
}

/// The checkboxes of one kind of record.
pub struct EventGroup {
    pub legend: &'static str,
    pub events: Vec<EventChoice>,
}

/// What an event means, for its checkbox.
fn describe(event: EventType) -> &'static str {
    match event {
        EventType::PostCreated => "A post was created",
        EventType::PostUpdated => "A post was changed",
        EventType::PostDeleted => "A post was deleted",
        EventType::PostScheduled => "A post was scheduled, or its time moved",
        EventType::PostPublished => "A post was published on LinkedIn",
        EventType::PostFailed => "LinkedIn did not take a post",
        EventType::IdeaCreated => "An idea was created",
        EventType::IdeaUpdated => "An idea was changed",
        EventType::IdeaDeleted => "An idea was deleted",
        EventType::IdeaConverted => "An idea became a post",
        EventType::LinkedInTokenExpiring => "The LinkedIn connection ends within a week",
        EventType::LinkedInDisconnected => "LinkedIn was disconnected",
        EventType::WebhookTest => "A test event, sent on request",
    }
}

/// The checkboxes, grouped by what the events are about, with `ticked` ticked. The test
/// event has none: it is sent to one endpoint when asked, whatever it subscribes to.
pub fn event_groups(ticked: &[String]) -> Vec<EventGroup> {
    [
        ("Posts", Scope::PostsRead),
        ("Ideas", Scope::IdeasRead),
        ("LinkedIn", Scope::ProfileRead),
    ]
    .into_iter()
    .map(|(legend, scope)| EventGroup {
        legend,
        events: EventType::ALL
            .into_iter()
            .filter(|event| event.read_scope() == Some(scope))
            .map(|event| EventChoice {
                name: event.as_str(),
                description: describe(event),
                checked: ticked.iter().any(|t| t == event.as_str()),
            })
            .collect(),
    })
    .collect()
}

/// One attempt in the deliveries table.
pub struct DeliveryRow {
    pub id: String,
    pub time: String,
    pub event_type: String,
    pub attempt: u32,
    pub delivered: bool,
    /// The status code, or why there was none.
    pub result: String,
    pub duration: String,
}

pub fn delivery_row(delivery: &Delivery, tz: chrono_tz::Tz) -> DeliveryRow {
    DeliveryRow {
        id: delivery.id.to_string(),
        time: local_time(delivery.created_at, tz),
        event_type: delivery.event_type.clone(),
        attempt: delivery.attempt,
        delivered: delivery.status_code.is_some_and(is_success),
        result: match (delivery.status_code, &delivery.error) {
            (Some(code), _) => code.to_string(),
            (None, Some(error)) => error.clone(),
            (None, None) => "No answer".into(),
        },
        duration: format!("{} ms", delivery.duration_ms),
    }
}

/// What became of a test or a resend, in one sentence; whether it was delivered.
pub fn outcome(what: &str, delivery: &Delivery) -> (bool, String) {
    let took = delivery.duration_ms;
    match (delivery.status_code, &delivery.error) {
        (Some(code), _) if is_success(code) => (
            true,
            format!("{what} delivered: the receiver answered {code} in {took} ms."),
        ),
        (Some(code), _) => (
            false,
            format!("{what} not delivered: the receiver answered {code} after {took} ms."),
        ),
        (None, Some(error)) => (false, format!("{what} not delivered: {error}.")),
        (None, None) => (false, format!("{what} not delivered.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_to_disable_is_said_in_words() {
        assert_eq!(disabled_because(None), "Disabled by you");
        assert_eq!(disabled_because(Some("owner")), "Disabled by you");
        assert_eq!(
            disabled_because(Some("gone")),
            "Disabled: the receiver answered 410 Gone"
        );
        assert_eq!(
            disabled_because(Some("failing")),
            "Disabled: every delivery failed for 5 days"
        );
        assert_eq!(
            disabled_because(Some("key_revoked")),
            "Disabled: the API key that created it was revoked"
        );
    }

    #[test]
    fn every_event_but_the_test_has_one_checkbox_in_its_group() {
        let groups = event_groups(&["idea.deleted".to_owned()]);
        let legends: Vec<_> = groups.iter().map(|g| g.legend).collect();
        assert_eq!(legends, ["Posts", "Ideas", "LinkedIn"]);
        let names: Vec<_> = groups
            .iter()
            .flat_map(|g| g.events.iter().map(|e| e.name))
            .collect();
        let expected: Vec<_> = EventType::ALL
            .into_iter()
            .filter(|e| *e != EventType::WebhookTest)
            .map(EventType::as_str)
            .collect();
        assert_eq!(names, expected);
        let ticked: Vec<_> = groups
            .iter()
            .flat_map(|g| g.events.iter().filter(|e| e.checked).map(|e| e.name))
            .collect();
        assert_eq!(ticked, ["idea.deleted"]);
    }
}
