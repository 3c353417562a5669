//! The backlog the metrics report: what waits is counted, what a live attempt holds is not.

use super::webhooks::{bounds, lease, subscribe, LEASE};
use super::*;
use crate::domain::webhook::EventFilter;
use crate::store::QueueDepths;

pub async fn queue_depths_count_what_waits_and_not_what_is_held(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    assert_eq!(
        store.queue_depths(NOW, 0).await.unwrap(),
        QueueDepths::default()
    );
    subscribe(store.as_ref(), &ada, "wh_1", EventFilter::All).await;
    let (soon, later) = (NOW + 1_000, NOW + 5_000);
    for (id, at) in [("post_a", soon), ("post_b", later)] {
        store
            .insert_post(&ada.id, &PostId::from(id), &scheduled("p", at), NOW)
            .await
            .unwrap();
    }
    let depths = |now: i64| store.queue_depths(now, 1_000);
    assert_eq!(
        depths(NOW).await.unwrap(),
        QueueDepths {
            undispatched_events: 4,
            ..QueueDepths::default()
        },
        "nothing due yet; each post's two events are not fanned out yet"
    );
    assert_eq!(depths(soon).await.unwrap().due_posts, 1);
    assert_eq!(depths(later).await.unwrap().due_posts, 2);

    // A claim too early for the first attempt still fans the events out.
    let claimed = store.claim_due_messages(lease("w1", NOW, NOW + LEASE), 1_000, bounds(1, 10));
    assert!(claimed.await.unwrap().is_empty());
    let at_first_attempt = depths(soon).await.unwrap();
    assert_eq!(
        (
            at_first_attempt.undispatched_events,
            at_first_attempt.pending_messages
        ),
        (0, 4)
    );
    assert_eq!(
        depths(NOW).await.unwrap().due_messages,
        0,
        "the first delay"
    );
    assert_eq!(at_first_attempt.due_messages, 4);

    // What a live attempt holds waits for no one.
    store
        .claim_due_post(&PostId::from("post_a"), "c1", soon, soon + LEASE)
        .await
        .unwrap()
        .unwrap();
    let held = store.claim_due_messages(lease("w2", soon, soon + LEASE), 1_000, bounds(1, 10));
    assert_eq!(held.await.unwrap().len(), 1);
    assert_eq!(
        depths(later).await.unwrap(),
        QueueDepths {
            due_posts: 1,
            undispatched_events: 0,
            pending_messages: 4,
            due_messages: 3,
        }
    );
    // Nor do the messages of an owner whose plan has no API access: the worker skips them.
    store.set_plan(&ada.id, Plan::Free).await.unwrap();
    let skipped = depths(later).await.unwrap();
    assert_eq!((skipped.pending_messages, skipped.due_messages), (4, 0));
}
