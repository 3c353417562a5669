//! How webhooks, their attempts and claimed messages are read back from their rows, and the
//! claim of queue rows: what the webhook store's methods share.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use crate::domain::webhook::EventFilter;
use crate::domain::{UserId, WebhookId};
use crate::store::webhooks::{ClaimedMessage, Delivery, Webhook};
use crate::store::StoreResult;

use super::events::read_scopes_from_sql;

pub(super) const WEBHOOK_COLUMNS: &str = "id, user_id, created_by_key, url, events, reads_posts, \
     reads_ideas, reads_profile, description, secret, disabled, disabled_reason, failing_since, \
     created_at, updated_at, version";

pub(super) fn webhook_from_row(row: &Row) -> StoreResult<Webhook> {
    let events: &str = row.try_get(4)?;
    Ok(Webhook {
        id: row.try_get(0)?,
        user_id: row.try_get(1)?,
        created_by_key: row.try_get(2)?,
        url: row.try_get(3)?,
        events: EventFilter::parse_stored(events).map_err(anyhow::Error::msg)?,
        read_scopes: read_scopes_from_sql(row.try_get(5)?, row.try_get(6)?, row.try_get(7)?),
        description: row.try_get(8)?,
        secret_sealed: row.try_get(9)?,
        disabled: row.try_get(10)?,
        disabled_reason: row.try_get(11)?,
        failing_since: row.try_get(12)?,
        created_at: row.try_get(13)?,
        updated_at: row.try_get(14)?,
        version: row.try_get(15)?,
    })
}

pub(super) const DELIVERY_COLUMNS: &str =
    "id, webhook_id, event_id, type, attempt, status_code, error, duration_ms, created_at";

pub(super) fn delivery_from_row(row: &Row) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: row.try_get(0)?,
        webhook_id: row.try_get(1)?,
        event_id: row.try_get(2)?,
        event_type: row.try_get(3)?,
        attempt: u32::try_from(row.try_get::<_, i32>(4)?).unwrap_or(0),
        status_code: row
            .try_get::<_, Option<i32>>(5)?
            .and_then(|code| u16::try_from(code).ok()),
        error: row.try_get(6)?,
        duration_ms: u64::try_from(row.try_get::<_, i64>(7)?).unwrap_or(0),
        created_at: row.try_get(8)?,
    })
}

/// The columns of a claimed message, from `webhook_messages m` joined with its event `e` and
/// webhook `w`.
const CLAIMED_COLUMNS: &str = "m.webhook_id, e.id, e.type, e.body, m.attempts + 1, w.url, \
     w.secret, w.user_id, w.failing_since, m.claim, m.seq";

fn claimed_from_row(row: &Row) -> StoreResult<ClaimedMessage> {
    Ok(ClaimedMessage {
        webhook_id: row.try_get(0)?,
        event_id: row.try_get(1)?,
        event_type: row.try_get(2)?,
        body: row.try_get(3)?,
        attempt: u32::try_from(row.try_get::<_, i32>(4)?).unwrap_or(1),
        url: row.try_get(5)?,
        secret_sealed: row.try_get(6)?,
        user_id: row.try_get(7)?,
        failing_since: row.try_get(8)?,
        claim: row.try_get::<_, Option<String>>(9)?.unwrap_or_default(),
        message_seq: row.try_get(10)?,
    })
}

pub(super) async fn find_webhook(
    client: &impl GenericClient,
    user_id: &UserId,
    id: &WebhookId,
) -> StoreResult<Option<Webhook>> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE user_id = $1 AND id = $2"
        ))
        .await?;
    client
        .query_opt(&statement, &[&user_id.as_str(), &id.as_str()])
        .await?
        .as_ref()
        .map(webhook_from_row)
        .transpose()
}

/// Holds the queue row `seq` for `claim` until `lease_until` and reads it back with its event
/// and webhook, in one statement. The caller has made sure nobody else holds it (a row lock
/// taken in its transaction, or the message is its own).
pub(super) async fn claim_row(
    client: &impl GenericClient,
    seq: i64,
    claim: &str,
    lease_until: i64,
) -> StoreResult<Option<ClaimedMessage>> {
    let statement = client
        .prepare_cached(&format!(
            "UPDATE webhook_messages m SET claim = $2, claimed_until = $3
             FROM webhook_events e, webhooks w
             WHERE m.seq = $1 AND e.seq = m.event_seq AND w.id = m.webhook_id
             RETURNING {CLAIMED_COLUMNS}"
        ))
        .await?;
    client
        .query_opt(&statement, &[&seq, &claim, &lease_until])
        .await?
        .as_ref()
        .map(claimed_from_row)
        .transpose()
}

/// Claims up to `room` of the webhook's due, unheld messages for `claim` until `lease_until`,
/// oldest first. `SKIP LOCKED`: a message another transaction is working on right now (an
/// attempt being recorded, a resend) is not due for this claim.
pub(super) async fn claim_due_of_webhook(
    client: &impl GenericClient,
    webhook_id: &WebhookId,
    room: u32,
    first_delay_ms: i64,
    (now, claim, lease_until): (i64, &str, i64),
) -> StoreResult<Vec<ClaimedMessage>> {
    let statement = client
        .prepare_cached(&format!(
            "WITH due AS (
                 SELECT seq FROM webhook_messages
                 WHERE webhook_id = $1 AND state = 'pending'
                   AND next_attempt_at <= $2 AND (attempts > 0 OR next_attempt_at <= $2 - $4)
                   AND (claimed_until IS NULL OR claimed_until <= $2)
                 ORDER BY next_attempt_at, seq LIMIT $3
                 FOR UPDATE SKIP LOCKED)
             UPDATE webhook_messages m SET claim = $5, claimed_until = $6
             FROM due, webhook_events e, webhooks w
             WHERE m.seq = due.seq AND e.seq = m.event_seq AND w.id = m.webhook_id
             RETURNING {CLAIMED_COLUMNS}, m.next_attempt_at"
        ))
        .await?;
    let rows = client
        .query(
            &statement,
            &[
                &webhook_id.as_str(),
                &now,
                &i64::from(room),
                &first_delay_ms,
                &claim,
                &lease_until,
            ],
        )
        .await?;
    // RETURNING has no order of its own: the queue's order is (due time, seq).
    let mut claimed = rows
        .iter()
        .map(|row| Ok((row.try_get::<_, i64>(11)?, claimed_from_row(row)?)))
        .collect::<StoreResult<Vec<(i64, ClaimedMessage)>>>()?;
    claimed.sort_by_key(|(due, message)| (*due, message.message_seq));
    Ok(claimed.into_iter().map(|(_, message)| message).collect())
}

/// A count from the first column of a one-row query.
pub(super) fn count_from_row(row: &Row) -> StoreResult<u64> {
    Ok(row.try_get::<_, i64>(0)?.max(0).unsigned_abs())
}
