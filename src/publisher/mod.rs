//! The publisher: sends scheduled posts to LinkedIn on time, once.
//!
//! Never twice, in four steps. (1) A post is *claimed* before anything is sent: one conditional
//! `UPDATE` sets the attempt's id and a lease (`due_at`, 30 s ahead, renewed every 10 s while the
//! request runs), so of several publishers (two `serve` processes on one database, or several
//! instances) exactly one holds it. (2) The claim is the record that a request may be under way.
//! (3) The outcome clears it: published with LinkedIn's URN, failed with a code, or released for
//! a retry. (4) A claim whose lease ran out was left by a publisher that died or hung: the post is
//! due again, and *in doubt*. LinkedIn gives ordinary apps no way to list a member's posts, but it
//! refuses the same text again with `422 DUPLICATE_POST` naming the post it already has; so an
//! in-doubt post is sent once more, and that answer means the first attempt landed: its URN is
//! recorded and the post is published. A lease of 30 s means a post left by a dead process goes
//! out within a minute of a restart.

pub mod analytics;
mod attempt;
pub mod connection;
mod schedule;
pub mod settings;

use std::sync::Arc;

use tokio::sync::Notify;

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;
use parking_lot::Mutex;

use crate::clock::Clock;
use crate::domain::{PostId, UserId};
use crate::hand_back::InFlight;
use crate::linkedin::crypto::{load_or_create_key, Key};
use crate::linkedin::{
    AccessToken, ClientConfig, ClientSecret, LinkedInClient, LinkedInError, TokenGrant,
};
use crate::store::publishing::ClaimNow;
use crate::store::Store;

pub use attempt::{Outcome, PublishFailure};
pub use settings::PublishingConfig;

/// How long a claim holds a post without being renewed.
pub const LEASE_MS: i64 = 30_000;
/// How often a running attempt renews its lease.
const RENEW_EVERY_MS: u64 = 10_000;
/// How long retryable failures (429, 5xx, no connection) are retried before the post fails.
pub const RETRY_FOR_MS: i64 = 60 * 60_000;
/// The longest wait between two retries.
const MAX_RETRY_DELAY_MS: i64 = 5 * 60_000;
/// Attempts run at once by one publisher.
const CONCURRENT_ATTEMPTS: usize = 4;

/// Everything the publisher needs; one per server.
pub struct Publisher {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    linkedin: LinkedInClient,
    /// Seals tokens at rest.
    key: Key,
    wake: Notify,
    attempts: Arc<tokio::sync::Semaphore>,
    /// Logged once: a retired `LinkedIn-Version` is the operator's to fix.
    version_retired_logged: std::sync::atomic::AtomicBool,
    /// Accounts whose analytics LinkedIn refused, logged once each.
    analytics_denied: Mutex<HashSet<UserId>>,
    /// `{PUBLIC_URL}/settings/linkedin/callback`.
    redirect_uri: String,
    /// Whether the app's client id and secret are set, so the web app can connect members.
    oauth_configured: bool,
    /// Posts whose request to LinkedIn is under way, for a graceful shutdown to hand back.
    in_flight: InFlight<PostId>,
}

impl Publisher {
    /// The publisher `config` describes. The key of tokens at rest comes from the config or
    /// from `key_file` (created on first start); `public_url` defaults to the listen address.
    pub fn from_config(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: &PublishingConfig,
        key_file: Option<&Path>,
        default_public_url: &str,
    ) -> anyhow::Result<Arc<Self>> {
        let (key, created) = load_or_create_key(config.encryption_key.as_deref(), key_file)?;
        if created {
            tracing::info!(
                key_file = %key_file.map(Path::display).map(|d| d.to_string()).unwrap_or_default(),
                "created a key to encrypt LinkedIn tokens; back it up with the database"
            );
        }
        let client_id = config.linkedin_client_id.clone().unwrap_or_default();
        let secret = config.linkedin_client_secret.clone().unwrap_or_default();
        let oauth_configured = !client_id.is_empty() && !secret.is_empty();
        let mut client = ClientConfig::new(client_id, ClientSecret::new(secret));
        client.auth_url = config.linkedin_auth_url.clone();
        client.api_url = config.linkedin_api_url.clone();
        client.version = config.linkedin_version.clone();
        let linkedin = LinkedInClient::new(client).context("invalid LinkedIn settings")?;
        let public_url = config.public_url.as_deref().unwrap_or(default_public_url);
        let redirect_uri = format!(
            "{}/settings/linkedin/callback",
            public_url.trim_end_matches('/')
        );
        Ok(Arc::new(Self {
            store,
            clock,
            linkedin,
            key,
            wake: Notify::new(),
            attempts: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_ATTEMPTS)),
            version_retired_logged: std::sync::atomic::AtomicBool::new(false),
            analytics_denied: Mutex::new(HashSet::new()),
            redirect_uri,
            oauth_configured,
            in_flight: InFlight::default(),
        }))
    }

    /// The key that seals secrets at rest (LinkedIn tokens, webhook secrets).
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Whether members can be connected through the web app (client id and secret set).
    pub fn oauth_configured(&self) -> bool {
        self.oauth_configured
    }

    /// LinkedIn's consent page for a round trip with `state`.
    pub fn authorization_url(&self, state: &str) -> String {
        self.linkedin.authorization_url(&self.redirect_uri, state)
    }

    /// The origin of LinkedIn's consent page (`https://www.linkedin.com`), which the Connect
    /// form's answer redirects to.
    pub fn authorization_origin(&self) -> Option<String> {
        let url = url::Url::parse(&self.linkedin.config().auth_url).ok()?;
        let origin = url.origin();
        origin.is_tuple().then(|| origin.ascii_serialization())
    }

    /// Exchanges the code LinkedIn sent back for a token.
    pub async fn exchange_code(&self, code: &str) -> Result<TokenGrant, LinkedInError> {
        self.linkedin.exchange_code(code, &self.redirect_uri).await
    }

    /// Seals the user's token for storage; only this key opens it, and only for this user.
    pub fn seal(&self, user_id: &UserId, token: &AccessToken) -> String {
        self.key.seal(token.expose(), user_id.as_str().as_bytes())
    }

    /// Opens the user's stored token.
    pub fn open(&self, user_id: &UserId, sealed: &str) -> anyhow::Result<AccessToken> {
        let token = self
            .key
            .open(sealed, user_id.as_str().as_bytes())
            .map_err(|_| {
                anyhow::anyhow!(
                "a stored LinkedIn token cannot be opened: the encryption key changed since it \
                 was stored; reconnect LinkedIn"
            )
            })?;
        Ok(AccessToken::new(token))
    }

    /// Tells the scheduler that a post was scheduled or rescheduled, so it looks again now
    /// instead of at the time it was sleeping until.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// At shutdown: waits up to `grace` for the requests under way, then hands back the posts
    /// still waiting for LinkedIn's answer by ending their leases now, so that another instance
    /// takes them at once (they are in doubt, so it checks for a duplicate before publishing
    /// again) instead of when the lease would have run out.
    pub async fn hand_back(&self, grace: std::time::Duration) {
        let left = self.in_flight.wait_idle(grace).await;
        let now = self.now_ms();
        for (post_id, claim) in &left {
            if let Err(err) = self.store.renew_claim(post_id, claim, now).await {
                tracing::warn!(post_id = post_id.as_str(), error = %err, "could not hand back a post");
            }
        }
        if !left.is_empty() {
            tracing::info!(posts = left.len(), "handed back posts still being sent");
        }
    }

    /// The LinkedIn client.
    pub fn linkedin(&self) -> &LinkedInClient {
        &self.linkedin
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }
}

impl Publisher {
    /// Publishes one of the user's draft, scheduled or failed posts now, waiting for LinkedIn's
    /// answer; retryable failures fail the post at once (the caller is waiting).
    pub async fn publish_now(
        self: &Arc<Self>,
        user_id: &UserId,
        post_id: &PostId,
    ) -> Result<Outcome, crate::store::StoreError> {
        let claim = claim_id();
        let now = self.now_ms();
        let claimed = match self
            .store
            .claim_post_now(user_id, post_id, &claim, now, now + LEASE_MS)
            .await?
        {
            ClaimNow::Claimed(claimed) => *claimed,
            ClaimNow::AlreadyPublished => return Ok(Outcome::AlreadyPublished),
            ClaimNow::Busy => return Ok(Outcome::Busy),
        };
        self.send(claimed, &claim, false).await
    }
}

/// A fresh id for one attempt's claim.
fn claim_id() -> String {
    crate::keys::random_id("claim")
}
