//! When to publish: sleep until the next post is due, wake early when one is (re)scheduled.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{claim_id, Publisher, LEASE_MS};

/// The longest sleep: changes made elsewhere (the CLI, another instance) wake no one here, so
/// the scheduler looks at the next due time at least this often. One indexed `MIN` query.
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// Due posts claimed per query.
const BATCH: u32 = 16;

impl Publisher {
    /// Publishes due posts until `shutdown` completes. Posts that came due while the server was
    /// down go out right away.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let sleep = match self.tick().await {
                Ok(()) => self.time_to_next().await,
                Err(err) => {
                    tracing::error!(error = %err, "the publisher could not read due posts");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.wake.notified() => {}
                _ = &mut shutdown => return,
            }
        }
    }

    /// Claims every post due now and starts its attempt (at most a few at once); returns once
    /// every claimed post's attempt has ended. Tests call it directly with the test clock.
    pub async fn tick(self: &Arc<Self>) -> Result<(), crate::store::StoreError> {
        let mut running = tokio::task::JoinSet::new();
        loop {
            let now = self.now_ms();
            let due = self.store.due_post_ids(now, BATCH).await?;
            if due.is_empty() {
                break;
            }
            let mut claimed_any = false;
            for post_id in due {
                let permit = Arc::clone(&self.attempts)
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed");
                let claim = claim_id();
                let now = self.now_ms();
                let Some(claimed) = self
                    .store
                    .claim_due_post(&post_id, &claim, now, now + LEASE_MS)
                    .await?
                else {
                    continue; // another publisher took it, or it changed
                };
                claimed_any = true;
                let publisher = Arc::clone(self);
                running.spawn(async move {
                    let _permit = permit;
                    publisher.attempt(claimed, &claim).await;
                });
            }
            if !claimed_any {
                break;
            }
        }
        while running.join_next().await.is_some() {}
        Ok(())
    }

    /// How long until the next post is due (now if one already is), at most [`MAX_SLEEP`].
    async fn time_to_next(&self) -> Duration {
        match self.store.next_due_at().await {
            Ok(Some(due)) => {
                let wait = (due - self.now_ms()).max(0) as u64;
                Duration::from_millis(wait).min(MAX_SLEEP)
            }
            Ok(None) => MAX_SLEEP,
            Err(err) => {
                tracing::error!(error = %err, "the publisher could not read the next due time");
                Duration::from_secs(1)
            }
        }
    }
}
