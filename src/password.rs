//! Passwords for the web app: argon2id hashes (PHC strings), the rule for a new password, and
//! the bound on how much password work the server does at once.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Shortest password accepted (NIST SP 800-63B's minimum for user-chosen secrets).
pub const MIN_CHARS: usize = 8;
/// Longest password accepted, so hashing cost stays bounded.
pub const MAX_CHARS: usize = 256;

/// A password someone chose: `MIN_CHARS`–`MAX_CHARS` characters, nothing else imposed.
pub fn parse_new_password(password: &str) -> Result<String, String> {
    match password.chars().count() {
        n if n < MIN_CHARS => Err(format!(
            "use at least {MIN_CHARS} characters (this one has {n})"
        )),
        n if n > MAX_CHARS => Err(format!("use at most {MAX_CHARS} characters")),
        _ => Ok(password.to_owned()),
    }
}

/// The argon2id hash of `password` with a fresh salt (OWASP's default cost: 19 MiB, 2 passes).
/// Runs on the blocking pool: one hash takes tens of milliseconds of CPU.
/// Unbounded: for the command line; the server goes through [`PasswordWork`].
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .context("the password hashing task failed")?
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| anyhow::anyhow!("cannot hash a password: {err}"))
}

/// Whether `password` matches `hash`. Without a hash (no such user, or no password set) it
/// checks against a dummy hash, so the answer takes as long and reveals no account.
/// Unbounded: for the command line; the server goes through [`PasswordWork`].
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify_now(&password, hash))
        .await
        .unwrap_or(false)
}

fn verify_now(password: &str, hash: Option<String>) -> bool {
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
    let matches = PasswordHash::new(&hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    });
    known && matches
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"no account has this password", &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

/// How long a request waits for its turn at password work before it is turned away: long
/// enough to ride out a short queue on a slow or loaded machine.
const MAX_WAIT: Duration = Duration::from_secs(5);
/// Requests that may wait for a turn, per turn; beyond that the next one is turned away at
/// once. A full queue drains in well under a second on an idle core.
const WAITING_PER_TURN: usize = 16;
/// What a turned-away request is told to wait, in seconds.
pub const BUSY_RETRY_AFTER_SECS: u64 = 2;

/// The server has as much password work under way and waiting as it takes; try again in
/// [`BUSY_RETRY_AFTER_SECS`].
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("too many password checks at once")]
pub struct Busy;

/// Why the server could not hash a password.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// The server's password hashing and checking, a few at a time.
///
/// Each argon2id run takes 19 MiB and a core for tens of milliseconds, and needs no account:
/// unknown emails are checked against a dummy hash. Unbounded, 96 simultaneous sign-ins took
/// the server to 1.9 GiB. The work is CPU-bound, so running more at once than there are cores
/// adds memory and latency but no throughput. So one turn per core runs at a time, at least 2
/// and at most 4, which caps argon2's memory at 76 MiB on any machine and still allows dozens of
/// checks a second, far above any real sign-in rate. Others wait up to [`MAX_WAIT`] in a
/// bounded queue, and are otherwise turned away with [`Busy`].
#[derive(Debug)]
pub struct PasswordWork {
    permits: Arc<Semaphore>,
    max_waiting: usize,
    waiting: AtomicUsize,
    checks: AtomicU64,
}

impl PasswordWork {
    /// `turns` runs at once.
    pub fn new(turns: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(turns)),
            max_waiting: turns * WAITING_PER_TURN,
            waiting: AtomicUsize::new(0),
            checks: AtomicU64::new(0),
        }
    }

    /// One turn per core this process may use, at least 2 and at most 4.
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new(cores.clamp(2, 4))
    }

    /// How many password checks have begun since start (a figure for tests and operators).
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// Whether `password` matches `hash`, as [`verify_password`] answers it, when a turn is free.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, Busy> {
        let turn = self.turn().await?;
        self.checks.fetch_add(1, Ordering::Relaxed);
        Ok(run_holding(turn, move || verify_now(&password, hash))
            .await
            .unwrap_or(false))
    }

    /// The argon2id hash of `password`, as [`hash_password`] makes it, when a turn is free.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let turn = self.turn().await?;
        let hash = run_holding(turn, move || hash_now(&password))
            .await
            .context("the password hashing task failed")??;
        Ok(hash)
    }

    async fn turn(&self) -> Result<OwnedSemaphorePermit, Busy> {
        if let Ok(turn) = Arc::clone(&self.permits).try_acquire_owned() {
            return Ok(turn);
        }
        let _waiting = Waiting::join(&self.waiting, self.max_waiting)?;
        match tokio::time::timeout(MAX_WAIT, Arc::clone(&self.permits).acquire_owned()).await {
            Ok(Ok(turn)) => Ok(turn),
            _ => Err(Busy),
        }
    }
}

/// Runs `work` on the blocking pool; the turn is held until the work ends, also if the
/// request that asked for it is dropped meanwhile.
async fn run_holding<T: Send + 'static>(
    turn: OwnedSemaphorePermit,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        work()
    })
    .await
}

/// A place in the queue for a turn, given up when dropped (a request can be dropped while it waits).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn join(waiting: &'a AtomicUsize, max: usize) -> Result<Self, Busy> {
        let before = waiting.fetch_add(1, Ordering::Relaxed);
        let place = Self(waiting);
        if before >= max {
            return Err(Busy);
        }
        Ok(place)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_turns_requests_away_and_frees_its_places() {
        let work = PasswordWork::new(1);
        let held = Arc::clone(&work.permits).try_acquire_owned().unwrap();
        let waiters: Vec<_> = (0..WAITING_PER_TURN)
            .map(|_| Waiting::join(&work.waiting, work.max_waiting).unwrap())
            .collect();
        assert!(matches!(work.verify("x".into(), None).await, Err(Busy)));
        drop(waiters);
        drop(held);
        assert_eq!(work.waiting.load(Ordering::Relaxed), 0);
        assert!(!work.verify("x".into(), None).await.unwrap());
        assert_eq!(work.checks(), 1);
    }
}
