//! Webhooks: events written with the change that causes them, subscriptions that get only what
//! they asked for, visibility by scope, LinkedIn events once; the helpers the queue's checks
//! (`webhook_queue.rs`) share.

use serde_json::Value;

use super::*;
use crate::domain::webhook::{EventFilter, EventType};
use crate::domain::{DeliveryId, EventId, WebhookId};
use crate::store::publishing::LinkedInAccount;
use crate::store::webhooks::{AttemptOutcome, ClaimBounds, Lease, NewWebhook, NextStep};

pub(super) const LEASE: i64 = 60_000;

pub(super) fn lease(claim: &'static str, now: i64, until: i64) -> Lease<'static> {
    Lease { claim, now, until }
}

/// At most `per_webhook` per webhook and `limit` in all, no bound per account.
pub(super) fn bounds(per_webhook: u32, limit: u32) -> ClaimBounds {
    ClaimBounds {
        per_webhook,
        per_account: u32::MAX,
        limit,
    }
}

pub(super) fn all_reads() -> Scopes {
    [Scope::PostsRead, Scope::IdeasRead, Scope::ProfileRead]
        .into_iter()
        .collect()
}

pub(super) async fn subscribe(
    store: &dyn Store,
    user: &User,
    id: &str,
    events: EventFilter,
) -> WebhookId {
    let id = WebhookId::from(id);
    store
        .insert_webhook(
            &NewWebhook {
                id: id.clone(),
                user_id: user.id.clone(),
                created_by_key: None,
                url: format!("https://example.com/{id}"),
                events,
                read_scopes: all_reads(),
                description: None,
                secret_sealed: "sealed".into(),
            },
            NOW,
        )
        .await
        .unwrap();
    id
}

/// Claims everything due at `now` and gives back (type, body) in queue order.
pub(super) async fn drain(store: &dyn Store, now: i64) -> Vec<(String, Value)> {
    let claimed = store
        .claim_due_messages(lease("drain", now, now + LEASE), 0, bounds(100, 100))
        .await
        .unwrap();
    for message in &claimed {
        store
            .record_attempt(message, &delivered(now))
            .await
            .unwrap();
    }
    claimed
        .into_iter()
        .map(|m| (m.event_type, serde_json::from_str(&m.body).unwrap()))
        .collect()
}

pub(super) fn outcome(at: i64, status: u16, next: NextStep) -> AttemptOutcome {
    AttemptOutcome {
        delivery_id: DeliveryId::generate(),
        status_code: Some(status),
        error: None,
        duration_ms: 12,
        at,
        next,
        disable: None,
    }
}

pub(super) fn delivered(at: i64) -> AttemptOutcome {
    outcome(at, 200, NextStep::Delivered)
}

pub(super) fn types(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(t, _)| t.as_str()).collect()
}

pub async fn every_change_emits_its_events_in_its_own_transaction(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let post = PostId::from("post_before");
    store
        .insert_post(&ada.id, &post, &draft("before anyone listened"), NOW)
        .await
        .unwrap();
    assert!(
        drain(store.as_ref(), NOW).await.is_empty(),
        "no subscriber, no event"
    );

    subscribe(store.as_ref(), &ada, "wh_all", EventFilter::All).await;
    let created = store
        .insert_post(&ada.id, &PostId::from("post_1"), &draft("hello"), NOW)
        .await
        .unwrap();
    let events = drain(store.as_ref(), NOW).await;
    assert_eq!(types(&events), ["post.created"]);
    let (_, body) = &events[0];
    assert_eq!(body["type"], "post.created");
    assert_eq!(body["timestamp"], "2026-01-05T09:00:00Z");
    assert_eq!(body["data"]["id"], "post_1");
    assert_eq!(body["data"]["status"], "draft");
    assert_eq!(body["data"]["content"], "hello");

    let scheduled_at = NOW + 3_600_000;
    let moved = store
        .update_post(
            &ada.id,
            &created.id,
            created.version,
            &scheduled("hello", scheduled_at),
            NOW + 1,
        )
        .await
        .unwrap();
    assert_eq!(
        types(&drain(store.as_ref(), NOW + 1).await),
        ["post.updated", "post.scheduled"]
    );
    let same_time = store
        .update_post(
            &ada.id,
            &moved.id,
            moved.version,
            &scheduled("hello!", scheduled_at),
            NOW + 2,
        )
        .await
        .unwrap();
    assert_eq!(
        types(&drain(store.as_ref(), NOW + 2).await),
        ["post.updated"]
    );
    store
        .mark_published(&ada.id, &same_time.id, NOW + 3)
        .await
        .unwrap();
    let published = drain(store.as_ref(), NOW + 3).await;
    assert_eq!(types(&published), ["post.updated", "post.published"]);
    assert_eq!(published[1].1["data"]["status"], "published");
    store
        .delete_post(&ada.id, &created.id, None, NOW + 4)
        .await
        .unwrap();
    let deleted = drain(store.as_ref(), NOW + 4).await;
    assert_eq!(types(&deleted), ["post.deleted"]);
    assert_eq!(deleted[0].1["data"], serde_json::json!({"id": "post_1"}));

    let idea = store
        .insert_idea(&ada.id, "idea_1", &idea_fields("an idea", &["x"]), NOW + 5)
        .await
        .unwrap();
    let idea = store
        .update_idea(
            &ada.id,
            &idea.id,
            idea.version,
            &idea_fields("a better idea", &[]),
            NOW + 6,
        )
        .await
        .unwrap();
    store
        .convert_idea(
            &ada.id,
            &idea.id,
            idea.version,
            &PostId::from("post_2"),
            &draft("a better idea"),
            NOW + 7,
        )
        .await
        .unwrap();
    let ideas = drain(store.as_ref(), NOW + 7).await;
    assert_eq!(
        types(&ideas),
        [
            "idea.created",
            "idea.updated",
            "idea.converted",
            "post.created"
        ]
    );
    assert_eq!(ideas[2].1["data"]["postId"], "post_2");
    assert_eq!(ideas[3].1["data"]["id"], "post_2");

    // A refused change emits nothing: the event goes with the change or not at all.
    let stale = store
        .update_idea(
            &ada.id,
            &idea.id,
            idea.version,
            &idea_fields("stale", &[]),
            NOW + 8,
        )
        .await;
    assert!(is_conflict(&stale));
    assert!(drain(store.as_ref(), NOW + 8).await.is_empty());
}

pub async fn subscriptions_get_only_the_events_they_asked_for(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let ideas_only = EventFilter::Only(vec![EventType::IdeaCreated]);
    let ideas = subscribe(store.as_ref(), &ada, "wh_ideas", ideas_only).await;
    let everything = subscribe(store.as_ref(), &ada, "wh_all", EventFilter::All).await;
    store
        .insert_post(&ada.id, &PostId::from("post_1"), &draft("p"), NOW)
        .await
        .unwrap();
    store
        .insert_idea(&ada.id, "idea_1", &idea_fields("i", &[]), NOW)
        .await
        .unwrap();
    let claimed = store
        .claim_due_messages(lease("c", NOW, NOW + LEASE), 0, bounds(100, 100))
        .await
        .unwrap();
    let mut seen: Vec<(String, String)> = claimed
        .iter()
        .map(|m| (m.webhook_id.to_string(), m.event_type.clone()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (everything.to_string(), "idea.created".to_owned()),
            (everything.to_string(), "post.created".to_owned()),
            (ideas.to_string(), "idea.created".to_owned()),
        ]
    );
    let one_event: Vec<&EventId> = claimed
        .iter()
        .filter(|m| m.event_type == "idea.created")
        .map(|m| &m.event_id)
        .collect();
    assert_eq!(
        one_event[0], one_event[1],
        "one event, the same id at every subscriber"
    );
}

pub async fn webhooks_are_seen_by_scope_and_stop_with_their_key_or_plan(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let key = KeyId::from("key_1");
    store.insert_key(&new_key(&ada, &key, NOW)).await.unwrap();
    let posts_read: Scopes = [Scope::PostsRead].into_iter().collect();
    let hook = store
        .insert_webhook(
            &NewWebhook {
                id: WebhookId::from("wh_posts"),
                user_id: ada.id.clone(),
                created_by_key: Some(key.clone()),
                url: "https://example.com/hook".into(),
                events: EventFilter::All,
                read_scopes: posts_read,
                description: Some("zap".into()),
                secret_sealed: "sealed".into(),
            },
            NOW,
        )
        .await
        .unwrap();
    subscribe(store.as_ref(), &ada, "wh_all", EventFilter::All).await;
    let ideas_read: Scopes = [Scope::IdeasRead].into_iter().collect();
    let listed = |scopes: Scopes| store.list_webhooks(&ada.id, scopes, 10, 0);
    assert_eq!(listed(all_reads()).await.unwrap().total, 2);
    let page = listed(posts_read).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.webhooks[0].id, hook.id);
    assert_eq!(listed(ideas_read).await.unwrap().total, 0);

    // Below Business: nothing is delivered, nothing is lost.
    store.set_plan(&ada.id, Plan::Pro).await.unwrap();
    store
        .insert_post(&ada.id, &PostId::from("post_1"), &draft("p"), NOW)
        .await
        .unwrap();
    assert!(drain(store.as_ref(), NOW).await.is_empty());
    store.set_plan(&ada.id, Plan::Business).await.unwrap();
    assert_eq!(
        drain(store.as_ref(), NOW + 1).await.len(),
        2,
        "both webhooks, once back"
    );

    store.revoke_key(&key, NOW + 2).await.unwrap();
    let revoked = store.get_webhook(&ada.id, &hook.id).await.unwrap();
    assert!(revoked.disabled, "revoking the key disables its webhooks");
    assert_eq!(revoked.disabled_reason.as_deref(), Some("key_revoked"));
    store
        .insert_post(&ada.id, &PostId::from("post_2"), &draft("p"), NOW + 3)
        .await
        .unwrap();
    let after = store
        .claim_due_messages(lease("c", NOW + 3, NOW + LEASE), 0, bounds(10, 10))
        .await
        .unwrap();
    assert!(after.iter().all(|m| m.webhook_id == "wh_all"));
    assert_eq!(after.len(), 1);
}

pub async fn linkedin_events_are_sent_once_per_change(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let day = 86_400_000;
    store
        .save_linkedin_account(&LinkedInAccount {
            user_id: ada.id.clone(),
            member_sub: "sub".into(),
            member_name: "Ada".into(),
            picture_url: None,
            token_sealed: "sealed".into(),
            token_expires_at: Some(NOW + 6 * day),
            scopes: "openid,profile,w_member_social".into(),
            needs_reconnect: false,
            connected_at: NOW,
            updated_at: NOW,
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .warn_expiring_tokens(NOW + 7 * day, NOW)
            .await
            .unwrap(),
        0,
        "nobody listens yet: not marked as warned"
    );
    subscribe(store.as_ref(), &ada, "wh_all", EventFilter::All).await;
    assert_eq!(
        store
            .warn_expiring_tokens(NOW + 7 * day, NOW)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .warn_expiring_tokens(NOW + 7 * day, NOW + 1)
            .await
            .unwrap(),
        0
    );
    let events = drain(store.as_ref(), NOW + 1).await;
    assert_eq!(types(&events), ["linkedin.token_expiring"]);
    assert_eq!(events[0].1["data"]["connected"], true);

    store.mark_needs_reconnect(&ada.id, NOW + 2).await.unwrap();
    store.mark_needs_reconnect(&ada.id, NOW + 3).await.unwrap();
    store
        .delete_linkedin_account(&ada.id, NOW + 4)
        .await
        .unwrap();
    let events = drain(store.as_ref(), NOW + 4).await;
    assert_eq!(
        types(&events),
        ["linkedin.disconnected", "linkedin.disconnected"],
        "refused once, then disconnected"
    );
    assert_eq!(events[1].1["data"]["connected"], false);
}

/// A key revoked while its request to create a webhook is under way (its url's name can take
/// seconds to resolve) must not leave an enabled webhook behind: revoking a key disables its
/// webhooks, also the one stored a moment after the revocation.
pub async fn a_webhook_stored_for_a_key_revoked_meanwhile_is_disabled(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let key = KeyId::from("key_1");
    store.insert_key(&new_key(&ada, &key, NOW)).await.unwrap();
    // The request was authenticated before this; the revocation lands while it checks the url.
    store.revoke_key(&key, NOW + 1).await.unwrap();
    let hook = store
        .insert_webhook(
            &NewWebhook {
                id: WebhookId::from("wh_late"),
                user_id: ada.id.clone(),
                created_by_key: Some(key.clone()),
                url: "https://example.com/hook".into(),
                events: EventFilter::All,
                read_scopes: [Scope::PostsRead].into_iter().collect(),
                description: None,
                secret_sealed: "sealed".into(),
            },
            NOW + 2,
        )
        .await
        .unwrap();
    assert!(
        hook.disabled,
        "a revoked key's webhook never starts enabled"
    );
    assert_eq!(hook.disabled_reason.as_deref(), Some("key_revoked"));
    store
        .insert_post(&ada.id, &PostId::from("post_1"), &draft("p"), NOW + 3)
        .await
        .unwrap();
    assert!(
        drain(store.as_ref(), NOW + 3).await.is_empty(),
        "nothing is delivered for the revoked key"
    );
}

/// Deleting a converted idea's post unlinks the idea (its `postId` goes back to `null`, and it
/// may be converted again): the idea changed as `GET /ideas/{id}` shows it, so its subscribers
/// hear `idea.updated` with the idea as it is now, beside `post.deleted`.
pub async fn deleting_a_converted_post_tells_the_idea_s_subscribers(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    subscribe(store.as_ref(), &ada, "wh_all", EventFilter::All).await;
    let idea = store
        .insert_idea(&ada.id, "idea_1", &idea_fields("an idea", &[]), NOW)
        .await
        .unwrap();
    let post = PostId::from("post_1");
    store
        .convert_idea(
            &ada.id,
            &idea.id,
            idea.version,
            &post,
            &draft("an idea"),
            NOW,
        )
        .await
        .unwrap();
    drain(store.as_ref(), NOW).await;

    store
        .delete_post(&ada.id, &post, None, NOW + 1)
        .await
        .unwrap();
    let events = drain(store.as_ref(), NOW + 1).await;
    let unlinked = events
        .iter()
        .find(|(kind, _)| kind == "idea.updated")
        .unwrap_or_else(|| panic!("no idea.updated among {:?}", types(&events)));
    assert_eq!(unlinked.1["data"]["id"], "idea_1");
    assert_eq!(unlinked.1["data"]["postId"], Value::Null);
}
