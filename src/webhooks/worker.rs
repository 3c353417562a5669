//! The delivery worker inside `serve`: claims due messages from the queue under a lease, sends
//! each one signed, records the attempt and schedules the next one.
//!
//! At least once: a message leaves the queue only when an attempt's outcome is recorded, so a
//! worker that dies mid-attempt leaves it held until its lease runs out, and then any worker
//! sends it again (with the same `webhook-id`, which receivers dedupe on). Bounded: at most
//! [`PER_WEBHOOK`] attempts at one subscription and [`PER_ACCOUNT`] at one account's at once
//! (counted in the database, so across processes too) and [`CONCURRENT_ATTEMPTS`] in all, so a
//! receiver that hangs holds a few slots for at most the timeout and delays nobody else.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use crate::clock::Clock;
use crate::domain::webhook::EventType;
use crate::domain::{DeliveryId, EventId, UserId, WebhookId};
use crate::hand_back::InFlight;
use crate::linkedin::crypto::Key;
use crate::store::webhooks::{
    event_body, AttemptOutcome, ClaimBounds, ClaimedMessage, Delivery, Lease, NextStep,
};
use crate::store::{Store, StoreResult};

use super::address::{check_url, UrlRefusal};
use super::client::{self, is_success};
use super::settings::WebhookConfig;
use super::signing::Secret;

/// Attempts at one subscription at once.
pub const PER_WEBHOOK: u32 = 4;
/// Attempts at one account's subscriptions at once, however many it has: one account's hanging
/// receivers cannot take every slot.
pub const PER_ACCOUNT: u32 = 16;
/// Attempts at once in one worker: waiting on the network is cheap, so it is ample.
pub const CONCURRENT_ATTEMPTS: usize = 256;
/// How often the worker looks for due messages when nothing woke it.
const POLL_EVERY: Duration = Duration::from_millis(200);
/// How long a woken worker waits for more attempts to end before it claims again.
const COALESCE_WAKES: Duration = Duration::from_millis(2);
/// A subscription failing every attempt this long is disabled.
pub const DISABLE_AFTER_FAILING_MS: i64 = 5 * 24 * 3_600_000;
/// How long attempts (and finished messages) are kept.
pub const KEEP_RECORDS_MS: i64 = 30 * 24 * 3_600_000;
/// How far ahead `linkedin.token_expiring` warns.
pub const TOKEN_WARNING_MS: i64 = 7 * 24 * 3_600_000;
/// How often records are purged and tokens checked.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(3_600);

/// Webhook delivery: one per server.
pub struct Webhooks {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// Seals the signing secrets at rest (the key of LinkedIn tokens).
    key: Key,
    client: reqwest::Client,
    config: WebhookConfig,
    slots: Arc<Semaphore>,
    wake: Notify,
    /// Messages being delivered (by queue place), for a graceful shutdown to hand back.
    in_flight: InFlight<i64>,
}

/// The context a secret is sealed under: its webhook, so a sealed secret cannot be moved.
fn seal_context(webhook_id: &WebhookId) -> Vec<u8> {
    format!("webhook secret {webhook_id}").into_bytes()
}

impl Webhooks {
    /// The worker and the operations the API needs, for `config`.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        key: Key,
        config: &WebhookConfig,
    ) -> Arc<Self> {
        Arc::new(Self {
            client: client::client(config.allow_private, config.timeout()),
            store,
            clock,
            key,
            config: config.clone(),
            slots: Arc::new(Semaphore::new(CONCURRENT_ATTEMPTS)),
            wake: Notify::new(),
            in_flight: InFlight::default(),
        })
    }

    /// Checks a subscriber's URL: https, and only public addresses unless private ones are
    /// allowed.
    pub async fn check_url(&self, url: &str) -> Result<url::Url, UrlRefusal> {
        check_url(url, self.config.allow_private).await
    }

    /// A new subscription's secret: the `whsec_…` text to show once, and its sealed form to
    /// store.
    pub fn new_secret(&self, webhook_id: &WebhookId) -> (String, String) {
        let whsec = Secret::generate().to_whsec();
        let sealed = self.key.seal(&whsec, &seal_context(webhook_id));
        (whsec, sealed)
    }

    /// Makes the worker look at the queue now (after a change that queued messages).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// The schedule's delay before a message's first attempt (0 by default).
    pub fn first_delay_ms(&self) -> i64 {
        let first = self
            .config
            .retry_schedule
            .delay_before(1)
            .unwrap_or_default();
        i64::try_from(first.as_millis()).unwrap_or(i64::MAX / 2)
    }

    fn lease_ms(&self) -> i64 {
        // Longer than an attempt can take (the timeout, with room for a slow start), so a live
        // attempt keeps its message; short enough that a dead worker's messages go out again
        // soon after a restart (35 s with the default timeout).
        i64::try_from(self.config.timeout_seconds).unwrap_or(300) * 2_000 + 5_000
    }

    /// Sends a `webhook.test` event to one subscription now, and answers its attempt.
    pub async fn send_test(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
    ) -> StoreResult<Delivery> {
        let now = self.now_ms();
        let data = serde_json::json!({
            "webhookId": webhook_id,
            "message": "This is a test event from LinkedGrow."
        });
        let body = event_body(EventType::WebhookTest, &data, now);
        let claim = DeliveryId::generate().to_string();
        let lease = Lease {
            claim: &claim,
            now,
            until: now + self.lease_ms(),
        };
        let message = self
            .store
            .queue_test_event(user_id, webhook_id, &EventId::generate(), &body, lease)
            .await?;
        self.attempt(message).await
    }

    /// Sends the event of one of a subscription's attempts again now, and answers the new
    /// attempt.
    pub async fn resend(
        &self,
        user_id: &UserId,
        webhook_id: &WebhookId,
        delivery_id: &DeliveryId,
    ) -> StoreResult<Delivery> {
        let now = self.now_ms();
        let claim = DeliveryId::generate().to_string();
        let lease = Lease {
            claim: &claim,
            now,
            until: now + self.lease_ms(),
        };
        let message = self
            .store
            .claim_for_resend(user_id, webhook_id, delivery_id, lease)
            .await?;
        self.attempt(message).await
    }

    /// One attempt at a held message: send, decide what comes next, record it.
    async fn attempt(&self, message: ClaimedMessage) -> StoreResult<Delivery> {
        let sent = match self
            .key
            .open(&message.secret_sealed, &seal_context(&message.webhook_id))
            .ok()
            .and_then(|whsec| Secret::from_whsec(&whsec).ok())
        {
            Some(secret) => {
                client::send(
                    &self.client,
                    &message.url,
                    self.config.allow_private,
                    message.event_id.as_str(),
                    &secret,
                    &message.body,
                    self.clock.now().timestamp(),
                )
                .await
            }
            None => client::Attempt {
                status: None,
                error: Some(
                    "the webhook's secret could not be decrypted: the server's encryption key \
                     changed; delete the webhook and create it again"
                        .into(),
                ),
                duration_ms: 0,
                retry_after: None,
            },
        };
        let at = self.now_ms();
        let delivered = sent.status.is_some_and(is_success);
        let gone = sent.status == Some(410);
        let next = if delivered {
            NextStep::Delivered
        } else if gone {
            NextStep::GiveUp
        } else {
            match self
                .config
                .retry_schedule
                .next_after_failure(message.attempt, sent.retry_after)
            {
                Some(delay) => {
                    NextStep::RetryAt(at + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2))
                }
                None => NextStep::GiveUp,
            }
        };
        let failing_for = message.failing_since.map_or(0, |since| at - since);
        let disable = if gone {
            Some("gone")
        } else if !delivered && failing_for >= DISABLE_AFTER_FAILING_MS {
            Some("failing")
        } else {
            None
        };
        if let Some(reason) = disable {
            tracing::warn!(webhook = %message.webhook_id, reason, "webhook disabled");
        }
        let counted = match next {
            NextStep::Delivered => "delivered",
            NextStep::RetryAt(_) => "retry",
            NextStep::GiveUp => "gave_up",
        };
        metrics::counter!(crate::telemetry::WEBHOOK_DELIVERIES, "outcome" => counted).increment(1);
        let outcome = AttemptOutcome {
            delivery_id: DeliveryId::generate(),
            status_code: sent.status,
            error: sent.error,
            duration_ms: sent.duration_ms,
            at,
            next,
            disable,
        };
        self.store.record_attempt(&message, &outcome).await?;
        Ok(Delivery {
            id: outcome.delivery_id,
            webhook_id: message.webhook_id,
            event_id: message.event_id,
            event_type: message.event_type,
            attempt: message.attempt,
            status_code: outcome.status_code,
            error: outcome.error,
            duration_ms: outcome.duration_ms,
            created_at: at,
        })
    }

    /// One round: claims as many due messages as there are free slots and starts their
    /// attempts in the background; how many it started.
    pub async fn tick(self: &Arc<Self>) -> StoreResult<usize> {
        let free = u32::try_from(self.slots.available_permits()).unwrap_or(u32::MAX);
        if free == 0 {
            return Ok(0);
        }
        let now = self.now_ms();
        let claim = DeliveryId::generate().to_string();
        let lease = Lease {
            claim: &claim,
            now,
            until: now + self.lease_ms(),
        };
        let due = self
            .store
            .claim_due_messages(
                lease,
                self.first_delay_ms(),
                ClaimBounds {
                    per_webhook: PER_WEBHOOK,
                    per_account: PER_ACCOUNT,
                    limit: free,
                },
            )
            .await?;
        let started = due.len();
        for message in due {
            let Ok(permit) = self.slots.clone().acquire_owned().await else {
                break;
            };
            let worker = self.clone();
            tokio::spawn(async move {
                let webhook = message.webhook_id.clone();
                let _held = worker.in_flight.hold(message.message_seq, &message.claim);
                if let Err(err) = worker.attempt(message).await {
                    tracing::error!(%webhook, error = %err, "could not record a webhook delivery");
                }
                drop(permit);
                worker.wake();
            });
        }
        Ok(started)
    }

    /// At shutdown: waits up to `grace` for the deliveries under way, then hands back the
    /// messages still unfinished, so that another instance sends them at once instead of when
    /// their lease would have run out (a receiver may then see one twice, with the same
    /// `webhook-id`, as after any retry).
    pub async fn hand_back(&self, grace: Duration) {
        let left = self.in_flight.wait_idle(grace).await;
        for (message_seq, claim) in &left {
            if let Err(err) = self.store.release_message(*message_seq, claim).await {
                tracing::warn!(message_seq, error = %err, "could not hand back a webhook message");
            }
        }
        if !left.is_empty() {
            tracing::info!(
                messages = left.len(),
                "handed back webhook messages being delivered"
            );
        }
    }

    /// Drops old attempt records and warns of LinkedIn tokens about to end.
    pub async fn housekeeping(&self) -> StoreResult<()> {
        let now = self.now_ms();
        let purged = self
            .store
            .purge_webhook_records(now - KEEP_RECORDS_MS)
            .await?;
        let warned = self
            .store
            .warn_expiring_tokens(now + TOKEN_WARNING_MS, now)
            .await?;
        if purged > 0 || warned > 0 {
            tracing::info!(purged, warned, "webhook housekeeping");
        }
        Ok(())
    }

    /// Delivers until `shutdown` completes. Attempts under way are left to finish or to lapse:
    /// their messages are sent again after a restart.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut housekeeping = tokio::time::interval(HOUSEKEEPING_EVERY);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                _ = housekeeping.tick() => {
                    if let Err(err) = self.housekeeping().await {
                        tracing::error!(error = %err, "webhook housekeeping failed");
                    }
                }
                () = self.wake.notified() => {
                    // Attempts that end together free their slots before one claim takes
                    // them all: one transaction per batch rather than per message.
                    tokio::time::sleep(COALESCE_WAKES).await;
                }
                () = tokio::time::sleep(POLL_EVERY) => {}
            }
            if let Err(err) = self.tick().await {
                tracing::error!(error = %err, "cannot claim webhook deliveries");
            }
        }
    }
}
