//! Webhooks: events written with the change that causes them, claims held by one worker at a
//! time and bounded per subscription, attempts that move a message on, visibility by scope.

use serde_json::Value;

use super::*;
use crate::domain::webhook::{EventFilter, EventType};
use crate::domain::{DeliveryId, EventId, WebhookId};
use crate::store::publishing::LinkedInAccount;
use crate::store::webhooks::{
    AttemptOutcome, ClaimBounds, ClaimedMessage, Lease, NewWebhook, NextStep,
};

const LEASE: i64 = 60_000;

fn lease(claim: &'static str, now: i64, until: i64) -> Lease<'static> {
    Lease { claim, now, until }
}

/// At most `per_webhook` per webhook and `limit` in all, no bound per account.
fn bounds(per_webhook: u32, limit: u32) -> ClaimBounds {
    ClaimBounds {
        per_webhook,
        per_account: u32::MAX,
        limit,
    }
}

fn all_reads() -> Scopes {
    [Scope::PostsRead, Scope::IdeasRead, Scope::ProfileRead]
        .into_iter()
        .collect()
}

async fn subscribe(store: &dyn Store, user: &User, id: &str, events: EventFilter) -> WebhookId {
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
async fn drain(store: &dyn Store, now: i64) -> Vec<(String, Value)> {
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

fn outcome(at: i64, status: u16, next: NextStep) -> AttemptOutcome {
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

fn delivered(at: i64) -> AttemptOutcome {
    outcome(at, 200, NextStep::Delivered)
}

fn types(events: &[(String, Value)]) -> Vec<&str> {
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

pub async fn due_messages_are_held_by_one_worker_and_bounded_per_webhook(db: &dyn TestDatabase) {
    let (one, two) = (db.store(), db.second_handle());
    let ada = user(one.as_ref(), "ada").await;
    let busy = subscribe(one.as_ref(), &ada, "wh_busy", EventFilter::All).await;
    for n in 0..5 {
        one.insert_post(
            &ada.id,
            &PostId::from(format!("post_{n}")),
            &draft("p"),
            NOW,
        )
        .await
        .unwrap();
    }
    let (a, b) = tokio::join!(
        one.claim_due_messages(lease("a", NOW, NOW + LEASE), 0, bounds(2, 100)),
        two.claim_due_messages(lease("b", NOW, NOW + LEASE), 0, bounds(2, 100)),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.len() + b.len(),
        2,
        "two held at once per webhook, across handles"
    );
    assert!(a
        .iter()
        .chain(&b)
        .all(|m| m.webhook_id == busy && m.attempt == 1));
    let later = one
        .claim_due_messages(lease("c", NOW + 1, NOW + LEASE), 0, bounds(2, 100))
        .await
        .unwrap();
    assert!(
        later.is_empty(),
        "the webhook is at its bound while both are held"
    );

    // One finishes: one more may go. A lapsed lease makes the other due again.
    let first: &ClaimedMessage = a.first().or(b.first()).unwrap();
    one.record_attempt(first, &delivered(NOW + 2))
        .await
        .unwrap();
    let next = one
        .claim_due_messages(lease("d", NOW + 2, NOW + LEASE), 0, bounds(2, 100))
        .await
        .unwrap();
    assert_eq!(next.len(), 1);
    let after_lease = one
        .claim_due_messages(
            lease("e", NOW + LEASE + 1, NOW + 2 * LEASE),
            0,
            bounds(5, 100),
        )
        .await
        .unwrap();
    assert_eq!(after_lease.len(), 4, "the lapsed claims and the rest");
    // The worker whose lease lapsed records nothing over the new holder's claim.
    let lapsed = a
        .iter()
        .chain(&b)
        .find(|m| m.event_id != first.event_id)
        .unwrap();
    one.record_attempt(lapsed, &delivered(NOW + LEASE + 2))
        .await
        .unwrap();
    let page = one.list_deliveries(&ada.id, &busy, 100, 0).await.unwrap();
    assert_eq!(page.total, 1, "only the holder's attempt is on record");
}

pub async fn attempts_move_a_message_on_and_are_listed_newest_first(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let hook = subscribe(store.as_ref(), &ada, "wh_1", EventFilter::All).await;
    store
        .insert_post(&ada.id, &PostId::from("post_1"), &draft("p"), NOW)
        .await
        .unwrap();
    let claim = |at: i64| store.claim_due_messages(lease("w", at, at + LEASE), 0, bounds(4, 10));
    let delayed =
        store.claim_due_messages(lease("w", NOW + 999, NOW + LEASE), 1_000, bounds(4, 10));
    assert!(
        delayed.await.unwrap().is_empty(),
        "the first attempt waits its delay"
    );
    let first = claim(NOW).await.unwrap().remove(0);
    assert_eq!(first.attempt, 1);
    store
        .record_attempt(&first, &outcome(NOW, 500, NextStep::RetryAt(NOW + 5_000)))
        .await
        .unwrap();
    assert!(
        claim(NOW + 4_999).await.unwrap().is_empty(),
        "not before its retry time"
    );
    let second = claim(NOW + 5_000).await.unwrap().remove(0);
    assert_eq!((second.attempt, &second.event_id), (2, &first.event_id));
    assert_eq!(
        store
            .get_webhook(&ada.id, &hook)
            .await
            .unwrap()
            .failing_since,
        Some(NOW)
    );
    store
        .record_attempt(&second, &delivered(NOW + 5_001))
        .await
        .unwrap();
    assert!(
        claim(NOW + 99_999).await.unwrap().is_empty(),
        "delivered once is done"
    );
    assert_eq!(
        store
            .get_webhook(&ada.id, &hook)
            .await
            .unwrap()
            .failing_since,
        None
    );

    let page = store.list_deliveries(&ada.id, &hook, 10, 0).await.unwrap();
    assert_eq!(page.total, 2);
    let attempts: Vec<(u32, Option<u16>)> = page
        .deliveries
        .iter()
        .map(|d| (d.attempt, d.status_code))
        .collect();
    assert_eq!(attempts, [(2, Some(200)), (1, Some(500))]);
    assert_eq!(page.deliveries[0].event_type, "post.created");

    // Resend: the same event, claimed now, attempt 3.
    let again = store
        .claim_for_resend(
            &ada.id,
            &hook,
            &page.deliveries[1].id,
            lease("r", NOW + 6_000, NOW + LEASE),
        )
        .await
        .unwrap();
    assert_eq!((again.attempt, &again.event_id), (3, &first.event_id));
    let bob = user(store.as_ref(), "bob").await;
    let theirs = store
        .claim_for_resend(
            &bob.id,
            &hook,
            &page.deliveries[1].id,
            lease("r", NOW, NOW + LEASE),
        )
        .await;
    assert!(is_not_found(&theirs, "delivery"));

    // 410 Gone: the webhook is disabled at once and its queue waits.
    let gone = AttemptOutcome {
        disable: Some("gone"),
        ..outcome(NOW + 6_001, 410, NextStep::GiveUp)
    };
    store.record_attempt(&again, &gone).await.unwrap();
    let disabled = store.get_webhook(&ada.id, &hook).await.unwrap();
    assert!(disabled.disabled);
    assert_eq!(disabled.disabled_reason.as_deref(), Some("gone"));
    store
        .insert_post(&ada.id, &PostId::from("post_2"), &draft("p"), NOW + 7_000)
        .await
        .unwrap();
    assert!(
        claim(NOW + 7_000).await.unwrap().is_empty(),
        "a disabled webhook gets nothing"
    );

    // Purging keeps what is younger than the cut.
    assert!(store.purge_webhook_records(NOW + 5_001).await.unwrap() >= 1);
    let page = store.list_deliveries(&ada.id, &hook, 10, 0).await.unwrap();
    assert_eq!(page.total, 2, "the attempts at and after the cut remain");
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

/// The outbox's order survives the purge: when every event on record is older than the cut (a
/// quiet month), the next event still reaches the queue. Event seqs must never be reused, or the
/// dispatcher (which reads `seq > last dispatched`) skips the new events for good.
pub async fn events_after_a_purge_of_every_old_event_are_still_delivered(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    subscribe(store.as_ref(), &ada, "wh_all", EventFilter::All).await;
    for n in 0..3 {
        store
            .insert_post(
                &ada.id,
                &PostId::from(format!("post_{n}")),
                &draft("p"),
                NOW,
            )
            .await
            .unwrap();
    }
    assert_eq!(drain(store.as_ref(), NOW).await.len(), 3);

    let month_later = NOW + 31 * 24 * 3_600_000;
    store
        .purge_webhook_records(month_later - 30 * 24 * 3_600_000)
        .await
        .unwrap();
    store
        .insert_post(
            &ada.id,
            &PostId::from("post_new"),
            &draft("back"),
            month_later,
        )
        .await
        .unwrap();
    let events = drain(store.as_ref(), month_later).await;
    assert_eq!(
        types(&events),
        ["post.created"],
        "the event of a change made after the purge is queued"
    );
    assert_eq!(events[0].1["data"]["id"], "post_new");
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

/// An attempt still listed (younger than the cut) can be resent: the purge must not drop the
/// event a listed attempt sends, even when the event itself is older than the cut (it waited,
/// here while its owner was below Business).
pub async fn a_listed_attempt_can_be_resent_after_a_purge(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let hook = subscribe(store.as_ref(), &ada, "wh_all", EventFilter::All).await;
    let day = 24 * 3_600_000;
    store.set_plan(&ada.id, Plan::Pro).await.unwrap();
    store
        .insert_post(&ada.id, &PostId::from("post_1"), &draft("p"), NOW)
        .await
        .unwrap();
    assert!(drain(store.as_ref(), NOW).await.is_empty(), "it waits");
    store.set_plan(&ada.id, Plan::Business).await.unwrap();
    assert_eq!(drain(store.as_ref(), NOW + 29 * day).await.len(), 1);
    store
        .insert_post(
            &ada.id,
            &PostId::from("post_2"),
            &draft("p"),
            NOW + 30 * day,
        )
        .await
        .unwrap();
    assert_eq!(drain(store.as_ref(), NOW + 30 * day).await.len(), 1);

    store.purge_webhook_records(NOW + day).await.unwrap();
    let page = store.list_deliveries(&ada.id, &hook, 10, 0).await.unwrap();
    assert_eq!(page.total, 2, "both attempts are younger than the cut");
    let oldest = &page.deliveries[1];
    let again = store
        .claim_for_resend(
            &ada.id,
            &hook,
            &oldest.id,
            lease("r", NOW + 31 * day, NOW + 31 * day + LEASE),
        )
        .await;
    assert!(
        again.is_ok(),
        "a listed attempt resends, got {:?}",
        again.err()
    );
}
