//! The signed-out forms' CSRF token (first run, sign in), signed so that only the server can
//! make one.
//!
//! Double submit alone trusts whatever the `lg_form` cookie holds, and someone who can plant
//! a cookie for this site (a sibling subdomain, a plain-HTTP hop) could plant a value of their
//! choosing and submit it in a form. So the token is `nonce.expiry.mac`: the MAC is
//! HMAC-SHA256 under a server secret kept in the database (the same for every instance and
//! across restarts), and a token is good until its expiry. A planted value that the server did
//! not make is refused.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::session::random_token;

type HmacSha256 = Hmac<Sha256>;

/// The secret's name in the store.
pub const SECRET_NAME: &str = "form_tokens";
/// How long a token is good for: a sign-in page left open over a working day still works.
const LIFETIME_MS: i64 = 12 * 60 * 60 * 1000;
/// A page load reuses the browser's token (so two open tabs agree) while it has more than this
/// left; after that it gets a new one, so a form just loaded always has an hour.
const MIN_LEFT_MS: i64 = 60 * 60 * 1000;

/// Makes and checks signed form tokens.
#[derive(Clone)]
pub struct FormTokens {
    key: Vec<u8>,
}

impl fmt::Debug for FormTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FormTokens { key: [redacted] }")
    }
}

impl FormTokens {
    /// Tokens signed with `key` (the server secret).
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    /// A new token, good until `now` + 12 hours.
    pub fn issue(&self, now: i64) -> String {
        let unsigned = format!("{}.{}", random_token(), now + LIFETIME_MS);
        let mac = hex::encode(self.mac(&unsigned).finalize().into_bytes());
        format!("{unsigned}.{mac}")
    }

    /// Whether the server made `token` and it is still good at `now`, with enough time left
    /// for a form loaded now.
    pub fn is_fresh(&self, token: &str, now: i64) -> bool {
        self.expiry(token)
            .is_some_and(|expires| expires - now > MIN_LEFT_MS)
    }

    /// Whether the server made `token` and it has not expired at `now`.
    pub fn is_valid(&self, token: &str, now: i64) -> bool {
        self.expiry(token).is_some_and(|expires| expires > now)
    }

    /// The expiry of a token the server made; `None` for anything else.
    fn expiry(&self, token: &str) -> Option<i64> {
        let (unsigned, mac) = token.rsplit_once('.')?;
        let (_nonce, expires) = unsigned.split_once('.')?;
        let mac = hex::decode(mac).ok()?;
        // Constant time: how much of a MAC matched must not show.
        self.mac(unsigned).verify_slice(&mac).ok()?;
        expires.parse().ok()
    }

    fn mac(&self, unsigned: &str) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        // Domain separation, should the secret ever sign anything else.
        mac.update(b"lg_form\0");
        mac.update(unsigned.as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unexpired_tokens_made_with_the_key_are_valid() {
        let tokens = FormTokens::new(b"a key".to_vec());
        let token = tokens.issue(1_000);
        assert!(tokens.is_valid(&token, 1_000));
        assert!(tokens.is_valid(&token, 1_000 + LIFETIME_MS - 1));
        assert!(!tokens.is_valid(&token, 1_000 + LIFETIME_MS));
        assert!(tokens.is_fresh(&token, 1_000 + LIFETIME_MS - MIN_LEFT_MS - 1));
        assert!(!tokens.is_fresh(&token, 1_000 + LIFETIME_MS - MIN_LEFT_MS));

        let other = FormTokens::new(b"another key".to_vec());
        assert!(!other.is_valid(&token, 1_000));
        // A longer life under the old MAC, a chosen value, garbage.
        let (unsigned, mac) = token.rsplit_once('.').unwrap();
        let nonce = unsigned.split_once('.').unwrap().0;
        let extended = format!("{nonce}.{}.{mac}", i64::MAX);
        for forged in [
            extended.as_str(),
            "forged-token-forged-token-forged-token-abcd",
            "a.b.c",
            "",
        ] {
            assert!(!tokens.is_valid(forged, 1_000), "{forged}");
        }
        assert!(!format!("{tokens:?}").contains("a key"));
    }
}
