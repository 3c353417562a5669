//! Standard Webhooks signatures: an endpoint's secret (`whsec_…`) and the `v1,` HMAC-SHA256
//! signature of one message, which receivers check with any Standard Webhooks library.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;

/// The prefix that marks a Standard Webhooks secret.
const PREFIX: &str = "whsec_";

/// The fewest and most bytes a secret may decode to: the specification asks for 24 to 64.
const MIN_BYTES: usize = 24;
const MAX_BYTES: usize = 64;

/// An endpoint's signing secret, as raw bytes; its `Debug` never shows them.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

/// Why a text is not a signing secret (the API user's words).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    /// Not standard base64 after the optional `whsec_`.
    #[error("the secret must be base64 text, optionally after \"whsec_\"")]
    NotBase64,
    /// Too short to be safe, or longer than receivers accept.
    #[error("the secret must decode to between 24 and 64 bytes, not {0}")]
    Length(usize),
}

impl Secret {
    /// A new secret: 32 bytes from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = vec![0; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Reads a secret as receivers are given it, with or without the `whsec_` prefix.
    pub fn from_whsec(text: &str) -> Result<Self, SecretError> {
        let encoded = text.strip_prefix(PREFIX).unwrap_or(text);
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| SecretError::NotBase64)?;
        if !(MIN_BYTES..=MAX_BYTES).contains(&bytes.len()) {
            return Err(SecretError::Length(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// The form receivers are given: `whsec_` and the bytes in standard base64.
    pub fn to_whsec(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.0))
    }
}

impl std::fmt::Debug for Secret {
    /// Redacted: a secret must not reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The `webhook-signature` header's value for one message: `v1,` and the base64 HMAC-SHA256 of
/// `{msg_id}.{timestamp}.{body}`, keyed with the secret's bytes.
pub fn signature(secret: &Secret, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&secret.0).expect("HMAC takes a key of any length");
    mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    use reqwest::header::{HeaderMap, HeaderValue};
    use standardwebhooks::Webhook;

    fn headers(msg_id: &str, timestamp: i64, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut set = |name, value: &str| {
            headers.insert(name, HeaderValue::from_str(value).unwrap());
        };
        set("webhook-id", msg_id);
        set("webhook-timestamp", &timestamp.to_string());
        set("webhook-signature", signature);
        headers
    }

    /// The official library checks the timestamp against the real clock.
    fn now_unix() -> i64 {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        i64::try_from(since_epoch.as_secs()).unwrap()
    }

    #[test]
    fn the_official_library_verifies_our_signature_and_refuses_a_tampered_body() {
        let secret = Secret::generate();
        let receiver = Webhook::new(&secret.to_whsec()).unwrap();
        let body = br#"{"type":"post.published","data":{"id":"p_1","text":"caf\u00e9 \u2713"}}"#;
        let now = now_unix();
        let signed = signature(&secret, "msg_2bNmKs", now, body);

        receiver
            .verify(body, &headers("msg_2bNmKs", now, &signed))
            .expect("a receiver accepts what we signed");

        let tampered =
            br#"{"type":"post.published","data":{"id":"p_2","text":"caf\u00e9 \u2713"}}"#;
        assert!(receiver
            .verify(tampered, &headers("msg_2bNmKs", now, &signed))
            .is_err());
        assert!(receiver
            .verify(body, &headers("msg_other", now, &signed))
            .is_err());
        let other_secret = Webhook::new(&Secret::generate().to_whsec()).unwrap();
        assert!(other_secret
            .verify(body, &headers("msg_2bNmKs", now, &signed))
            .is_err());
    }

    #[test]
    fn a_published_example_gives_its_published_signature() {
        // The worked example of Svix's manual verification guide, the scheme Standard Webhooks took.
        let secret = Secret::from_whsec("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            signature(
                &secret,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_secret_reads_back_with_or_without_its_prefix() {
        let secret = Secret::generate();
        let whsec = secret.to_whsec();
        assert!(whsec.starts_with("whsec_"));
        assert_eq!(STANDARD.decode(&whsec[6..]).unwrap().len(), 32);
        assert_eq!(Secret::from_whsec(&whsec).unwrap().to_whsec(), whsec);
        assert_eq!(Secret::from_whsec(&whsec[6..]).unwrap().to_whsec(), whsec);
        assert_ne!(Secret::generate().to_whsec(), whsec);
    }

    #[test]
    fn a_secret_of_the_wrong_size_or_not_base64_is_refused() {
        let encoded = |n: usize| format!("whsec_{}", STANDARD.encode(vec![7; n]));
        assert!(Secret::from_whsec(&encoded(24)).is_ok());
        assert!(Secret::from_whsec(&encoded(64)).is_ok());
        assert_eq!(
            Secret::from_whsec(&encoded(23)).unwrap_err(),
            SecretError::Length(23)
        );
        assert_eq!(
            Secret::from_whsec(&encoded(65)).unwrap_err(),
            SecretError::Length(65)
        );
        assert_eq!(
            Secret::from_whsec("whsec_not base64!").unwrap_err(),
            SecretError::NotBase64
        );
        assert_eq!(
            SecretError::Length(3).to_string(),
            "the secret must decode to between 24 and 64 bytes, not 3"
        );
    }

    #[test]
    fn debug_does_not_show_the_secret() {
        let secret = Secret::generate();
        let shown = format!("{secret:?}");
        assert_eq!(shown, "Secret(<redacted>)");
        assert!(!shown.contains(&secret.to_whsec()[6..]));
    }
}
