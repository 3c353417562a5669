//! The webhook queue's shared work in PostgreSQL: the claim of due messages, the purge and the
//! token warnings, which every instance runs and which must hold across instances.

use std::collections::{HashMap, HashSet};

use crate::domain::webhook::EventType;
use crate::domain::{Plan, UserId, WebhookId};
use crate::store::webhooks::{ClaimBounds, ClaimedMessage, Lease};
use crate::store::StoreResult;

use super::events::{self, Event};
use super::publishing_rows::{account_from_row, ACCOUNT_COLUMNS};
use super::rows::finish;
use super::webhook_rows::claim_due_of_webhook;
use super::PostgresStore;

/// Takes the claimers' lock of each account of `$1` that nobody else holds, and answers those.
///
/// Why a lock per account: the bounds count the messages already held, and two instances that
/// counted at the same moment would both see room and together exceed it (`SKIP LOCKED` keeps
/// them off each other's rows, not within each other's counts). So claimers are serialised per
/// account (which serialises them per webhook as well, a webhook having one owner): a
/// transaction-level advisory lock, taken with `try` so that an instance never waits for
/// another; it skips the accounts another is claiming for right now, as `SKIP LOCKED` skips
/// rows. It is released at commit, after the other's claims are visible, so the counts read
/// under it are exact. An advisory lock rather than a lock on the `users` or `webhooks` rows:
/// it touches no row, so neither a user's edits nor the webhook updates of recorded attempts
/// ever wait for a claim, or make a claimer skip. The key includes the schema, for databases
/// that hold several.
const LOCK_ACCOUNTS: &str = "SELECT u, pg_try_advisory_xact_lock(hashtextextended(
         'linkedgrow webhook claims ' || current_schema() || ' ' || u, 0))
     FROM unnest($1::text[]) AS u";

/// The webhooks of enabled subscriptions whose owner has API access and that have a due,
/// unheld message, oldest webhook first.
const CANDIDATES: &str = "SELECT w.id, w.user_id FROM webhooks w JOIN users u ON u.id = w.user_id
     WHERE NOT w.disabled AND u.plan = $2 AND EXISTS (
         SELECT 1 FROM webhook_messages m
         WHERE m.webhook_id = w.id AND m.state = 'pending'
           AND m.next_attempt_at <= $1
           AND (m.attempts > 0 OR m.next_attempt_at <= $1 - $3)
           AND (m.claimed_until IS NULL OR m.claimed_until <= $1))
     ORDER BY w.seq";

/// The messages held now per webhook of the accounts `$1` (over all their webhooks).
const HELD: &str = "SELECT h.webhook_id, w.user_id, COUNT(*) FROM webhook_messages h
     JOIN webhooks w ON w.id = h.webhook_id
     WHERE w.user_id = ANY($1) AND h.state = 'pending'
       AND h.claimed_until IS NOT NULL AND h.claimed_until > $2
     GROUP BY h.webhook_id, w.user_id";

/// One purge at a time over all instances: the others skip theirs rather than delete the same
/// rows in another order (and risk a deadlock) for nothing.
const LOCK_PURGE: &str = "SELECT pg_try_advisory_xact_lock(hashtextextended(
         'linkedgrow webhook purge ' || current_schema(), 0))";

impl PostgresStore {
    /// [`crate::store::webhooks::WebhookStore::claim_due_messages`].
    pub(super) async fn claim_due(
        &self,
        lease: Lease<'_>,
        first_delay_ms: i64,
        bounds: ClaimBounds,
    ) -> StoreResult<Vec<ClaimedMessage>> {
        let now = lease.now;
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            events::dispatch(&tx, now).await?;
            let statement = tx.prepare_cached(CANDIDATES).await?;
            let webhooks = tx
                .query(
                    &statement,
                    &[&now, &Plan::Business.as_str(), &first_delay_ms],
                )
                .await?
                .iter()
                .map(|row| {
                    Ok((
                        row.try_get::<_, WebhookId>(0)?,
                        row.try_get::<_, UserId>(1)?,
                    ))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            if webhooks.is_empty() {
                return Ok(Vec::new());
            }
            let mut owners: Vec<&str> = Vec::new();
            for (_, user_id) in &webhooks {
                if !owners.contains(&user_id.as_str()) {
                    owners.push(user_id.as_str());
                }
            }
            let statement = tx.prepare_cached(LOCK_ACCOUNTS).await?;
            let mut locked: Vec<String> = Vec::new();
            for row in tx.query(&statement, &[&owners]).await? {
                if row.try_get::<_, bool>(1)? {
                    locked.push(row.try_get(0)?);
                }
            }
            // Counted under the locks: what each webhook and account holds now.
            let statement = tx.prepare_cached(HELD).await?;
            let mut webhook_held: HashMap<String, u32> = HashMap::new();
            let mut account_held: HashMap<String, u32> = HashMap::new();
            for row in tx.query(&statement, &[&locked, &now]).await? {
                let n = u32::try_from(row.try_get::<_, i64>(2)?).unwrap_or(u32::MAX);
                webhook_held.insert(row.try_get(0)?, n);
                *account_held.entry(row.try_get(1)?).or_default() += n;
            }
            let locked: HashSet<String> = locked.into_iter().collect();
            let mut claimed: Vec<ClaimedMessage> = Vec::new();
            for (webhook_id, user_id) in &webhooks {
                if !locked.contains(user_id.as_str()) {
                    continue;
                }
                let held = webhook_held.get(webhook_id.as_str()).copied().unwrap_or(0);
                let account = account_held.entry(user_id.as_str().to_owned()).or_default();
                let taken = u32::try_from(claimed.len()).unwrap_or(u32::MAX);
                let room = bounds
                    .per_webhook
                    .saturating_sub(held)
                    .min(bounds.per_account.saturating_sub(*account))
                    .min(bounds.limit.saturating_sub(taken));
                if room == 0 {
                    continue;
                }
                let messages = claim_due_of_webhook(
                    &tx,
                    webhook_id,
                    room,
                    first_delay_ms,
                    (now, lease.claim, lease.until),
                )
                .await?;
                *account += u32::try_from(messages.len()).unwrap_or(u32::MAX);
                claimed.extend(messages);
            }
            Ok(claimed)
        }
        .await;
        finish(tx, outcome).await
    }

    /// [`crate::store::webhooks::WebhookStore::purge_webhook_records`].
    pub(super) async fn purge(&self, before: i64) -> StoreResult<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            let statement = tx.prepare_cached(LOCK_PURGE).await?;
            if !tx.query_one(&statement, &[]).await?.try_get::<_, bool>(0)? {
                return Ok(0);
            }
            // Messages before attempts: the order in which deleting a webhook takes them along, so
            // that a purge and a deletion never wait for each other both ways.
            let statement = tx
                .prepare_cached(
                    "DELETE FROM webhook_messages WHERE state <> 'pending' AND updated_at < $1",
                )
                .await?;
            let mut gone = tx.execute(&statement, &[&before]).await?;
            let statement = tx
                .prepare_cached("DELETE FROM webhook_deliveries WHERE created_at < $1")
                .await?;
            gone += tx.execute(&statement, &[&before]).await?;
            // Old events no message refers to any more: a kept message (pending, or finished
            // within the cut) keeps its event, which a listed attempt's resend sends. Never an
            // event not yet dispatched: it has no messages because they are still to be made (its
            // dispatch may be running right now, its rows locked and uncommitted). Unlike SQLite no
            // event needs to stay behind as a high-water mark: an identity column never hands out
            // a value twice, whatever rows are deleted.
            let statement = tx
                .prepare_cached(
                    "DELETE FROM webhook_events e WHERE e.created_at < $1
                   AND e.dispatched_at IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM webhook_messages m WHERE m.event_seq = e.seq)",
                )
                .await?;
            gone += tx.execute(&statement, &[&before]).await?;
            Ok(gone)
        }
        .await;
        finish(tx, outcome).await
    }

    /// [`crate::store::webhooks::WebhookStore::warn_expiring_tokens`].
    pub(super) async fn warn_expiring(&self, before: i64, now: i64) -> StoreResult<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            // Each connection to warn about is locked while it is warned: another instance warning
            // at the same moment skips it, and one that read it before this commits re-reads it
            // under the lock, sees it warned, and leaves it (PostgreSQL rechecks a locked row's
            // conditions on its newest version). So no token is warned about twice.
            let statement = tx
                .prepare_cached(&format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM linkedin_accounts
                 WHERE token_expires_at > $1 AND token_expires_at <= $2
                   AND NOT needs_reconnect
                   AND expiry_warned_for IS DISTINCT FROM token_expires_at
                 FOR NO KEY UPDATE SKIP LOCKED"
                ))
                .await?;
            let accounts = tx
                .query(&statement, &[&now, &before])
                .await?
                .iter()
                .map(account_from_row)
                .collect::<StoreResult<Vec<_>>>()?;
            let mark = tx
                .prepare_cached(
                    "UPDATE linkedin_accounts SET expiry_warned_for = token_expires_at
                 WHERE user_id = $1",
                )
                .await?;
            let mut warned = 0;
            for account in &accounts {
                let data = self.payloads.linkedin(Some(account), now);
                let event = Event::new(EventType::LinkedInTokenExpiring, data);
                let written = events::emit(&tx, &account.user_id, &[event], now).await?;
                // Warned only once somebody listened: a webhook added later in the 7 days still
                // hears it.
                if written > 0 {
                    tx.execute(&mark, &[&account.user_id.as_str()]).await?;
                    warned += 1;
                }
            }
            Ok(warned)
        }
        .await;
        finish(tx, outcome).await
    }
}
