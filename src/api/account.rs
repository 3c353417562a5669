//! `/api/v1/profile` and `/api/v1/keys/current`: who the key belongs to, and which key it is.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::admin::KeyView;
use crate::api::auth::{ApiKey, ProfileRead, Scoped};
use crate::api::error::{ApiError, AppJson};
use crate::domain::time::rfc3339;
use crate::publisher::connection::ConnectionStatus;
use crate::AppState;

/// The key owner's account.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(examples(json!({
    "id": "usr_a8Kd02LmQz7Xw1Pc", "name": "Ada Lovelace", "email": "ada@example.com",
    "plan": "business", "timezone": "Europe/London", "linkedinConnected": true,
    "linkedin": {"connected": true, "name": "Ada Lovelace", "memberUrn": "urn:li:person:782bbtaQ",
                 "tokenExpiresAt": "2026-03-06T09:00:00Z", "needsReconnect": false},
    "createdAt": "2026-01-05T09:00:00Z"
})))]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub email: String,
    #[schema(value_type = PlanName)]
    pub plan: &'static str,
    /// An IANA timezone name such as `Europe/Berlin` (set with `linkedgrow users set-timezone`).
    pub timezone: String,
    /// Whether a LinkedIn account is connected for publishing.
    pub linkedin_connected: bool,
    /// The connected LinkedIn member.
    pub linkedin: LinkedInView,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// The LinkedIn member posts are published as.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkedInView {
    pub connected: bool,
    /// The member's name; `null` when not connected.
    pub name: Option<String>,
    /// `urn:li:person:…`; `null` when not connected.
    pub member_urn: Option<String>,
    /// When LinkedIn's token ends (RFC 3339, UTC); after it nothing is sent until the member
    /// reconnects. `null` when not connected or not known.
    #[schema(format = DateTime)]
    pub token_expires_at: Option<String>,
    /// True when LinkedIn refused the token, or it expires within 7 days: reconnect in
    /// Settings › LinkedIn.
    pub needs_reconnect: bool,
}

impl From<ConnectionStatus> for LinkedInView {
    fn from(status: ConnectionStatus) -> Self {
        Self {
            connected: status.connected,
            name: status.name,
            member_urn: status.member_urn,
            token_expires_at: status.token_expires_at.map(rfc3339),
            needs_reconnect: status.needs_reconnect,
        }
    }
}

/// A subscription plan.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum PlanName {
    Free,
    Pro,
    Business,
}

/// Read the profile
#[utoipa::path(
    get, path = "/api/v1/profile", tag = "Account", operation_id = "getProfile",
    responses((status = 200, description = "The key owner's profile.", body = Profile)),
    security(("bearer" = ["profile:read"]))
)]
pub async fn profile(
    State(app): State<AppState>,
    key: Scoped<ProfileRead>,
) -> Result<AppJson<Profile>, ApiError> {
    read_profile(&app, &key).await.map(AppJson)
}

/// The key owner's account and LinkedIn connection.
pub async fn read_profile(app: &AppState, key: &Scoped<ProfileRead>) -> Result<Profile, ApiError> {
    let user = app.store.user_by_id(&key.user_id).await?;
    let account = app.store.linkedin_account(&key.user_id).await?;
    let linkedin = ConnectionStatus::of(account.as_ref(), app.clock.now().timestamp_millis());
    Ok(Profile {
        id: user.id.into(),
        name: user.name,
        email: user.email,
        plan: user.plan.as_str(),
        timezone: user.timezone,
        linkedin_connected: linkedin.connected,
        linkedin: linkedin.into(),
        created_at: rfc3339(user.created_at),
    })
}

/// Describe the calling key
///
/// The key making the request: allowed for every valid key, whatever its scopes. Automation
/// platforms call it to test a connection and to label it.
#[utoipa::path(
    get, path = "/api/v1/keys/current", tag = "Account", operation_id = "getCurrentKey",
    responses((status = 200, description = "The calling key (never its secret).", body = KeyView)),
    security(("bearer" = []))
)]
pub async fn current_key(
    State(app): State<AppState>,
    key: ApiKey,
) -> Result<AppJson<KeyView>, ApiError> {
    let record = app.store.key_by_id(&key.id).await?;
    Ok(AppJson(KeyView::from(&record)))
}
