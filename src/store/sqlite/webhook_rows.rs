//! How webhooks, their attempts and claimed messages are read back from their rows, and the
//! claim of one queue row: what the webhook store's methods share.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::webhook::EventFilter;
use crate::domain::{UserId, WebhookId};
use crate::store::webhooks::{ClaimedMessage, Delivery, Webhook};

use super::events::read_scopes_from_sql;

pub(super) const WEBHOOK_COLUMNS: &str = "id, user_id, created_by_key, url, events, reads_posts, \
     reads_ideas, reads_profile, description, secret, disabled, disabled_reason, failing_since, \
     created_at, updated_at, version";

/// The stored `events` column: `*` or comma-separated names.
pub(super) fn filter_from_sql(text: &str) -> rusqlite::Result<EventFilter> {
    EventFilter::parse_stored(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, e.into())
    })
}

pub(super) fn filter_to_sql(filter: &EventFilter) -> String {
    filter.to_stored()
}

pub(super) fn webhook_from_row(row: &Row) -> rusqlite::Result<Webhook> {
    Ok(Webhook {
        id: row.get(0)?,
        user_id: row.get(1)?,
        created_by_key: row.get(2)?,
        url: row.get(3)?,
        events: filter_from_sql(&row.get::<_, String>(4)?)?,
        read_scopes: read_scopes_from_sql(row.get(5)?, row.get(6)?, row.get(7)?),
        description: row.get(8)?,
        secret_sealed: row.get(9)?,
        disabled: row.get(10)?,
        disabled_reason: row.get(11)?,
        failing_since: row.get(12)?,
        created_at: row.get(13)?,
        updated_at: row.get(14)?,
        version: row.get(15)?,
    })
}

pub(super) fn delivery_from_row(row: &Row) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: row.get(0)?,
        webhook_id: row.get(1)?,
        event_id: row.get(2)?,
        event_type: row.get(3)?,
        attempt: row.get(4)?,
        status_code: row.get(5)?,
        error: row.get(6)?,
        duration_ms: row.get::<_, i64>(7)?.try_into().unwrap_or(0),
        created_at: row.get(8)?,
    })
}

/// The columns of a claimed message, selected from `webhook_messages m` joined with its
/// event `e` and webhook `w`.
pub(super) const CLAIMED_COLUMNS: &str =
    "m.webhook_id, e.id, e.type, e.body, m.attempts + 1, w.url, \
     w.secret, w.user_id, w.failing_since, m.claim, m.seq";

pub(super) fn claimed_from_row(row: &Row) -> rusqlite::Result<ClaimedMessage> {
    Ok(ClaimedMessage {
        webhook_id: row.get(0)?,
        event_id: row.get(1)?,
        event_type: row.get(2)?,
        body: row.get(3)?,
        attempt: row.get(4)?,
        url: row.get(5)?,
        secret_sealed: row.get(6)?,
        user_id: row.get(7)?,
        failing_since: row.get(8)?,
        claim: row.get(9)?,
        message_seq: row.get(10)?,
    })
}

pub(super) fn find_webhook(
    conn: &Connection,
    user_id: &UserId,
    id: &WebhookId,
) -> rusqlite::Result<Option<Webhook>> {
    conn.prepare_cached(&format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE user_id = ?1 AND id = ?2"
    ))?
    .query_row(params![user_id, id], webhook_from_row)
    .optional()
}

/// Holds the queue row `seq` for `claim` and reads it back with its event and webhook.
pub(super) fn claim_row(
    conn: &Connection,
    seq: i64,
    claim: &str,
    lease_until: i64,
) -> rusqlite::Result<Option<ClaimedMessage>> {
    conn.prepare_cached(
        "UPDATE webhook_messages SET claim = ?2, claimed_until = ?3 WHERE seq = ?1",
    )?
    .execute(params![seq, claim, lease_until])?;
    conn.prepare_cached(&format!(
        "SELECT {CLAIMED_COLUMNS} FROM webhook_messages m
         JOIN webhook_events e ON e.seq = m.event_seq
         JOIN webhooks w ON w.id = m.webhook_id
         WHERE m.seq = ?1"
    ))?
    .query_row([seq], claimed_from_row)
    .optional()
}

pub(super) fn page_total(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<u64> {
    let total: i64 = conn
        .prepare_cached(sql)?
        .query_row(params, |row| row.get(0))?;
    Ok(total.max(0).unsigned_abs())
}

/// Lets go of a held message: due again for any worker (see `WebhookStore::release_message`).
pub(super) fn release(conn: &Connection, message_seq: i64, claim: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE webhook_messages SET claim = NULL, claimed_until = NULL
         WHERE seq = ?1 AND claim = ?2 AND state = 'pending'",
    )?
    .execute(params![message_seq, claim])?;
    Ok(())
}
