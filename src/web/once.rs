//! Forms that must take effect once: a reloaded "create key" response page re-sends its form,
//! which must not mint a second key. Each such form carries a random id; the first submission
//! claims it, and it is remembered for a day. In memory a restart forgets them, which at worst
//! allows one duplicate key that the owner can see and revoke; with Redis every instance sees
//! every claim, so a form re-sent through another instance is caught too.

use std::collections::HashMap;

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::shared::{Redis, Unavailable};

/// How long a claimed form id is remembered.
const REMEMBER_MS: i64 = 24 * 60 * 60 * 1000;

/// The ids of forms already submitted.
#[derive(Debug)]
pub enum SubmittedForms {
    /// In this process's memory, with when each was claimed.
    Memory(Mutex<HashMap<String, i64>>),
    /// In Redis, as `lg:form:<hash of the id>` keys that expire after a day.
    Shared(Redis),
}

impl Default for SubmittedForms {
    fn default() -> Self {
        Self::Memory(Mutex::default())
    }
}

impl SubmittedForms {
    /// Claims kept in `redis`, seen by every instance that uses it.
    pub fn shared(redis: Redis) -> Self {
        Self::Shared(redis)
    }

    /// Claims `form_id` at `now`; false if it was claimed before. With Redis, an error when it
    /// does not answer: the form must not take effect unclaimed.
    pub async fn claim(&self, form_id: &str, now: i64) -> Result<bool, Unavailable> {
        match self {
            Self::Memory(claimed) => {
                let mut claimed = claimed.lock();
                claimed.retain(|_, at| now - *at < REMEMBER_MS);
                Ok(claimed.insert(form_id.to_owned(), now).is_none())
            }
            Self::Shared(redis) => {
                // Hashed: the id comes from the client, so its length is not ours to choose.
                let key = format!(
                    "lg:form:{}",
                    hex::encode(&Sha256::digest(form_id.as_bytes())[..16])
                );
                redis
                    .exchange(|mut conn| async move {
                        redis::cmd("SET")
                            .arg(key)
                            .arg(1)
                            .arg("NX")
                            .arg("PX")
                            .arg(REMEMBER_MS)
                            .query_async::<Option<String>>(&mut conn)
                            .await
                    })
                    .await
                    .map(|set| set.is_some())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_form_id_is_claimed_once() {
        let forms = SubmittedForms::default();
        assert!(forms.claim("a", 0).await.unwrap());
        assert!(!forms.claim("a", 1).await.unwrap());
        assert!(forms.claim("b", 1).await.unwrap());
    }
}
