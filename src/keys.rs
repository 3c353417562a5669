//! The API key format: generation from OS randomness, the checksum that catches typos, and the
//! hash that is stored. No HTTP here: the CLI, the web app and the API all use it.

use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// Every key starts with this, so leaked keys are easy to find by secret scanners.
pub const KEY_PREFIX: &str = "lg_";
/// Characters of OS randomness in a key (62^32 ≈ 2^190).
const RANDOM_LEN: usize = 32;
/// Characters of the base62 CRC-32 checksum at the end of a key.
const CHECKSUM_LEN: usize = 6;
/// The full length of a key.
pub const KEY_LEN: usize = KEY_PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
/// How much of a key is kept for display (`lg_` and the first 8 random characters).
const DISPLAY_LEN: usize = KEY_PREFIX.len() + 8;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A freshly generated key: the secret (shown once) and what may be stored.
pub struct GeneratedKey {
    /// The full secret; never stored.
    pub secret: String,
    /// The first characters, for display.
    pub prefix: String,
    /// SHA-256 of the secret, hex.
    pub hash: String,
}

/// Generates a key from OS randomness: `lg_` + 32 base62 characters + a 6-character checksum.
pub fn generate_key() -> GeneratedKey {
    let random = Alphanumeric.sample_string(&mut OsRng, RANDOM_LEN);
    let body = format!("{KEY_PREFIX}{random}");
    let secret = format!("{body}{}", checksum(&body));
    GeneratedKey {
        prefix: secret[..DISPLAY_LEN].to_owned(),
        hash: hash_key(&secret),
        secret,
    }
}

/// Whether `candidate` has the shape and checksum of a key; decided without the database.
pub fn is_well_formed(candidate: &str) -> bool {
    candidate.len() == KEY_LEN
        && candidate.starts_with(KEY_PREFIX)
        && candidate
            .bytes()
            .skip(KEY_PREFIX.len())
            .all(|b| b.is_ascii_alphanumeric())
        && {
            let (body, sum) = candidate.split_at(KEY_LEN - CHECKSUM_LEN);
            checksum(body) == sum
        }
}

/// The stored form of a key: SHA-256, hex. Keys carry 190 bits of entropy, so a fast hash is right.
pub fn hash_key(secret: &str) -> String {
    hex_sha256(secret.as_bytes())
}

/// SHA-256 of `bytes` as 64 lowercase hex digits. `hex::encode` builds its string a character
/// at a time; writing into a fixed buffer is several times faster, and this runs on every
/// authenticated request.
pub fn hex_sha256(bytes: &[u8]) -> String {
    let mut text = [0u8; 64];
    hex::encode_to_slice(Sha256::digest(bytes), &mut text).expect("64 digits for 32 bytes");
    String::from_utf8(text.to_vec()).expect("hex digits are ASCII")
}

fn checksum(body: &str) -> String {
    let mut n = crc32fast::hash(body.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("base62 is ASCII")
}

/// Random base62 characters after `prefix`, for ids without a type of their own (`idea_…`, claims).
pub fn random_id(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        Alphanumeric.sample_string(&mut rand::thread_rng(), 16)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let a = generate_key();
        let b = generate_key();
        assert!(is_well_formed(&a.secret), "{}", a.secret);
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), KEY_LEN);
        assert!(a.secret.starts_with(&a.prefix));
        assert_eq!(a.hash, hash_key(&a.secret));
    }

    #[test]
    fn a_mistyped_key_fails_the_checksum() {
        let key = generate_key().secret;
        let mut chars: Vec<char> = key.chars().collect();
        chars[10] = if chars[10] == 'a' { 'b' } else { 'a' };
        let typo: String = chars.into_iter().collect();
        assert!(!is_well_formed(&typo));
        assert!(!is_well_formed(&key[..KEY_LEN - 1]));
        assert!(!is_well_formed(&key.replace("lg_", "xx_")));
    }
}
