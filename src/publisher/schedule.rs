//! When to publish: sleep until the next post is due, wake early when one is (re)scheduled.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{claim_id, Publisher, LEASE_MS};

/// The longest sleep: changes made elsewhere (the CLI, another instance, a post handed back by
/// an instance that is stopping) wake no one here, so the scheduler looks at the next due time
/// at least this often. One indexed `MIN` query every two seconds is nothing to the database.
const MAX_SLEEP: Duration = Duration::from_secs(2);
/// Due posts claimed per query.
const BATCH: u32 = 16;

impl Publisher {
    /// Publishes due posts until `shutdown` completes. Posts that came due while the server was
    /// down go out right away.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            // Attempts go on in the background: a slow answer from LinkedIn must not hold up a
            // post that comes due meanwhile.
            let mut attempts = self.start_due().await;
            tokio::spawn(async move { while attempts.join_next().await.is_some() {} });
            let sleep = self.time_to_next().await;
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.wake.notified() => {}
                _ = &mut shutdown => return,
            }
        }
    }

    /// Claims every post due now, sends them (at most a few at once) and returns once every
    /// attempt has ended. Tests call it directly with the test clock.
    pub async fn tick(self: &Arc<Self>) -> Result<(), crate::store::StoreError> {
        let mut attempts = self.start_due().await;
        while attempts.join_next().await.is_some() {}
        Ok(())
    }

    /// Claims every post due now and starts its attempt; the attempts still running are in the
    /// set returned (dropping it would abort them). A database error ends the round (logged);
    /// the attempts already started go on.
    async fn start_due(self: &Arc<Self>) -> tokio::task::JoinSet<()> {
        let mut running = tokio::task::JoinSet::new();
        loop {
            let now = self.now_ms();
            let due = match self.store.due_post_ids(now, BATCH).await {
                Ok(due) => due,
                Err(err) => {
                    tracing::error!(error = %err, "the publisher could not read due posts");
                    break;
                }
            };
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
                let claimed = match self
                    .store
                    .claim_due_post(&post_id, &claim, now, now + LEASE_MS)
                    .await
                {
                    Ok(Some(claimed)) => claimed,
                    Ok(None) => continue, // another publisher took it, or it changed
                    Err(err) => {
                        tracing::error!(error = %err, "the publisher could not claim a post");
                        return running;
                    }
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
        running
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
