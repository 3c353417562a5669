//! Passwords for the web app: argon2id hashes (PHC strings) and the rule for a new password.

use std::sync::OnceLock;

use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

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
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|err| anyhow::anyhow!("cannot hash a password: {err}"))
    })
    .await
    .context("the password hashing task failed")?
}

/// Whether `password` matches `hash`. Without a hash (no such user, or no password set) it
/// checks against a dummy hash, so the answer takes as long and reveals no account.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    let known = hash.is_some();
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let matches = PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        known && matches
    })
    .await
    .unwrap_or(false)
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
