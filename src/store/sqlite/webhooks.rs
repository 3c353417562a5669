//! Webhooks in SQLite. Claims are leases on queue rows, taken inside the one writer's
//! transaction, so two workers (or two processes) never hold the same message at once.

use std::collections::HashMap;

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use crate::domain::webhook::EventType;
use crate::domain::{DeliveryId, EventId, Plan, Scope, Scopes, UserId, WebhookId};
use crate::store::webhooks::{
    AttemptOutcome, ClaimBounds, ClaimedMessage, DeliveryPage, Lease, NewWebhook, NextStep,
    Webhook, WebhookChange, WebhookPage, WebhookStore,
};
use crate::store::{StoreError, StoreResult};

use super::events::{self, Event};
use super::rows::{missing_or_changed, write_returning};
use super::webhook_rows::{
    claim_row, delivery_from_row, filter_to_sql, find_webhook, page_total, release,
    webhook_from_row, WEBHOOK_COLUMNS,
};
use super::SqliteStore;

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn insert_webhook(&self, new: &NewWebhook, now: i64) -> StoreResult<Webhook> {
        // A key revoked since its request was authenticated gets its webhook disabled, as
        // `revoke_key` disables the ones it already had.
        self.write(|conn| {
            write_returning(
                conn,
                &format!(
                    "INSERT INTO webhooks (id, user_id, created_by_key, url, events, reads_posts,
                         reads_ideas, reads_profile, description, secret, created_at, updated_at,
                         disabled, disabled_reason)
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, revoked,
                         CASE WHEN revoked THEN 'key_revoked' END
                     FROM (SELECT EXISTS (SELECT 1 FROM api_keys
                                          WHERE id = ?3 AND revoked_at IS NOT NULL) AS revoked)
                     RETURNING {WEBHOOK_COLUMNS}"
                ),
                params![
                    new.id,
                    new.user_id,
                    new.created_by_key,
                    new.url,
                    filter_to_sql(&new.events),
                    new.read_scopes.contains(Scope::PostsRead),
                    new.read_scopes.contains(Scope::IdeasRead),
                    new.read_scopes.contains(Scope::ProfileRead),
                    new.description,
                    new.secret_sealed,
                    now
                ],
                webhook_from_row,
            )?
            .ok_or(rusqlite::Error::QueryReturnedNoRows)
        })
    }

    async fn get_webhook(&self, user_id: &UserId, id: &WebhookId) -> StoreResult<Webhook> {
        self.read(|conn| find_webhook(conn, user_id, id))?
            .ok_or(StoreError::NotFound("webhook"))
    }

    async fn list_webhooks(
        &self,
        user_id: &UserId,
        visible_to: Scopes,
        limit: u32,
        offset: u64,
    ) -> StoreResult<WebhookPage> {
        // A key sees a webhook when it holds every read scope the webhook needs.
        const VISIBLE: &str = "user_id = ?1 AND (reads_posts = 0 OR ?2) AND (reads_ideas = 0 OR ?3)
                 AND (reads_profile = 0 OR ?4)";
        let flags = [
            visible_to.contains(Scope::PostsRead),
            visible_to.contains(Scope::IdeasRead),
            visible_to.contains(Scope::ProfileRead),
        ];
        self.read(|conn| {
            let tx = conn.unchecked_transaction()?;
            let webhooks = tx
                .prepare_cached(&format!(
                    "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE {VISIBLE}
                     ORDER BY seq DESC LIMIT ?5 OFFSET ?6"
                ))?
                .query_map(
                    params![user_id, flags[0], flags[1], flags[2], limit, offset],
                    webhook_from_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total = page_total(
                &tx,
                &format!("SELECT COUNT(*) FROM webhooks WHERE {VISIBLE}"),
                params![user_id, flags[0], flags[1], flags[2]],
            )?;
            tx.commit()?;
            Ok(WebhookPage { webhooks, total })
        })
    }

    async fn update_webhook(
        &self,
        user_id: &UserId,
        id: &WebhookId,
        version: i64,
        change: &WebhookChange,
        now: i64,
    ) -> StoreResult<Webhook> {
        let conn = self.writer.lock();
        let updated = write_returning(
            &conn,
            &format!(
                "UPDATE webhooks SET url = ?4, events = ?5, reads_posts = ?6, reads_ideas = ?7,
                    reads_profile = ?8, description = ?9, disabled = ?10,
                    disabled_reason = CASE WHEN ?10 THEN COALESCE(disabled_reason, 'owner') END,
                    failing_since = CASE WHEN ?10 OR disabled = 1 OR url <> ?4 THEN NULL
                                         ELSE failing_since END,
                    updated_at = ?11, version = version + 1
                 WHERE user_id = ?1 AND id = ?2 AND version = ?3
                 RETURNING {WEBHOOK_COLUMNS}"
            ),
            params![
                user_id,
                id,
                version,
                change.url,
                filter_to_sql(&change.events),
                change.read_scopes.contains(Scope::PostsRead),
                change.read_scopes.contains(Scope::IdeasRead),
                change.read_scopes.contains(Scope::ProfileRead),
                change.description,
                change.disabled,
                now
            ],
            webhook_from_row,
        )?;
        updated
            .ok_or_else(|| missing_or_changed(&conn, "webhooks", "webhook", user_id, id.as_str()))
    }

    async fn delete_webhook(
        &self,
        user_id: &UserId,
        id: &WebhookId,
        version: Option<i64>,
    ) -> StoreResult<()> {
        let conn = self.writer.lock();
        let deleted = conn
            .prepare_cached(
                "DELETE FROM webhooks WHERE user_id = ?1 AND id = ?2 AND (?3 IS NULL OR version = ?3)",
            )?
            .execute(params![user_id, id, version])?;
        if deleted == 0 {
            return Err(missing_or_changed(
                &conn,
                "webhooks",
                "webhook",
                user_id,
                id.as_str(),
            ));
        }
        Ok(())
    }

    async fn queue_test_event(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
        event_id: &EventId,
        body: &str,
        lease: Lease<'_>,
    ) -> StoreResult<ClaimedMessage> {
        let now = lease.now;
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        if find_webhook(&tx, user_id, webhook_id)?.is_none() {
            return Err(StoreError::NotFound("webhook"));
        }
        let event_seq =
            events::insert_event(&tx, event_id, user_id, EventType::WebhookTest, body, now)?;
        let seq = events::queue(&tx, webhook_id, event_seq, now)?;
        let claimed = claim_row(&tx, seq, lease.claim, lease.until)?
            .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        tx.commit()?;
        Ok(claimed)
    }

    async fn claim_for_resend(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
        delivery_id: &DeliveryId,
        lease: Lease<'_>,
    ) -> StoreResult<ClaimedMessage> {
        let now = lease.now;
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        let seq: Option<i64> = tx
            .prepare_cached(
                "SELECT d.message_seq FROM webhook_deliveries d
                 JOIN webhooks w ON w.id = d.webhook_id
                 WHERE d.id = ?1 AND d.webhook_id = ?2 AND w.user_id = ?3",
            )?
            .query_row(params![delivery_id, webhook_id, user_id], |row| row.get(0))
            .optional()?;
        let Some(seq) = seq else {
            return Err(StoreError::NotFound("delivery"));
        };
        let held: bool = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM webhook_messages WHERE seq = ?1
                   AND claimed_until > ?2)",
            )?
            .query_row(params![seq, now], |row| row.get(0))?;
        if held {
            return Err(StoreError::Conflict(
                "this event is being delivered right now; try again in a moment".into(),
            ));
        }
        // Pending again: if this attempt fails, the retry schedule takes over from here.
        tx.prepare_cached(
            "UPDATE webhook_messages SET state = 'pending', next_attempt_at = ?2, updated_at = ?2
             WHERE seq = ?1",
        )?
        .execute(params![seq, now])?;
        let claimed = claim_row(&tx, seq, lease.claim, lease.until)?
            .ok_or(StoreError::NotFound("delivery"))?;
        tx.commit()?;
        Ok(claimed)
    }

    async fn claim_due_messages(
        &self,
        lease: Lease<'_>,
        first_delay_ms: i64,
        bounds: ClaimBounds,
    ) -> StoreResult<Vec<ClaimedMessage>> {
        let now = lease.now;
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        events::dispatch(&tx)?;
        // What each account holds now, over all its webhooks: no account's receivers may take
        // more than `per_account` slots, whatever the number of its webhooks.
        let mut account_held: HashMap<UserId, u32> = tx
            .prepare_cached(
                "SELECT w.user_id, COUNT(*) FROM webhook_messages h
                 JOIN webhooks w ON w.id = h.webhook_id
                 WHERE h.state = 'pending' AND h.claimed_until IS NOT NULL
                   AND h.claimed_until > ?1
                 GROUP BY w.user_id",
            )?
            .query_map([now], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        // The webhooks that have a due, unheld message, with how many they hold already; then
        // from each, its oldest due messages while it stays within `per_webhook`. Both are
        // index seeks per webhook, whatever the size of the backlog.
        let webhooks: Vec<(WebhookId, UserId, u32)> = tx
            .prepare_cached(
                "SELECT w.id, w.user_id, (SELECT COUNT(*) FROM webhook_messages h
                               WHERE h.webhook_id = w.id AND h.state = 'pending'
                                 AND h.claimed_until IS NOT NULL AND h.claimed_until > ?1)
                 FROM webhooks w JOIN users u ON u.id = w.user_id
                 WHERE w.disabled = 0 AND u.plan = ?2 AND EXISTS (
                     SELECT 1 FROM webhook_messages m
                     WHERE m.webhook_id = w.id AND m.state = 'pending'
                       AND m.next_attempt_at <= ?1
                       AND (m.attempts > 0 OR m.next_attempt_at <= ?1 - ?3)
                       AND (m.claimed_until IS NULL OR m.claimed_until <= ?1))
                 ORDER BY w.seq",
            )?
            .query_map(
                params![now, Plan::Business.as_str(), first_delay_ms],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?
            .collect::<rusqlite::Result<_>>()?;
        let mut due: Vec<i64> = Vec::new();
        for (webhook_id, user_id, held) in webhooks {
            let account = account_held.entry(user_id).or_default();
            let room = bounds
                .per_webhook
                .saturating_sub(held)
                .min(bounds.per_account.saturating_sub(*account))
                .min(
                    bounds
                        .limit
                        .saturating_sub(u32::try_from(due.len()).unwrap_or(u32::MAX)),
                );
            if room == 0 {
                continue;
            }
            let events = tx
                .prepare_cached(
                    "SELECT seq FROM webhook_messages
                     WHERE webhook_id = ?1 AND state = 'pending'
                       AND next_attempt_at <= ?2 AND (attempts > 0 OR next_attempt_at <= ?2 - ?4)
                       AND (claimed_until IS NULL OR claimed_until <= ?2)
                     ORDER BY next_attempt_at, seq LIMIT ?3",
                )?
                .query_map(params![webhook_id, now, room, first_delay_ms], |row| {
                    row.get(0)
                })?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            *account += u32::try_from(events.len()).unwrap_or(u32::MAX);
            due.extend(events);
        }
        let mut claimed = Vec::with_capacity(due.len());
        for seq in due {
            if let Some(message) = claim_row(&tx, seq, lease.claim, lease.until)? {
                claimed.push(message);
            }
        }
        tx.commit()?;
        Ok(claimed)
    }

    async fn record_attempt(
        &self,
        message: &ClaimedMessage,
        outcome: &AttemptOutcome,
    ) -> StoreResult<()> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        let held = tx
            .prepare_cached(
                "UPDATE webhook_messages SET state = ?4, attempts = ?5,
                     next_attempt_at = COALESCE(?6, next_attempt_at), claim = NULL,
                     claimed_until = NULL, updated_at = ?7
                 WHERE seq = ?1 AND webhook_id = ?2 AND claim = ?3",
            )?
            .execute(params![
                message.message_seq,
                message.webhook_id,
                message.claim,
                match outcome.next {
                    NextStep::Delivered => "delivered",
                    NextStep::RetryAt(_) => "pending",
                    NextStep::GiveUp => "failed",
                },
                message.attempt,
                match outcome.next {
                    NextStep::RetryAt(at) => Some(at),
                    _ => None,
                },
                outcome.at
            ])?;
        if held == 0 {
            // Another worker took the message over after our lease ran out: its record wins.
            return Ok(());
        }
        tx.prepare_cached(
            "INSERT INTO webhook_deliveries (id, webhook_id, message_seq, event_id, type, attempt,
                 status_code, error, duration_ms, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            outcome.delivery_id,
            message.webhook_id,
            message.message_seq,
            message.event_id,
            message.event_type,
            message.attempt,
            outcome.status_code,
            outcome.error,
            i64::try_from(outcome.duration_ms).unwrap_or(i64::MAX),
            outcome.at
        ])?;
        let delivered = outcome.next == NextStep::Delivered;
        // The webhook's row changes only when its run of failures starts or ends, or it is
        // disabled: most attempts leave it alone.
        tx.prepare_cached(
            "UPDATE webhooks SET
                 failing_since = CASE WHEN ?2 THEN NULL ELSE COALESCE(failing_since, ?3) END,
                 disabled = CASE WHEN ?4 IS NULL THEN disabled ELSE 1 END,
                 disabled_reason = COALESCE(?4, disabled_reason),
                 version = version + (?4 IS NOT NULL), updated_at = CASE WHEN ?4 IS NULL
                     THEN updated_at ELSE ?3 END
             WHERE id = ?1 AND (?4 IS NOT NULL OR (failing_since IS NULL) <> ?2)",
        )?
        .execute(params![
            message.webhook_id,
            delivered,
            outcome.at,
            outcome.disable
        ])?;
        tx.commit()?;
        Ok(())
    }

    async fn list_deliveries(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<DeliveryPage> {
        self.read(|conn| {
            let tx = conn.unchecked_transaction()?;
            if find_webhook(&tx, user_id, webhook_id)?.is_none() {
                return Ok(None);
            }
            let deliveries = tx
                .prepare_cached(
                    "SELECT id, webhook_id, event_id, type, attempt, status_code, error,
                            duration_ms, created_at
                     FROM webhook_deliveries
                     WHERE webhook_id = ?1 ORDER BY seq DESC LIMIT ?2 OFFSET ?3",
                )?
                .query_map(params![webhook_id, limit, offset], delivery_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total = page_total(
                &tx,
                "SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?1",
                [webhook_id],
            )?;
            tx.commit()?;
            Ok(Some(DeliveryPage { deliveries, total }))
        })?
        .ok_or(StoreError::NotFound("webhook"))
    }

    async fn release_message(&self, message_seq: i64, claim: &str) -> StoreResult<()> {
        self.write(|conn| release(conn, message_seq, claim))
    }

    async fn purge_webhook_records(&self, before: i64) -> StoreResult<u64> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let mut gone = tx
                .prepare_cached("DELETE FROM webhook_deliveries WHERE created_at < ?1")?
                .execute([before])?;
            gone += tx
                .prepare_cached(
                    "DELETE FROM webhook_messages WHERE state <> 'pending' AND updated_at < ?1",
                )?
                .execute([before])?;
            // Old events no message refers to any more: a kept message (pending, or finished
            // within the cut) keeps its event, which a listed attempt's resend sends (the
            // messages read once, not per event). The last dispatched event stays: `seq` is a
            // rowid, so with it gone the next event could take a seq the dispatcher has passed.
            gone += tx
                .prepare_cached(
                    "DELETE FROM webhook_events WHERE created_at < ?1
                       AND seq < (SELECT last_event FROM webhook_dispatch)
                       AND seq NOT IN (SELECT event_seq FROM webhook_messages)",
                )?
                .execute([before])?;
            tx.commit()?;
            Ok(gone as u64)
        })
    }

    async fn warn_expiring_tokens(&self, before: i64, now: i64) -> StoreResult<u64> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        let accounts = tx
            .prepare_cached(&format!(
                "SELECT {} FROM linkedin_accounts
                 WHERE token_expires_at > ?1 AND token_expires_at <= ?2
                   AND needs_reconnect = 0
                   AND (expiry_warned_for IS NULL OR expiry_warned_for <> token_expires_at)",
                super::publishing::ACCOUNT_COLUMNS
            ))?
            .query_map(params![now, before], super::publishing::account_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut warned = 0;
        for account in &accounts {
            let data = self.payloads.linkedin(Some(account), now);
            let written = events::emit(
                &tx,
                &account.user_id,
                &[Event::new(EventType::LinkedInTokenExpiring, data)],
                now,
            )?;
            // Warned only once somebody listened: a webhook added later in the 7 days still
            // hears it.
            if written > 0 {
                tx.prepare_cached(
                    "UPDATE linkedin_accounts SET expiry_warned_for = token_expires_at
                     WHERE user_id = ?1",
                )?
                .execute([&account.user_id])?;
                warned += 1;
            }
        }
        tx.commit()?;
        Ok(warned)
    }
}
