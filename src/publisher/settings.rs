//! The operator's settings for publishing: LinkedIn's app credentials and addresses, the
//! public address of this server, the key of tokens at rest. Flags of `serve` (and of the
//! `linkedin` admin commands) or `LINKEDGROW_*` environment variables.

use clap::Args;

use crate::linkedin::config::{DEFAULT_API_URL, DEFAULT_AUTH_URL, DEFAULT_VERSION};

/// How often analytics are synced by default: every six hours.
pub const DEFAULT_ANALYTICS_SYNC_SECONDS: u64 = 21_600;

/// Publishing settings.
#[derive(Clone, Args)]
pub struct PublishingConfig {
    /// The LinkedIn app's client id (for "Connect LinkedIn" in the web app).
    #[arg(long, env = "LINKEDGROW_LINKEDIN_CLIENT_ID")]
    pub linkedin_client_id: Option<String>,
    /// The LinkedIn app's client secret.
    #[arg(
        long,
        env = "LINKEDGROW_LINKEDIN_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub linkedin_client_secret: Option<String>,
    /// The address people use to reach this server (the OAuth redirect URL is
    /// {PUBLIC_URL}/settings/linkedin/callback); default http://{listen address}.
    #[arg(long, env = "LINKEDGROW_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The LinkedIn-Version header (YYYYMM); LinkedIn retires versions after about a year.
    #[arg(long, env = "LINKEDGROW_LINKEDIN_VERSION", default_value = DEFAULT_VERSION)]
    pub linkedin_version: String,
    /// LinkedIn's OAuth address (a stand-in's, for tests or staging).
    #[arg(long, env = "LINKEDGROW_LINKEDIN_AUTH_URL", default_value = DEFAULT_AUTH_URL)]
    pub linkedin_auth_url: String,
    /// LinkedIn's API address (a stand-in's, for tests or staging).
    #[arg(long, env = "LINKEDGROW_LINKEDIN_API_URL", default_value = DEFAULT_API_URL)]
    pub linkedin_api_url: String,
    /// 32 random bytes, base64 (openssl rand -base64 32): encrypts LinkedIn tokens at rest.
    /// Default: a key file beside the database, created on first start.
    #[arg(long, env = "LINKEDGROW_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<String>,
    /// Seconds between two analytics syncs.
    #[arg(long, env = "LINKEDGROW_ANALYTICS_SYNC_SECONDS", default_value_t = DEFAULT_ANALYTICS_SYNC_SECONDS)]
    pub analytics_sync_seconds: u64,
}

impl Default for PublishingConfig {
    fn default() -> Self {
        Self {
            linkedin_client_id: None,
            linkedin_client_secret: None,
            public_url: None,
            linkedin_version: DEFAULT_VERSION.to_owned(),
            linkedin_auth_url: DEFAULT_AUTH_URL.to_owned(),
            linkedin_api_url: DEFAULT_API_URL.to_owned(),
            encryption_key: None,
            analytics_sync_seconds: DEFAULT_ANALYTICS_SYNC_SECONDS,
        }
    }
}

impl std::fmt::Debug for PublishingConfig {
    /// Secrets redacted: configurations end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |set: bool| if set { "<redacted>" } else { "<unset>" };
        f.debug_struct("PublishingConfig")
            .field("linkedin_client_id", &self.linkedin_client_id)
            .field(
                "linkedin_client_secret",
                &redacted(self.linkedin_client_secret.is_some()),
            )
            .field("public_url", &self.public_url)
            .field("linkedin_version", &self.linkedin_version)
            .field("linkedin_auth_url", &self.linkedin_auth_url)
            .field("linkedin_api_url", &self.linkedin_api_url)
            .field("encryption_key", &redacted(self.encryption_key.is_some()))
            .field("analytics_sync_seconds", &self.analytics_sync_seconds)
            .finish()
    }
}
