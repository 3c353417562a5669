//! The outbox: every change writes its events here, inside its own transaction; an event nobody
//! subscribes to is not stored. The change pays for one row per event: the worker's next claim
//! fans the new events out into one queued message per subscription that wants them
//! ([`dispatch`]), in its own transaction, in commit order.

use std::collections::HashMap;

use rusqlite::{params, Connection};

use crate::domain::webhook::{EventFilter, EventType};
use crate::domain::{EventId, Scopes, UserId, WebhookId};
use crate::store::webhooks::event_body;

pub(super) use crate::store::change_events::{post_changed, read_scopes_from_sql, Event};

use super::webhook_rows::filter_from_sql;

/// Writes those of `events` of `user_id` that an enabled subscription wants to the outbox, and
/// says how many it wrote. Call inside the transaction of the change.
pub(super) fn emit(
    conn: &Connection,
    user_id: &UserId,
    events: &[Event],
    now: i64,
) -> rusqlite::Result<usize> {
    let subscriptions = subscriptions(conn, user_id)?;
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
            conn,
            &EventId::generate(),
            user_id,
            event.kind,
            &event_body(event.kind, &event.data, now),
            now,
        )?;
        written += 1;
    }
    Ok(written)
}

/// Stores one event; its place in the outbox (`seq`).
pub(super) fn insert_event(
    conn: &Connection,
    id: &EventId,
    user_id: &UserId,
    kind: EventType,
    body: &str,
    now: i64,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO webhook_events (id, user_id, type, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id.as_str(), user_id, kind.as_str(), body, now])?;
    Ok(conn.last_insert_rowid())
}

/// The user's enabled subscriptions: id, filter, read scopes.
fn subscriptions(
    conn: &Connection,
    user_id: &UserId,
) -> rusqlite::Result<Vec<(WebhookId, EventFilter, Scopes)>> {
    conn.prepare_cached(
        "SELECT id, events, reads_posts, reads_ideas, reads_profile FROM webhooks
         WHERE user_id = ?1 AND disabled = 0 ORDER BY seq",
    )?
    .query_map([user_id], |row| {
        let id: WebhookId = row.get(0)?;
        let filter = filter_from_sql(&row.get::<_, String>(1)?)?;
        let scopes = read_scopes_from_sql(row.get(2)?, row.get(3)?, row.get(4)?);
        Ok((id, filter, scopes))
    })?
    .collect()
}

/// Queues the event `event_seq` for one subscription, due at `due`; the message's `seq`.
pub(super) fn queue(
    conn: &Connection,
    webhook_id: &WebhookId,
    event_seq: i64,
    due: i64,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO webhook_messages (webhook_id, event_seq, next_attempt_at, updated_at)
         VALUES (?1, ?2, ?3, ?3)",
    )?
    .execute(params![webhook_id.as_str(), event_seq, due])?;
    Ok(conn.last_insert_rowid())
}

/// Events written since the last dispatch, at most this many per call.
const DISPATCH_BATCH: u32 = 1_000;

/// Fans the events written since the last dispatch out into queued messages, one per enabled
/// subscription of their owner that wants them (at this moment: a subscription made a moment
/// after a change may get its event), due when the event happened. `webhook.test` events are
/// queued for their one webhook when made, never here. Call inside a write transaction.
pub(super) fn dispatch(conn: &Connection) -> rusqlite::Result<()> {
    let last: i64 = conn
        .prepare_cached("SELECT last_event FROM webhook_dispatch WHERE id = 1")?
        .query_row([], |row| row.get(0))?;
    let new: Vec<(i64, UserId, String, i64)> = conn
        .prepare_cached(
            "SELECT seq, user_id, type, created_at FROM webhook_events
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?
        .query_map(params![last, DISPATCH_BATCH], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let Some((newest, ..)) = new.last() else {
        return Ok(());
    };
    let mut known: HashMap<UserId, Vec<(WebhookId, EventFilter, Scopes)>> = HashMap::new();
    for (seq, user_id, kind, created_at) in &new {
        let Some(kind) = EventType::parse(kind).filter(|k| *k != EventType::WebhookTest) else {
            continue;
        };
        if !known.contains_key(user_id) {
            known.insert(user_id.clone(), subscriptions(conn, user_id)?);
        }
        for (webhook_id, filter, scopes) in &known[user_id] {
            if filter.matches(*scopes, kind) {
                queue(conn, webhook_id, *seq, *created_at)?;
            }
        }
    }
    conn.prepare_cached("UPDATE webhook_dispatch SET last_event = ?1 WHERE id = 1")?
        .execute([newest])?;
    Ok(())
}
