//! The events a change emits, the same for every backend: what a change of a post amounts to,
//! and the read scopes a subscription is stored with.

use serde_json::{json, Value};

use crate::domain::post::PostStatus;
use crate::domain::webhook::EventType;
use crate::domain::{Scope, Scopes};
use crate::store::webhooks::EventPayloads;
use crate::store::Post;

/// One event a change emits: its type and its `data`.
pub struct Event {
    pub kind: EventType,
    pub data: Value,
}

impl Event {
    pub fn new(kind: EventType, data: Value) -> Self {
        Self { kind, data }
    }

    /// A deletion's event: `data` is only the id.
    pub fn deleted(kind: EventType, id: &str) -> Self {
        Self::new(kind, json!({ "id": id }))
    }
}

/// The read scopes stored as three flags.
pub fn read_scopes_from_sql(posts: bool, ideas: bool, profile: bool) -> Scopes {
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
pub fn post_changed(
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
