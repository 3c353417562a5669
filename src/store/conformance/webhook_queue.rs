//! The webhook queue: claims held by one worker at a time and bounded per subscription, attempts
//! that move a message on, and a purge that loses nothing still owed or still listed.

use super::webhooks::{bounds, delivered, drain, lease, outcome, subscribe, LEASE};
use super::*;
use crate::domain::webhook::EventFilter;
use crate::store::webhooks::{AttemptOutcome, ClaimBounds, ClaimedMessage, NextStep};

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

/// Three workers (instances) claiming at once, round after round: together they never hold more
/// than the bounds per webhook and per account, and every message is claimed exactly once.
pub async fn concurrent_claims_keep_every_bound_and_take_each_message_once(db: &dyn TestDatabase) {
    let workers = [db.store(), db.second_handle(), db.second_handle()];
    let store = workers[0].as_ref();
    let ada = user(store, "ada").await;
    let bob = user(store, "bob").await;
    subscribe(store, &ada, "wh_ada_1", EventFilter::All).await;
    subscribe(store, &ada, "wh_ada_2", EventFilter::All).await;
    subscribe(store, &bob, "wh_bob", EventFilter::All).await;
    for n in 0..6 {
        for owner in [&ada, &bob] {
            let id = PostId::from(format!("post_{}_{n}", owner.name));
            store
                .insert_post(&owner.id, &id, &draft("p"), NOW)
                .await
                .unwrap();
        }
    }
    let bounds = ClaimBounds {
        per_webhook: 3,
        per_account: 4,
        limit: 5,
    };
    let mut seen: Vec<(String, String)> = Vec::new();
    for round in 0..50 {
        let now = NOW + round;
        let claim = |n: usize, name| {
            workers[n].claim_due_messages(lease(name, now, now + LEASE), 0, bounds)
        };
        let (a, b, c) = tokio::join!(claim(0, "a"), claim(1, "b"), claim(2, "c"));
        let claimed: Vec<ClaimedMessage> = [a.unwrap(), b.unwrap(), c.unwrap()]
            .into_iter()
            .inspect(|one| assert!(one.len() <= 5, "one claim takes at most its limit"))
            .flatten()
            .collect();
        if claimed.is_empty() {
            break;
        }
        let held =
            |what: &dyn Fn(&ClaimedMessage) -> bool| claimed.iter().filter(|m| what(m)).count();
        for hook in ["wh_ada_1", "wh_ada_2", "wh_bob"] {
            assert!(
                held(&|m| m.webhook_id == hook) <= 3,
                "round {round}: {hook} over its bound"
            );
        }
        assert!(
            held(&|m| m.user_id == ada.id) <= 4,
            "round {round}: ada over her bound"
        );
        assert!(
            held(&|m| m.user_id == bob.id) <= 4,
            "round {round}: bob over his bound"
        );
        for message in &claimed {
            seen.push((message.webhook_id.to_string(), message.event_id.to_string()));
            store
                .record_attempt(message, &delivered(now))
                .await
                .unwrap();
        }
    }
    let claims = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(claims, seen.len(), "no message claimed twice");
    assert_eq!(
        seen.len(),
        18,
        "every message claimed: 6 posts × 2 webhooks + 6 × 1"
    );
}

/// A stopping worker hands back what it holds: any worker may take it at once, as the same
/// attempt; a worker whose claim has already lapsed hands back nothing.
pub async fn a_handed_back_message_is_due_again_for_any_worker(db: &dyn TestDatabase) {
    let (one, two) = (db.store(), db.second_handle());
    let ada = user(one.as_ref(), "ada").await;
    subscribe(one.as_ref(), &ada, "wh_back", EventFilter::All).await;
    one.insert_post(&ada.id, &PostId::from("post_back"), &draft("p"), NOW)
        .await
        .unwrap();
    let held = one
        .claim_due_messages(lease("stopping", NOW, NOW + LEASE), 0, bounds(4, 100))
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    let message = &held[0];
    let other = lease("other", NOW + 1, NOW + LEASE);
    assert!(two
        .claim_due_messages(other, 0, bounds(4, 100))
        .await
        .unwrap()
        .is_empty());
    one.release_message(message.message_seq, "not the holder")
        .await
        .unwrap();
    assert!(
        two.claim_due_messages(lease("other", NOW + 2, NOW + LEASE), 0, bounds(4, 100))
            .await
            .unwrap()
            .is_empty(),
        "only the holder's claim hands it back"
    );
    one.release_message(message.message_seq, &message.claim)
        .await
        .unwrap();
    let taken = two
        .claim_due_messages(lease("other", NOW + 3, NOW + LEASE), 0, bounds(4, 100))
        .await
        .unwrap();
    assert_eq!(
        taken.len(),
        1,
        "due again at once, long before the lease's end"
    );
    assert_eq!(taken[0].message_seq, message.message_seq);
    assert_eq!(taken[0].attempt, 1, "handing back is not an attempt");
}
