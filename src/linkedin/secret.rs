//! Strings that must never reach a log: access tokens and the app's client secret.
//!
//! Each is its own type so that one cannot be passed where the other is meant, and neither has
//! `Display`: the only way to the text is a call to `expose`, easy to find in review.

use std::fmt;

/// What a redacted value prints as.
pub const REDACTED: &str = "<redacted>";

/// A member's OAuth access token.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

/// The LinkedIn app's client secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl AccessToken {
    /// Wraps a token (as read from LinkedIn's answer or decrypted from storage).
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself, for the `Authorization` header or for encryption at rest.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl ClientSecret {
    /// Wraps the secret from configuration.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the token request's form.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AccessToken").field(&REDACTED).finish()
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClientSecret").field(&REDACTED).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let token = AccessToken::new("AQX-secret-token");
        let secret = ClientSecret::new("WPL_AP1.client-secret");
        let shown = format!("{token:?} {secret:?} {token:#?} {secret:#?}");
        assert!(!shown.contains("secret-token"), "{shown}");
        assert!(!shown.contains("client-secret"), "{shown}");
        assert!(shown.contains(REDACTED));
        assert_eq!(token.expose(), "AQX-secret-token");
    }
}
