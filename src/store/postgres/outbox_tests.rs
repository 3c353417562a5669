//! What only PostgreSQL can get wrong in the outbox: `seq` is drawn when an event is inserted,
//! not when its transaction commits, so events become visible out of order. The dispatcher
//! must still fan out an event that commits after a later one went out.

use std::sync::Arc;

use tokio_postgres::NoTls;

use super::tests::{drop_schema, server_url, with_search_path};
use super::PostgresStore;
use crate::domain::post::{PostFields, PostStatus};
use crate::domain::webhook::EventFilter;
use crate::domain::DeliveryId;
use crate::domain::{Plan, PostId, Scope, UserId, WebhookId};
use crate::store::webhooks::{
    AttemptOutcome, ClaimBounds, ClaimedMessage, Lease, NewWebhook, NextStep,
};
use crate::store::{Store, User};

const NOW: i64 = 1_767_603_600_000;

/// A schema of its own, dropped at the end (also when the test fails).
struct Schema(String);

impl Drop for Schema {
    fn drop(&mut self) {
        drop_schema(self.0.clone());
    }
}

#[tokio::test]
async fn an_event_committed_after_a_later_one_was_dispatched_is_still_delivered() {
    let Ok((admin, connection)) = tokio_postgres::connect(&server_url(), NoTls).await else {
        eprintln!("notice: no PostgreSQL server answers; PostgreSQL test skipped");
        return;
    };
    tokio::spawn(connection);
    let schema = Schema(format!("lg_test_{}", uuid::Uuid::new_v4().simple()));
    admin
        .batch_execute(&format!("CREATE SCHEMA {}", schema.0))
        .await
        .unwrap();
    let url = with_search_path(&server_url(), &schema.0);
    let store: Arc<dyn Store> = Arc::new(
        PostgresStore::open(&url, crate::api::events::payloads())
            .await
            .unwrap(),
    );
    let ada = User {
        id: UserId::from("usr_ada"),
        email: "ada\u{40}example.com".into(),
        name: "Ada".into(),
        plan: Plan::Business,
        timezone: "UTC".into(),
        created_at: NOW,
    };
    store.create_user(&ada).await.unwrap();
    store
        .insert_webhook(
            &NewWebhook {
                id: WebhookId::from("wh_all"),
                user_id: ada.id.clone(),
                created_by_key: None,
                url: "https://example.com/hook".into(),
                events: EventFilter::All,
                read_scopes: [Scope::PostsRead].into_iter().collect(),
                description: None,
                secret_sealed: "sealed".into(),
            },
            NOW,
        )
        .await
        .unwrap();

    // A change whose transaction has drawn its event's seq but not committed yet.
    let (mut slow, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    let late = slow.transaction().await.unwrap();
    late.execute(
        "INSERT INTO webhook_events (id, user_id, type, body, created_at)
         VALUES ('evt_late', 'usr_ada', 'post.created', '{}', $1)",
        &[&NOW],
    )
    .await
    .unwrap();
    // A later change commits first, and its event goes out.
    let draft = PostFields {
        content: "p".into(),
        status: PostStatus::Draft,
        scheduled_at: None,
    };
    store
        .insert_post(&ada.id, &PostId::from("post_1"), &draft, NOW)
        .await
        .unwrap();
    let bounds = ClaimBounds {
        per_webhook: 10,
        per_account: 10,
        limit: 10,
    };
    let lease = |claim, now: i64| Lease {
        claim,
        now,
        until: now + 60_000,
    };
    let first = store
        .claim_due_messages(lease("a", NOW), 0, bounds)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_ne!(first[0].event_id, "evt_late");

    // The early seq commits late: a cursor past the later event would never see it.
    late.commit().await.unwrap();
    let second = store
        .claim_due_messages(lease("b", NOW + 1), 0, bounds)
        .await
        .unwrap();
    let ids: Vec<&str> = second.iter().map(|m| m.event_id.as_str()).collect();
    assert_eq!(ids, ["evt_late"]);
    for message in first.iter().chain(&second) {
        deliver(store.as_ref(), message, NOW + 2).await;
    }

    // Nor does a purge drop an event before it went out.
    let (mut slow, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    let old = slow.transaction().await.unwrap();
    old.execute(
        "INSERT INTO webhook_events (id, user_id, type, body, created_at)
         VALUES ('evt_old', 'usr_ada', 'post.created', '{}', $1)",
        &[&NOW],
    )
    .await
    .unwrap();
    old.commit().await.unwrap();
    store.purge_webhook_records(NOW + 1_000_000).await.unwrap();
    let third = store
        .claim_due_messages(lease("c", NOW + 2_000_000), 0, bounds)
        .await
        .unwrap();
    let ids: Vec<&str> = third.iter().map(|m| m.event_id.as_str()).collect();
    assert_eq!(ids, ["evt_old"], "an undispatched event outlives the purge");
}

async fn deliver(store: &dyn Store, message: &ClaimedMessage, at: i64) {
    let outcome = AttemptOutcome {
        delivery_id: DeliveryId::generate(),
        status_code: Some(200),
        error: None,
        duration_ms: 1,
        at,
        next: NextStep::Delivered,
        disable: None,
    };
    store.record_attempt(message, &outcome).await.unwrap();
}
