//! The outbox in PostgreSQL: every change writes its events here, inside its own transaction;
//! an event nobody subscribes to is not stored. The webhook worker's claim fans them out.

use deadpool_postgres::Transaction;

use crate::domain::webhook::EventFilter;
use crate::domain::{EventId, Scopes, UserId, WebhookId};
use crate::store::webhooks::event_body;
use crate::store::StoreResult;

pub(super) use crate::store::change_events::{post_changed, read_scopes_from_sql, Event};

/// Writes those of `events` of `user_id` that an enabled subscription wants to the outbox, and
/// says how many it wrote. Call inside the transaction of the change.
pub(super) async fn emit(
    tx: &Transaction<'_>,
    user_id: &UserId,
    events: &[Event],
    now: i64,
) -> StoreResult<usize> {
    let subscriptions = subscriptions(tx, user_id).await?;
    let mut written = 0;
    if subscriptions.is_empty() {
        return Ok(written);
    }
    for event in events {
        if !subscriptions
            .iter()
            .any(|(_, filter, scopes)| filter.matches(*scopes, event.kind))
        {
            continue;
        }
        insert_event(
            tx,
            &EventId::generate(),
            user_id,
            event.kind.as_str(),
            &event_body(event.kind, &event.data, now),
            now,
        )
        .await?;
        written += 1;
    }
    Ok(written)
}

/// Stores one event; its place in the outbox (`seq`).
pub(super) async fn insert_event(
    tx: &Transaction<'_>,
    id: &EventId,
    user_id: &UserId,
    kind: &str,
    body: &str,
    now: i64,
) -> StoreResult<i64> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO webhook_events (id, user_id, type, body, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING seq",
        )
        .await?;
    let row = tx
        .query_one(
            &statement,
            &[&id.as_str(), &user_id.as_str(), &kind, &body, &now],
        )
        .await?;
    Ok(row.get(0))
}

/// The user's enabled subscriptions: id, filter, read scopes.
pub(super) async fn subscriptions(
    tx: &Transaction<'_>,
    user_id: &UserId,
) -> StoreResult<Vec<(WebhookId, EventFilter, Scopes)>> {
    let statement = tx
        .prepare_cached(
            "SELECT id, events, reads_posts, reads_ideas, reads_profile FROM webhooks
             WHERE user_id = $1 AND NOT disabled ORDER BY seq",
        )
        .await?;
    let mut subscriptions = Vec::new();
    for row in tx.query(&statement, &[&user_id.as_str()]).await? {
        let events: String = row.get(1);
        let filter = EventFilter::parse_stored(&events).map_err(anyhow::Error::msg)?;
        let scopes = read_scopes_from_sql(row.get(2), row.get(3), row.get(4));
        subscriptions.push((WebhookId::from(row.get::<_, String>(0)), filter, scopes));
    }
    Ok(subscriptions)
}
