//! The LinkedIn client: connecting a member, publishing, deleting and reading analytics, with
//! one classification of failures and tokens sealed at rest.
//!
//! # What each operation sends
//!
//! | operation | request |
//! | --- | --- |
//! | [`LinkedInClient::authorization_url`] | (a URL for the browser) `GET {auth}/oauth/v2/authorization?response_type=code&client_id&redirect_uri&state&scope=openid profile w_member_social r_member_postAnalytics` |
//! | [`LinkedInClient::exchange_code`] | `POST {auth}/oauth/v2/accessToken`, form: `grant_type=authorization_code`, `code`, `redirect_uri`, `client_id`, `client_secret` → `access_token`, `expires_in`, `scope` (comma-separated) |
//! | [`LinkedInClient::userinfo`] | `GET {api}/v2/userinfo`, `Authorization: Bearer` → `sub`, `name`, `picture` |
//! | [`LinkedInClient::create_post`] | `POST {api}/rest/posts`, JSON [`posts::post_body`] → 201, URN in `x-restli-id` |
//! | [`LinkedInClient::delete_post`] | `DELETE {api}/rest/posts/{urn, percent-encoded}` → 204 |
//! | [`LinkedInClient::post_analytics`] | `GET {api}/rest/memberCreatorPostAnalytics?q=entity&entity=(share:{urn})&queryType&aggregation[&dateRange]` |
//!
//! Every `/rest` call also sends `LinkedIn-Version: YYYYMM` and `X-Restli-Protocol-Version:
//! 2.0.0`. Failures are one [`LinkedInError`], whose [`LinkedInError::code`] is what a post stores.
//!
//! # Publishing never twice
//!
//! LinkedIn's Posts API has no idempotency key, so "at most once" rests on three hooks:
//!
//! 1. **Claim.** The publisher records that it is about to send a post (with a lease) before
//!    calling [`LinkedInClient::create_post`], so another worker or a restart knows an attempt
//!    may be under way.
//! 2. **In doubt.** A call that fails with [`LinkedInError::InDoubt`] (timeout or connection lost
//!    after the request left; see `error.rs` for what can and cannot be told apart) may have
//!    created the post. [`LinkedInError::may_have_been_applied`] also says yes for a 500/502/504.
//!    Such a post is sent once more, not given up and not retried blindly.
//! 3. **`DUPLICATE_POST`.** LinkedIn refuses the same text from the same member with a 422
//!    naming the existing post; [`LinkedInError::Duplicate`] carries that URN. After an in-doubt
//!    attempt this means "published, as that URN"; for any other post it is a
//!    `LINKEDIN_REJECTED` failure.
//!
//! A [`LinkedInError::Retryable`] failure may be sent again after
//! [`LinkedInError::retry_after`]; unless it [may have been applied](LinkedInError::may_have_been_applied)
//! (a 500/502/504), nothing was done: no connection was made, or LinkedIn refused with 429/503.

pub mod analytics;
pub mod client;
pub mod config;
pub mod crypto;
pub mod error;
pub mod little_text;
pub mod oauth;
pub mod posts;
pub mod secret;
pub mod urn;

pub use analytics::{Aggregation, AnalyticsPoint, DateRange, Metric};
pub use client::LinkedInClient;
pub use config::{ClientConfig, ConfigError};
pub use error::LinkedInError;
pub use oauth::{Scopes, TokenGrant, UserInfo};
pub use secret::{AccessToken, ClientSecret};
pub use urn::{PostKind, PostUrn};
