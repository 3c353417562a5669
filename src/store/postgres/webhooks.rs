//! Webhooks in PostgreSQL. Queue rows are held by leases (`claim`, `claimed_until`); every
//! claim takes its rows under a row lock and rechecks them, so two instances never hold the
//! same message at once. The claim of due messages, the purge and the token warnings are in
//! `webhook_queue.rs`.

use async_trait::async_trait;
use tokio_postgres::IsolationLevel;

use crate::domain::{DeliveryId, EventId, Scope, Scopes, UserId, WebhookId};
use crate::store::webhooks::{
    AttemptOutcome, ClaimBounds, ClaimedMessage, DeliveryPage, Lease, NewWebhook, NextStep,
    Webhook, WebhookChange, WebhookPage, WebhookStore,
};
use crate::store::{StoreError, StoreResult};

use super::events;
use super::rows::{finish, missing_or_changed};
use super::webhook_rows::{
    claim_row, count_from_row, delivery_from_row, find_webhook, webhook_from_row, DELIVERY_COLUMNS,
    WEBHOOK_COLUMNS,
};
use super::PostgresStore;

/// A key sees a webhook when it holds every read scope the webhook needs.
const VISIBLE: &str = "user_id = $1 AND (NOT reads_posts OR $2) AND (NOT reads_ideas OR $3)
     AND (NOT reads_profile OR $4)";

#[async_trait]
impl WebhookStore for PostgresStore {
    async fn insert_webhook(&self, new: &NewWebhook, now: i64) -> StoreResult<Webhook> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            // A key revoked since its request was authenticated gets its webhook disabled, as
            // `revoke_key` disables the ones it already had. The key's row is locked (shared) to
            // read it: a revocation under way is waited for and seen, and one that starts later
            // waits for this webhook and then finds it among the key's.
            let revoked = match &new.created_by_key {
                Some(key) => {
                    let statement = tx
                        .prepare_cached(
                            "SELECT revoked_at IS NOT NULL FROM api_keys WHERE id = $1 FOR SHARE",
                        )
                        .await?;
                    tx.query_opt(&statement, &[&key.as_str()])
                        .await?
                        .map(|row| row.try_get::<_, bool>(0))
                        .transpose()?
                        .unwrap_or(false)
                }
                None => false,
            };
            let statement = tx
                .prepare_cached(&format!(
                    "INSERT INTO webhooks (id, user_id, created_by_key, url, events, reads_posts,
                     reads_ideas, reads_profile, description, secret, created_at, updated_at,
                     disabled, disabled_reason)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12,
                     CASE WHEN $12 THEN 'key_revoked' END)
                 RETURNING {WEBHOOK_COLUMNS}"
                ))
                .await?;
            let row = tx
                .query_one(
                    &statement,
                    &[
                        &new.id.as_str(),
                        &new.user_id.as_str(),
                        &new.created_by_key.as_ref().map(|k| k.as_str()),
                        &new.url,
                        &new.events.to_stored(),
                        &new.read_scopes.contains(Scope::PostsRead),
                        &new.read_scopes.contains(Scope::IdeasRead),
                        &new.read_scopes.contains(Scope::ProfileRead),
                        &new.description,
                        &new.secret_sealed,
                        &now,
                        &revoked,
                    ],
                )
                .await?;
            let webhook = webhook_from_row(&row)?;
            Ok(webhook)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn get_webhook(&self, user_id: &UserId, id: &WebhookId) -> StoreResult<Webhook> {
        let client = self.client().await?;
        find_webhook(&client, user_id, id)
            .await?
            .ok_or(StoreError::NotFound("webhook"))
    }

    async fn list_webhooks(
        &self,
        user_id: &UserId,
        visible_to: Scopes,
        limit: u32,
        offset: u64,
    ) -> StoreResult<WebhookPage> {
        let flags = [
            visible_to.contains(Scope::PostsRead),
            visible_to.contains(Scope::IdeasRead),
            visible_to.contains(Scope::ProfileRead),
        ];
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let mut client = self.client().await?;
        // One snapshot for the page and its total.
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let outcome: StoreResult<_> = async {
            let statement = tx
                .prepare_cached(&format!(
                    "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE {VISIBLE}
                 ORDER BY seq DESC LIMIT $5 OFFSET $6"
                ))
                .await?;
            let webhooks = tx
                .query(
                    &statement,
                    &[
                        &user_id.as_str(),
                        &flags[0],
                        &flags[1],
                        &flags[2],
                        &i64::from(limit),
                        &offset,
                    ],
                )
                .await?
                .iter()
                .map(webhook_from_row)
                .collect::<StoreResult<Vec<_>>>()?;
            let statement = tx
                .prepare_cached(&format!("SELECT COUNT(*) FROM webhooks WHERE {VISIBLE}"))
                .await?;
            let row = tx
                .query_one(
                    &statement,
                    &[&user_id.as_str(), &flags[0], &flags[1], &flags[2]],
                )
                .await?;
            let total = count_from_row(&row)?;
            Ok(WebhookPage { webhooks, total })
        }
        .await;
        finish(tx, outcome).await
    }

    async fn update_webhook(
        &self,
        user_id: &UserId,
        id: &WebhookId,
        version: i64,
        change: &WebhookChange,
        now: i64,
    ) -> StoreResult<Webhook> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "UPDATE webhooks SET url = $4, events = $5, reads_posts = $6, reads_ideas = $7,
                    reads_profile = $8, description = $9, disabled = $10,
                    disabled_reason = CASE WHEN $10 THEN COALESCE(disabled_reason, 'owner') END,
                    failing_since = CASE WHEN $10 OR disabled OR url <> $4 THEN NULL
                                         ELSE failing_since END,
                    updated_at = $11, version = version + 1
                 WHERE user_id = $1 AND id = $2 AND version = $3
                 RETURNING {WEBHOOK_COLUMNS}"
            ))
            .await?;
        let row = client
            .query_opt(
                &statement,
                &[
                    &user_id.as_str(),
                    &id.as_str(),
                    &version,
                    &change.url,
                    &change.events.to_stored(),
                    &change.read_scopes.contains(Scope::PostsRead),
                    &change.read_scopes.contains(Scope::IdeasRead),
                    &change.read_scopes.contains(Scope::ProfileRead),
                    &change.description,
                    &change.disabled,
                    &now,
                ],
            )
            .await?;
        match row {
            Some(row) => webhook_from_row(&row),
            None => {
                Err(missing_or_changed(&client, "webhooks", "webhook", user_id, id.as_str()).await)
            }
        }
    }

    async fn delete_webhook(
        &self,
        user_id: &UserId,
        id: &WebhookId,
        version: Option<i64>,
    ) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "DELETE FROM webhooks
                 WHERE user_id = $1 AND id = $2 AND ($3::int8 IS NULL OR version = $3)",
            )
            .await?;
        let deleted = client
            .execute(&statement, &[&user_id.as_str(), &id.as_str(), &version])
            .await?;
        if deleted == 0 {
            return Err(
                missing_or_changed(&client, "webhooks", "webhook", user_id, id.as_str()).await,
            );
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
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            if find_webhook(&tx, user_id, webhook_id).await?.is_none() {
                return Err(StoreError::NotFound("webhook"));
            }
            let event_seq = events::insert_test_event(&tx, event_id, user_id, body, now).await?;
            let seq = events::queue(&tx, webhook_id, event_seq, now).await?;
            // The message is this transaction's own: nobody else can hold it.
            let claimed = claim_row(&tx, seq, lease.claim, lease.until)
                .await?
                .ok_or(StoreError::NotFound("webhook"))?;
            Ok(claimed)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn claim_for_resend(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
        delivery_id: &DeliveryId,
        lease: Lease<'_>,
    ) -> StoreResult<ClaimedMessage> {
        let now = lease.now;
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            let statement = tx
                .prepare_cached(
                    "SELECT d.message_seq FROM webhook_deliveries d
                 JOIN webhooks w ON w.id = d.webhook_id
                 WHERE d.id = $1 AND d.webhook_id = $2 AND w.user_id = $3",
                )
                .await?;
            let Some(row) = tx
                .query_opt(
                    &statement,
                    &[
                        &delivery_id.as_str(),
                        &webhook_id.as_str(),
                        &user_id.as_str(),
                    ],
                )
                .await?
            else {
                return Err(StoreError::NotFound("delivery"));
            };
            let seq: i64 = row.try_get(0)?;
            // Pending again (if this attempt fails, the retry schedule takes over from here), unless
            // a live lease holds it. The update locks the row and rechecks the lease on its newest
            // version, so a claim that commits meanwhile is seen, and one that comes later skips or
            // waits for this one.
            let statement = tx
                .prepare_cached(
                    "UPDATE webhook_messages SET state = 'pending', next_attempt_at = $2,
                     updated_at = $2
                 WHERE seq = $1 AND (claimed_until IS NULL OR claimed_until <= $2)",
                )
                .await?;
            if tx.execute(&statement, &[&seq, &now]).await? == 0 {
                let statement = tx
                    .prepare_cached("SELECT 1 FROM webhook_messages WHERE seq = $1")
                    .await?;
                return Err(match tx.query_opt(&statement, &[&seq]).await? {
                    Some(_) => StoreError::Conflict(
                        "this event is being delivered right now; try again in a moment".into(),
                    ),
                    None => StoreError::NotFound("delivery"),
                });
            }
            let claimed = claim_row(&tx, seq, lease.claim, lease.until)
                .await?
                .ok_or(StoreError::NotFound("delivery"))?;
            Ok(claimed)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn claim_due_messages(
        &self,
        lease: Lease<'_>,
        first_delay_ms: i64,
        bounds: ClaimBounds,
    ) -> StoreResult<Vec<ClaimedMessage>> {
        self.claim_due(lease, first_delay_ms, bounds).await
    }

    async fn record_attempt(
        &self,
        message: &ClaimedMessage,
        outcome: &AttemptOutcome,
    ) -> StoreResult<()> {
        let (state, retry_at) = match outcome.next {
            NextStep::Delivered => ("delivered", None),
            NextStep::RetryAt(at) => ("pending", Some(at)),
            NextStep::GiveUp => ("failed", None),
        };
        let attempt = i32::try_from(message.attempt).unwrap_or(i32::MAX);
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            // The webhook's row is share-locked before the message's: deleting a webhook locks
            // the webhook and then its messages, so taking them in the other order could deadlock
            // with it. (Other attempts' share locks do not conflict.)
            let statement = tx
                .prepare_cached(
                    "UPDATE webhook_messages m SET state = $4, attempts = $5,
                     next_attempt_at = COALESCE($6, m.next_attempt_at), claim = NULL,
                     claimed_until = NULL, updated_at = $7
                 FROM (SELECT id FROM webhooks WHERE id = $2 FOR KEY SHARE) w
                 WHERE m.seq = $1 AND m.webhook_id = w.id AND m.claim = $3",
                )
                .await?;
            let held = tx
                .execute(
                    &statement,
                    &[
                        &message.message_seq,
                        &message.webhook_id.as_str(),
                        &message.claim,
                        &state,
                        &attempt,
                        &retry_at,
                        &outcome.at,
                    ],
                )
                .await?;
            if held == 0 {
                // Another worker took the message over after our lease ran out: its record wins.
                return Ok(());
            }
            let statement = tx
                .prepare_cached(
                    "INSERT INTO webhook_deliveries (id, webhook_id, message_seq, event_id, type,
                     attempt, status_code, error, duration_ms, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .await?;
            tx.execute(
                &statement,
                &[
                    &outcome.delivery_id.as_str(),
                    &message.webhook_id.as_str(),
                    &message.message_seq,
                    &message.event_id.as_str(),
                    &message.event_type,
                    &attempt,
                    &outcome.status_code.map(i32::from),
                    &outcome.error,
                    &i64::try_from(outcome.duration_ms).unwrap_or(i64::MAX),
                    &outcome.at,
                ],
            )
            .await?;
            // The webhook's row changes only when its run of failures starts or ends, or it is
            // disabled: most attempts leave it alone.
            let statement = tx
                .prepare_cached(
                    "UPDATE webhooks SET
                     failing_since = CASE WHEN $2 THEN NULL ELSE COALESCE(failing_since, $3) END,
                     disabled = disabled OR $4::text IS NOT NULL,
                     disabled_reason = COALESCE($4, disabled_reason),
                     version = version + CASE WHEN $4::text IS NULL THEN 0 ELSE 1 END,
                     updated_at = CASE WHEN $4::text IS NULL THEN updated_at ELSE $3 END
                 WHERE id = $1 AND ($4::text IS NOT NULL OR (failing_since IS NULL) <> $2)",
                )
                .await?;
            tx.execute(
                &statement,
                &[
                    &message.webhook_id.as_str(),
                    &(outcome.next == NextStep::Delivered),
                    &outcome.at,
                    &outcome.disable,
                ],
            )
            .await?;
            Ok(())
        }
        .await;
        finish(tx, outcome).await
    }

    async fn list_deliveries(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<DeliveryPage> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let mut client = self.client().await?;
        // One snapshot for the page and its total.
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let outcome: StoreResult<_> = async {
            if find_webhook(&tx, user_id, webhook_id).await?.is_none() {
                return Err(StoreError::NotFound("webhook"));
            }
            let statement = tx
                .prepare_cached(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
                 WHERE webhook_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3"
                ))
                .await?;
            let deliveries = tx
                .query(
                    &statement,
                    &[&webhook_id.as_str(), &i64::from(limit), &offset],
                )
                .await?
                .iter()
                .map(delivery_from_row)
                .collect::<StoreResult<Vec<_>>>()?;
            let statement = tx
                .prepare_cached("SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = $1")
                .await?;
            let total = count_from_row(&tx.query_one(&statement, &[&webhook_id.as_str()]).await?)?;
            Ok(DeliveryPage { deliveries, total })
        }
        .await;
        finish(tx, outcome).await
    }

    async fn release_message(&self, message_seq: i64, claim: &str) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "UPDATE webhook_messages SET claim = NULL, claimed_until = NULL
                 WHERE seq = $1 AND claim = $2 AND state = 'pending'",
            )
            .await?;
        client.execute(&statement, &[&message_seq, &claim]).await?;
        Ok(())
    }

    async fn purge_webhook_records(&self, before: i64) -> StoreResult<u64> {
        self.purge(before).await
    }

    async fn warn_expiring_tokens(&self, before: i64, now: i64) -> StoreResult<u64> {
        self.warn_expiring(before, now).await
    }
}
