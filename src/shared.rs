//! The connection to Redis, where several instances keep what they must agree on: rate limits,
//! sign-in throttling and one-time form ids (`LINKEDGROW_REDIS_URL`).
//!
//! Timeouts are short on purpose. Whatever asks Redis fails closed when it does not answer
//! (a 503, never an unlimited request), so a dead or frozen Redis must cost a request a
//! fraction of a second and an error, not a hang. The connection comes back by itself: each
//! failed exchange starts one new connection attempt in the background, which the next
//! request waits for (at most the connect timeout).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How long a connection attempt may take; Redis on the same network answers in well under a
/// millisecond.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long one command may wait for its answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);
/// The bound on a whole exchange, reconnecting included, whatever the client library does.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(1);
/// The `Retry-After` of the 503s sent while Redis does not answer: the next attempt to
/// reconnect is already under way.
pub const RETRY_AFTER_SECS: u64 = 1;

/// Where Redis is: `redis://[:password@]host[:port][/db]`.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl std::str::FromStr for RedisUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        if url.starts_with("rediss://") {
            return Err(
                "rediss:// (Redis over TLS) is not supported yet; reach Redis over a \
                 private network with redis://HOST:PORT"
                    .into(),
            );
        }
        if !url.starts_with("redis://") {
            return Err(format!(
                "unsupported Redis URL {:?}; expected redis://HOST[:PORT][/DB]",
                Self(url.to_owned())
            ));
        }
        redis::Client::open(url).map_err(|err| format!("invalid Redis URL: {err}"))?;
        Ok(Self(url.to_owned()))
    }
}

impl fmt::Debug for RedisUrl {
    /// Without a password: configurations end up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("redacted"));
                }
                write!(f, "{url}")
            }
            Err(_) => f.write_str("<unparsable Redis URL>"),
        }
    }
}

/// Redis did not answer (refused, timed out, or answered with an error): the caller fails
/// closed.
#[derive(Debug, thiserror::Error)]
#[error("Redis does not answer: {0}")]
pub struct Unavailable(String);

/// A handle on Redis, cheap to clone; every clone shares one multiplexed connection.
#[derive(Clone)]
pub struct Redis {
    manager: ConnectionManager,
    /// Whether the last exchange failed, so an outage is logged once, not once per request.
    down: Arc<AtomicBool>,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redis")
    }
}

impl Redis {
    /// A handle on the Redis at `url`. It connects on first use, so a server starts (and says
    /// it is not ready) while Redis is still coming up.
    pub fn open(url: &RedisUrl) -> anyhow::Result<Self> {
        let client = redis::Client::open(url.0.as_str())?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            // One attempt per reconnection: requests must not queue behind a backoff.
            .set_number_of_retries(0);
        let manager = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Self {
            manager,
            down: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Runs one exchange on the shared connection, within [`EXCHANGE_TIMEOUT`].
    pub async fn exchange<T, F>(
        &self,
        work: impl FnOnce(ConnectionManager) -> F,
    ) -> Result<T, Unavailable>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let outcome = match tokio::time::timeout(EXCHANGE_TIMEOUT, work(self.manager.clone())).await
        {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(Unavailable(err.to_string())),
            Err(_) => Err(Unavailable(format!(
                "no answer within {} ms",
                EXCHANGE_TIMEOUT.as_millis()
            ))),
        };
        match &outcome {
            Ok(_) => {
                if self.down.swap(false, Ordering::Relaxed) {
                    tracing::info!("Redis answers again");
                }
            }
            Err(err) => {
                if !self.down.swap(true, Ordering::Relaxed) {
                    tracing::error!(
                        error = %err,
                        "Redis does not answer: API requests and sign-ins get 503 until it does"
                    );
                }
            }
        }
        outcome
    }

    /// Whether Redis answers a `PING`.
    pub async fn ping(&self) -> Result<(), Unavailable> {
        self.exchange(|mut conn| async move {
            redis::cmd("PING").query_async::<String>(&mut conn).await
        })
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_their_password_is_not_shown() {
        let url: RedisUrl = "redis://:s3cret@cache.internal:6380/2".parse().unwrap();
        let shown = format!("{url:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("cache.internal:6380"), "{shown}");
        for wrong in ["http://x", "rediss://x:6379", "cache:6379"] {
            assert!(wrong.parse::<RedisUrl>().is_err(), "{wrong}");
        }
    }
}
