//! The queue gauges: how much the publisher and webhook delivery have waiting, read from the
//! database every [`QUEUES_EVERY`], so that every instance reports the shared backlog.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{
    PUBLISHER_DUE_POSTS, WEBHOOK_DUE_MESSAGES, WEBHOOK_PENDING_MESSAGES,
    WEBHOOK_UNDISPATCHED_EVENTS,
};
use crate::clock::Clock;
use crate::store::{QueueDepths, Store, StoreResult};

/// How often the gauges are read again: often enough for an alert within a minute, rarely
/// enough that the counts cost the database nothing worth measuring.
pub const QUEUES_EVERY: Duration = Duration::from_secs(15);

/// Reads the backlog at `now` and sets the gauges; `first_delay_ms` is the webhook worker's
/// wait before a message's first attempt.
pub async fn refresh_queue_depths(
    store: &dyn Store,
    now: i64,
    first_delay_ms: i64,
) -> StoreResult<QueueDepths> {
    let depths = store.queue_depths(now, first_delay_ms).await?;
    for (name, value) in [
        (PUBLISHER_DUE_POSTS, depths.due_posts),
        (WEBHOOK_UNDISPATCHED_EVENTS, depths.undispatched_events),
        (WEBHOOK_PENDING_MESSAGES, depths.pending_messages),
        (WEBHOOK_DUE_MESSAGES, depths.due_messages),
    ] {
        metrics::gauge!(name).set(value as f64);
    }
    Ok(depths)
}

/// Refreshes the gauges every [`QUEUES_EVERY`] until `shutdown` completes.
pub async fn watch_queues(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    first_delay_ms: i64,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut every = tokio::time::interval(QUEUES_EVERY);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            _ = every.tick() => {}
        }
        let now = clock.now().timestamp_millis();
        if let Err(err) = refresh_queue_depths(store.as_ref(), now, first_delay_ms).await {
            tracing::warn!(error = %err, "cannot read the queue depths for the metrics");
        }
    }
}
