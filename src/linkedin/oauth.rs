//! Connecting a member: the authorization URL, the code exchange (OAuth 2.0 three-legged flow)
//! and who the member is (OpenID Connect userinfo).

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;

use super::client::LinkedInClient;
use super::error::LinkedInError;
use super::secret::AccessToken;
use super::urn::encode_component;

/// The scopes we ask for: sign-in (`openid profile`), posting (`w_member_social`, the
/// "Share on LinkedIn" product) and post analytics (`r_member_postAnalytics`).
pub const REQUESTED_SCOPES: [&str; 4] = ["openid", "profile", SHARE_SCOPE, ANALYTICS_SCOPE];
/// The scope without which we cannot publish.
pub const SHARE_SCOPE: &str = "w_member_social";
/// The scope without which analytics cannot sync.
pub const ANALYTICS_SCOPE: &str = "r_member_postAnalytics";

/// The scopes LinkedIn granted, from the token answer's `scope`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parses LinkedIn's comma-separated list; spaces separate too.
    pub fn parse(text: &str) -> Self {
        Self(
            text.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// Whether `scope` was granted.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    /// Whether the member may be posted for.
    pub fn can_share(&self) -> bool {
        self.contains(SHARE_SCOPE)
    }

    /// Whether post analytics can be read.
    pub fn can_read_analytics(&self) -> bool {
        self.contains(ANALYTICS_SCOPE)
    }

    /// The granted scopes, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iter().collect::<Vec<_>>().join(","))
    }
}

/// A successful code exchange; `Debug` hides the token.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// The member's access token.
    pub access_token: AccessToken,
    /// How long the token lives from now (LinkedIn: 60 days).
    pub expires_in: Duration,
    /// What LinkedIn granted, which may be less than we asked for.
    pub scopes: Scopes,
}

/// The token endpoint's answer. No `Debug`: it holds the token in clear.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
    #[serde(default)]
    scope: String,
}

/// Who the member is, from `/v2/userinfo`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserInfo {
    /// The member's id; posts are authored by `urn:li:person:{sub}`.
    pub sub: String,
    /// The member's full name.
    #[serde(default)]
    pub name: String,
    /// The profile picture's URL, when the member has one.
    #[serde(default)]
    pub picture: Option<String>,
}

impl LinkedInClient {
    /// Where to send the member's browser to connect: LinkedIn's consent page, which comes back
    /// to `redirect_uri` with `code` and `state` (or `error` and `state`).
    pub fn authorization_url(&self, redirect_uri: &str, state: &str) -> String {
        let params = [
            ("response_type", "code"),
            ("client_id", self.config().client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("scope", &REQUESTED_SCOPES.join(" ")),
        ];
        // Percent-encoding (`%20`, not `+`): LinkedIn documents the scope list as URL-encoded
        // and space-delimited.
        let query = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect::<Vec<_>>()
            .join("&");
        format!("{}/oauth/v2/authorization?{query}", self.config().auth_url)
    }

    /// Exchanges the authorization `code` (single-use, valid minutes) for an access token.
    /// `redirect_uri` must be the one the authorization URL carried.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<TokenGrant, LinkedInError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", self.config().client_id.as_str()),
            ("client_secret", self.config().client_secret.expose()),
        ];
        let request = self
            .auth_request(Method::POST, "/oauth/v2/accessToken")
            .form(&form);
        let response = self.send("exchange_code", request).await?;
        let body = response
            .bytes()
            .await
            .map_err(super::error::from_transport)?;
        // serde's message could quote the token, so it is not passed on.
        let answer: TokenAnswer =
            serde_json::from_slice(&body).map_err(|_| LinkedInError::Unexpected {
                reason: "the token answer is not the documented JSON".into(),
            })?;
        Ok(TokenGrant {
            access_token: AccessToken::new(answer.access_token),
            expires_in: Duration::from_secs(answer.expires_in),
            scopes: Scopes::parse(&answer.scope),
        })
    }

    /// The member behind `token` (needs the `openid` and `profile` scopes).
    pub async fn userinfo(&self, token: &AccessToken) -> Result<UserInfo, LinkedInError> {
        let request = self.api_request(Method::GET, "/v2/userinfo", token);
        let response = self.send("userinfo", request).await?;
        Self::json(response).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linkedin::{ClientConfig, ClientSecret};

    #[test]
    fn scopes_parse_commas_and_spaces() {
        let scopes = Scopes::parse("openid,profile, w_member_social r_member_postAnalytics");
        assert!(scopes.can_share());
        assert!(scopes.can_read_analytics());
        assert!(scopes.contains("openid"));
        assert_eq!(
            scopes.to_string(),
            "openid,profile,r_member_postAnalytics,w_member_social"
        );
        let partial = Scopes::parse("openid,profile");
        assert!(!partial.can_share());
        assert!(!partial.can_read_analytics());
        assert_eq!(Scopes::parse("").iter().count(), 0);
    }

    #[test]
    fn the_authorization_url_is_percent_encoded() {
        let mut config = ClientConfig::new("client id&1", ClientSecret::new("x"));
        config.auth_url = "https://auth.example/".into();
        let client = LinkedInClient::new(config).unwrap();
        let url = client.authorization_url("https://app.example/cb?x=1", "s t&=");
        assert_eq!(
            url,
            "https://auth.example/oauth/v2/authorization?response_type=code\
             &client_id=client%20id%261\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1\
             &state=s%20t%26%3D\
             &scope=openid%20profile%20w_member_social%20r_member_postAnalytics"
        );
    }
}
