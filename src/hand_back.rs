//! Work this process holds under a lease (a post being sent to LinkedIn, a webhook message
//! being delivered), so that a graceful shutdown can wait a little for it and then hand back
//! what is still unfinished: another instance takes it at once instead of when the lease ends.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;

/// What is held: each item's key and the claim that holds it.
pub struct InFlight<K> {
    held: Mutex<HashMap<K, String>>,
    changed: Notify,
}

impl<K: Eq + Hash + Clone> Default for InFlight<K> {
    fn default() -> Self {
        Self {
            held: Mutex::new(HashMap::new()),
            changed: Notify::new(),
        }
    }
}

/// One held item; dropping it (the work ended, however) lets go of it.
pub struct Held<'a, K: Eq + Hash + Clone> {
    in_flight: &'a InFlight<K>,
    key: K,
}

impl<K: Eq + Hash + Clone> Drop for Held<'_, K> {
    fn drop(&mut self) {
        self.in_flight.held.lock().remove(&self.key);
        self.in_flight.changed.notify_waiters();
    }
}

impl<K: Eq + Hash + Clone> InFlight<K> {
    /// Records that `claim` holds `key` until the returned guard is dropped.
    pub fn hold(&self, key: K, claim: &str) -> Held<'_, K> {
        self.held.lock().insert(key.clone(), claim.to_owned());
        Held {
            in_flight: self,
            key,
        }
    }

    /// Waits until nothing is held or `grace` has passed; what is still held then.
    pub async fn wait_idle(&self, grace: Duration) -> Vec<(K, String)> {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let changed = self.changed.notified();
            let left: Vec<(K, String)> = self
                .held
                .lock()
                .iter()
                .map(|(k, c)| (k.clone(), c.clone()))
                .collect();
            if left.is_empty() || tokio::time::Instant::now() >= deadline {
                return left;
            }
            let _ = tokio::time::timeout_at(deadline, changed).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::InFlight;

    #[tokio::test]
    async fn what_ends_within_the_grace_is_not_handed_back() {
        let in_flight = Arc::new(InFlight::<u32>::default());
        let held = in_flight.hold(1, "claim-a");
        let waiting = {
            let in_flight = in_flight.clone();
            tokio::spawn(async move { in_flight.wait_idle(Duration::from_secs(30)).await })
        };
        tokio::task::yield_now().await;
        drop(held);
        assert!(waiting.await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn what_is_still_held_after_the_grace_is_listed() {
        let in_flight = InFlight::<u32>::default();
        let _held = in_flight.hold(7, "claim-b");
        let left = in_flight.wait_idle(Duration::from_millis(20)).await;
        assert_eq!(left, vec![(7, "claim-b".to_owned())]);
    }
}
