//! Types that parse and validate what clients send, shared by handlers and background work.

pub mod analytics;
pub mod idea;
pub mod ids;
pub mod plan;
pub mod post;
pub mod scope;
pub mod time;
pub mod webhook;

pub use ids::{DeliveryId, EventId, KeyId, PostId, UserId, WebhookId};
pub use plan::Plan;
pub use scope::{Scope, Scopes};

/// A regular expression that matches any character that is not whitespace, written out (as the characters
/// themselves, not escapes) so that every dialect (ECMA-262 in the OpenAPI document, Python, Rust) reads it the same way: the
/// class is exactly Unicode's `White_Space`, which is what `char::is_whitespace` and `str::trim`
/// use. A string is "not blank" when it contains one such character.
pub const NOT_BLANK_PATTERN: &str =
    "[^\t-\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]";

/// Whether `s` is empty or only whitespace.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}
