//! The outbox in PostgreSQL: every change writes its events here, inside its own transaction;
//! an event nobody subscribes to is not stored. The webhook worker's claim fans them out
//! ([`dispatch`]) into one queued message per subscription that wants them.

use std::collections::HashMap;

use deadpool_postgres::Transaction;

use crate::domain::webhook::{EventFilter, EventType};
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

/// The user's enabled subscriptions, each held (`FOR KEY SHARE`) until the transaction ends, so
/// that a webhook deleted meanwhile waits for the messages queued for it (and then takes them
/// along) instead of failing the queueing with a foreign-key error.
async fn subscriptions_held(
    tx: &Transaction<'_>,
    user_id: &UserId,
) -> StoreResult<Vec<(WebhookId, EventFilter, Scopes)>> {
    let statement = tx
        .prepare_cached(
            "SELECT id, events, reads_posts, reads_ideas, reads_profile FROM webhooks
             WHERE user_id = $1 AND NOT disabled ORDER BY seq FOR KEY SHARE",
        )
        .await?;
    let mut subscriptions = Vec::new();
    for row in tx.query(&statement, &[&user_id.as_str()]).await? {
        let events: String = row.try_get(1)?;
        let filter = EventFilter::parse_stored(&events).map_err(anyhow::Error::msg)?;
        let scopes = read_scopes_from_sql(row.try_get(2)?, row.try_get(3)?, row.try_get(4)?);
        subscriptions.push((row.try_get::<_, WebhookId>(0)?, filter, scopes));
    }
    Ok(subscriptions)
}

/// Queues the event `event_seq` for one subscription, due at `due`; the message's `seq`.
pub(super) async fn queue(
    tx: &Transaction<'_>,
    webhook_id: &WebhookId,
    event_seq: i64,
    due: i64,
) -> StoreResult<i64> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO webhook_messages (webhook_id, event_seq, next_attempt_at, updated_at)
             VALUES ($1, $2, $3, $3) RETURNING seq",
        )
        .await?;
    let row = tx
        .query_one(&statement, &[&webhook_id.as_str(), &event_seq, &due])
        .await?;
    Ok(row.try_get(0)?)
}

/// Events taken per dispatch, at most.
const DISPATCH_BATCH: i64 = 1_000;

/// Fans the events not yet dispatched out into queued messages, one per enabled subscription
/// of their owner that wants them (at this moment: a subscription made a moment after a change
/// may get its event), due when the event happened, and marks them dispatched at `now`.
/// `webhook.test` events are queued for their one webhook when made, never here. Call inside
/// the claimer's transaction.
///
/// There is no cursor ("events after the last one dispatched"), unlike SQLite: PostgreSQL draws
/// `seq` when a row is inserted, not when its transaction commits, so an event whose change
/// commits late can appear behind one already dispatched, and a cursor would pass it for good.
/// Each event instead says whether it went out. `SKIP LOCKED` lets several instances dispatch at
/// once, each its own events: one instance's batch is invisible to the others until it commits,
/// and by then every event in it is marked.
pub(super) async fn dispatch(tx: &Transaction<'_>, now: i64) -> StoreResult<()> {
    let statement = tx
        .prepare_cached(
            "SELECT seq, user_id, type, created_at FROM webhook_events
             WHERE dispatched_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .await?;
    let new = tx.query(&statement, &[&DISPATCH_BATCH]).await?;
    if new.is_empty() {
        return Ok(());
    }
    let mut known: HashMap<UserId, Vec<(WebhookId, EventFilter, Scopes)>> = HashMap::new();
    let (mut webhooks, mut event_seqs, mut due) = (Vec::new(), Vec::new(), Vec::new());
    let mut dispatched = Vec::with_capacity(new.len());
    for row in &new {
        let seq: i64 = row.try_get(0)?;
        let user_id = row.try_get::<_, UserId>(1)?;
        let kind: &str = row.try_get(2)?;
        let created_at: i64 = row.try_get(3)?;
        dispatched.push(seq);
        let Some(kind) = EventType::parse(kind).filter(|k| *k != EventType::WebhookTest) else {
            continue;
        };
        if !known.contains_key(&user_id) {
            let held = subscriptions_held(tx, &user_id).await?;
            known.insert(user_id.clone(), held);
        }
        for (webhook_id, filter, scopes) in &known[&user_id] {
            if filter.matches(*scopes, kind) {
                webhooks.push(webhook_id.as_str().to_owned());
                event_seqs.push(seq);
                due.push(created_at);
            }
        }
    }
    if !webhooks.is_empty() {
        // One statement for the whole batch; the messages take their seqs in event order.
        let statement = tx
            .prepare_cached(
                "INSERT INTO webhook_messages (webhook_id, event_seq, next_attempt_at, updated_at)
                 SELECT webhook_id, event_seq, due, due
                 FROM unnest($1::text[], $2::int8[], $3::int8[])
                      WITH ORDINALITY AS m(webhook_id, event_seq, due, n)
                 ORDER BY n",
            )
            .await?;
        tx.execute(&statement, &[&webhooks, &event_seqs, &due])
            .await?;
    }
    let statement = tx
        .prepare_cached("UPDATE webhook_events SET dispatched_at = $2 WHERE seq = ANY($1)")
        .await?;
    tx.execute(&statement, &[&dispatched, &now]).await?;
    Ok(())
}

/// Stores a `webhook.test` event, dispatched already: it is queued for its one webhook at
/// once, never fanned out. Its place in the outbox (`seq`).
pub(super) async fn insert_test_event(
    tx: &Transaction<'_>,
    id: &EventId,
    user_id: &UserId,
    body: &str,
    now: i64,
) -> StoreResult<i64> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO webhook_events (id, user_id, type, body, created_at, dispatched_at)
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING seq",
        )
        .await?;
    let kind = EventType::WebhookTest.as_str();
    let row = tx
        .query_one(
            &statement,
            &[&id.as_str(), &user_id.as_str(), &kind, &body, &now],
        )
        .await?;
    Ok(row.try_get(0)?)
}
