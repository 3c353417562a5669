//! The outbox: every change writes its events here, inside its own transaction, one queued
//! message per subscription that wants the event. An event nobody subscribes to is not stored.

use rusqlite::{params, Connection};
use serde_json::{json, Value};

use crate::domain::post::PostStatus;
use crate::domain::webhook::{EventFilter, EventType};
use crate::domain::{EventId, Scope, Scopes, UserId, WebhookId};
use crate::store::webhooks::{event_body, EventPayloads};
use crate::store::Post;

use super::webhooks::filter_from_sql;

/// One event a change emits: its type and its `data`.
pub(super) struct Event {
    pub kind: EventType,
    pub data: Value,
}

impl Event {
    pub(super) fn new(kind: EventType, data: Value) -> Self {
        Self { kind, data }
    }

    /// A deletion's event: `data` is only the id.
    pub(super) fn deleted(kind: EventType, id: &str) -> Self {
        Self::new(kind, json!({ "id": id }))
    }
}

/// Writes `events` of `user_id` to the outbox and queues them for each enabled subscription
/// that wants them. Call inside the transaction of the change.
pub(super) fn emit(
    conn: &Connection,
    user_id: &UserId,
    events: &[Event],
    now: i64,
) -> rusqlite::Result<()> {
    let subscriptions = conn
        .prepare_cached(
            "SELECT id, events, reads_posts, reads_ideas, reads_profile FROM webhooks
             WHERE user_id = ?1 AND disabled = 0 ORDER BY seq",
        )?
        .query_map([user_id], |row| {
            let id: WebhookId = row.get(0)?;
            let filter = filter_from_sql(&row.get::<_, String>(1)?)?;
            let scopes = read_scopes_from_sql(row.get(2)?, row.get(3)?, row.get(4)?);
            Ok((id, filter, scopes))
        })?
        .collect::<rusqlite::Result<Vec<(WebhookId, EventFilter, Scopes)>>>()?;
    if subscriptions.is_empty() {
        return Ok(());
    }
    for event in events {
        let wanted: Vec<&WebhookId> = subscriptions
            .iter()
            .filter(|(_, filter, scopes)| filter.matches(*scopes, event.kind))
            .map(|(id, _, _)| id)
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let event_id = EventId::generate();
        conn.prepare_cached(
            "INSERT INTO webhook_events (id, user_id, type, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            event_id.as_str(),
            user_id,
            event.kind.as_str(),
            event_body(event.kind, &event.data, now),
            now
        ])?;
        for webhook_id in wanted {
            queue(conn, webhook_id, &event_id, now)?;
        }
    }
    Ok(())
}

/// Queues an event for one subscription, due now.
pub(super) fn queue(
    conn: &Connection,
    webhook_id: &WebhookId,
    event_id: &EventId,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO webhook_messages (webhook_id, event_id, next_attempt_at, updated_at)
         VALUES (?1, ?2, ?3, ?3)",
    )?
    .execute(params![webhook_id.as_str(), event_id.as_str(), now])?;
    Ok(())
}

/// The read scopes stored as three flags.
pub(super) fn read_scopes_from_sql(posts: bool, ideas: bool, profile: bool) -> Scopes {
    [
        (posts, Scope::PostsRead),
        (ideas, Scope::IdeasRead),
        (profile, Scope::ProfileRead),
    ]
    .into_iter()
    .filter_map(|(set, scope)| set.then_some(scope))
    .collect()
}

/// The events of a post's change from `before` (`None`: it was just created) to `after`:
/// the event of its kind, and `post.scheduled`, `post.published` or `post.failed` when the
/// change is one of those.
pub(super) fn post_changed(
    payloads: &dyn EventPayloads,
    before: Option<&Post>,
    after: &Post,
) -> Vec<Event> {
    let data = payloads.post(after);
    let status = after.fields.status;
    let mut kinds = vec![if before.is_some() {
        EventType::PostUpdated
    } else {
        EventType::PostCreated
    }];
    let was = |s: PostStatus| before.is_some_and(|b| b.fields.status == s);
    let time_moved = before.is_none_or(|b| b.fields.scheduled_at != after.fields.scheduled_at);
    if status == PostStatus::Scheduled && (!was(PostStatus::Scheduled) || time_moved) {
        kinds.push(EventType::PostScheduled);
    }
    if status == PostStatus::Published && !was(PostStatus::Published) {
        kinds.push(EventType::PostPublished);
    }
    if status == PostStatus::Failed && before.is_some_and(|b| b.failure != after.failure) {
        kinds.push(EventType::PostFailed);
    }
    kinds
        .into_iter()
        .map(|kind| Event::new(kind, data.clone()))
        .collect()
}
