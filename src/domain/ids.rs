//! The ids that cross the store boundary, each its own type so that a user id cannot be passed
//! where a post id is expected. An id from a URL is looked up, not validated: an unknown one is a
//! `NotFound`, so parsing always succeeds.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use rand::distributions::{Alphanumeric, DistString};

/// Characters of randomness after an id's prefix (62^16 ≈ 2^95).
const RANDOM_LEN: usize = 16;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(
            Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh id: the prefix and random base62 characters.
            pub fn generate() -> Self {
                Self(format!(
                    "{}{}",
                    $prefix,
                    Alphanumeric.sample_string(&mut rand::thread_rng(), RANDOM_LEN)
                ))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// As the bare string, so log lines read as they did before ids had types.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = Infallible;

            fn from_str(id: &str) -> Result<Self, Infallible> {
                Ok(Self(id.to_owned()))
            }
        }
    };
}

id_type!(
    /// An account's id (`usr_…`).
    UserId,
    "usr_"
);
id_type!(
    /// A post's id (`post_…`).
    PostId,
    "post_"
);
id_type!(
    /// An API key's id (`key_…`).
    KeyId,
    "key_"
);

id_type!(
    /// A webhook subscription's id (`wh_…`).
    WebhookId,
    "wh_"
);
id_type!(
    /// An event's id (`msg_…`): the `webhook-id` header, the same on every retry.
    EventId,
    "msg_"
);
id_type!(
    /// One delivery attempt's id (`dlv_…`).
    DeliveryId,
    "dlv_"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_their_prefix_and_differ() {
        let a = PostId::generate();
        assert!(a.as_str().starts_with("post_"), "{a}");
        assert_eq!(a.as_str().len(), "post_".len() + RANDOM_LEN);
        assert_ne!(a, PostId::generate());
        assert!(UserId::generate().as_str().starts_with("usr_"));
        assert!(KeyId::generate().as_str().starts_with("key_"));
    }

    #[test]
    fn an_id_serializes_as_a_plain_string() {
        let id = KeyId::from("key_abc");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"key_abc\"");
        assert_eq!(id.to_string(), "key_abc");
    }
}
