//! The backlog the metrics report: counts over the partial indexes the workers read.

use rusqlite::params;

use super::SqliteStore;
use crate::domain::Plan;
use crate::store::{QueueDepths, StoreResult};

/// One statement, so the four counts are of one snapshot. The due messages are the ones the
/// webhook worker's claim would take (`claim_due_messages`), without its per-webhook bounds.
const DEPTHS: &str = "SELECT
    (SELECT COUNT(*) FROM posts WHERE status = 'scheduled' AND due_at <= ?1),
    (SELECT COUNT(*) FROM webhook_events
     WHERE seq > (SELECT last_event FROM webhook_dispatch WHERE id = 1)),
    (SELECT COUNT(*) FROM webhook_messages WHERE state = 'pending'),
    (SELECT COUNT(*) FROM webhook_messages m
     JOIN webhooks w ON w.id = m.webhook_id
     JOIN users u ON u.id = w.user_id
     WHERE m.state = 'pending' AND m.next_attempt_at <= ?1
       AND (m.attempts > 0 OR m.next_attempt_at <= ?1 - ?2)
       AND (m.claimed_until IS NULL OR m.claimed_until <= ?1)
       AND w.disabled = 0 AND u.plan = ?3)";

impl SqliteStore {
    pub(super) fn depths(&self, now: i64, first_delay_ms: i64) -> StoreResult<QueueDepths> {
        self.read(|conn| {
            conn.prepare_cached(DEPTHS)?.query_row(
                params![now, first_delay_ms, Plan::Business.as_str()],
                |row| {
                    let count = |i: usize| row.get::<_, i64>(i).map(|n| n.max(0) as u64);
                    Ok(QueueDepths {
                        due_posts: count(0)?,
                        undispatched_events: count(1)?,
                        pending_messages: count(2)?,
                        due_messages: count(3)?,
                    })
                },
            )
        })
    }
}
