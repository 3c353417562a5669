//! What a user's LinkedIn connection looks like from outside: for the profile, the web page and
//! `linkedgrow linkedin status`.

use crate::domain::UserId;
use crate::store::publishing::LinkedInAccount;

/// From this long before the token expires, the member is asked to reconnect.
pub const RECONNECT_BEFORE_MS: i64 = 7 * 24 * 3_600_000;

/// The state of a user's connection at some moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionStatus {
    pub connected: bool,
    pub name: Option<String>,
    pub member_urn: Option<String>,
    pub picture_url: Option<String>,
    pub token_expires_at: Option<i64>,
    /// LinkedIn refused the token, or it expires within 7 days (or has).
    pub needs_reconnect: bool,
    /// The token has expired: nothing is sent to LinkedIn.
    pub expired: bool,
    /// LinkedIn did not grant `r_member_postAnalytics`: analytics will not sync.
    pub analytics_granted: bool,
}

impl ConnectionStatus {
    /// The status of `account` (or of no connection) at `now` (Unix ms).
    pub fn of(account: Option<&LinkedInAccount>, now: i64) -> Self {
        let Some(account) = account else {
            return Self {
                connected: false,
                name: None,
                member_urn: None,
                picture_url: None,
                token_expires_at: None,
                needs_reconnect: false,
                expired: false,
                analytics_granted: false,
            };
        };
        let expired = account.token_expires_at.is_some_and(|at| at <= now);
        let expiring = account
            .token_expires_at
            .is_some_and(|at| at - now <= RECONNECT_BEFORE_MS);
        Self {
            connected: true,
            name: Some(account.member_name.clone()),
            member_urn: Some(member_urn(&account.member_sub)),
            picture_url: account.picture_url.clone(),
            token_expires_at: account.token_expires_at,
            needs_reconnect: account.needs_reconnect || expiring,
            expired,
            analytics_granted: has_scope(&account.scopes, "r_member_postAnalytics"),
        }
    }
}

/// The member's person URN, the author of their posts.
pub fn member_urn(sub: &str) -> String {
    format!("urn:li:person:{sub}")
}

/// Whether LinkedIn's `scope` answer (comma- or space-separated) names `scope`.
pub fn has_scope(granted: &str, scope: &str) -> bool {
    granted.split([',', ' ']).map(str::trim).any(|s| s == scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granted_scopes_are_read_with_commas_or_spaces() {
        assert!(has_scope(
            "openid,profile,w_member_social",
            "w_member_social"
        ));
        assert!(has_scope(
            "openid profile w_member_social",
            "w_member_social"
        ));
        assert!(has_scope("openid, w_member_social", "w_member_social"));
        assert!(!has_scope("openid,profile", "w_member_social"));
        assert!(!has_scope("w_member_socialx", "w_member_social"));
    }
}

/// Why a member could not be connected.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// LinkedIn did not grant `w_member_social`: the app lacks the product.
    #[error(
        "LinkedIn did not grant permission to post (w_member_social): add the \"Share on \
         LinkedIn\" product to the LinkedIn app, then connect again"
    )]
    CannotPost,
    /// LinkedIn refused the token or the exchange.
    #[error(transparent)]
    LinkedIn(#[from] crate::linkedin::LinkedInError),
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl super::Publisher {
    /// Connects `token` (granted `scopes`, valid for `expires_in` seconds if LinkedIn said) as
    /// the user's member: asks LinkedIn who it belongs to (which also proves LinkedIn accepts
    /// it), then stores it encrypted, replacing any earlier connection.
    pub async fn connect_member(
        &self,
        user_id: &UserId,
        token: &crate::linkedin::AccessToken,
        expires_in: Option<std::time::Duration>,
        scopes: &crate::linkedin::Scopes,
    ) -> Result<LinkedInAccount, ConnectError> {
        if !scopes.can_share() {
            return Err(ConnectError::CannotPost);
        }
        let member = self.linkedin.userinfo(token).await?;
        let now = self.now_ms();
        let token_sealed = self.seal(user_id, token);
        let account = LinkedInAccount {
            user_id: user_id.clone(),
            member_sub: member.sub,
            member_name: member.name,
            picture_url: member.picture,
            token_sealed,
            token_expires_at: expires_in
                .map(|d| now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))),
            scopes: scopes.iter().collect::<Vec<_>>().join(","),
            needs_reconnect: false,
            connected_at: now,
            updated_at: now,
        };
        self.store.save_linkedin_account(&account).await?;
        Ok(account)
    }
}
