//! One attempt at one claimed post: check the connection, send, record what LinkedIn answered.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::domain::PostId;
use crate::linkedin::LinkedInError;
use crate::store::publishing::{ClaimedPost, Failure};
use crate::store::Post;

use super::{Publisher, LEASE_MS, MAX_RETRY_DELAY_MS, RENEW_EVERY_MS, RETRY_FOR_MS};

/// Why a post failed, as stored on it and as `POST /posts/{id}/publish` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishFailure {
    NotConnected,
    TokenExpired,
    TokenInvalid,
    Forbidden,
    Rejected,
    Unavailable,
    VersionRetired,
}

impl PublishFailure {
    /// The code stored on the post and sent in the error envelope.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotConnected => "LINKEDIN_NOT_CONNECTED",
            Self::TokenExpired => "LINKEDIN_TOKEN_EXPIRED",
            Self::TokenInvalid => "LINKEDIN_TOKEN_INVALID",
            Self::Forbidden => "LINKEDIN_FORBIDDEN",
            Self::Rejected => "LINKEDIN_REJECTED",
            Self::Unavailable => "LINKEDIN_UNAVAILABLE",
            Self::VersionRetired => "LINKEDIN_VERSION_RETIRED",
        }
    }
}

/// How an attempt ended.
#[derive(Debug)]
pub enum Outcome {
    /// Published (now, or by an earlier attempt that LinkedIn's duplicate answer revealed).
    Published(Post),
    /// Failed for good; the post is `failed` with this reason.
    Failed(PublishFailure, String),
    /// Failed for now; the post is due again later (the scheduler's attempts only).
    Retrying,
    /// The claim was lost meanwhile (its lease ran out and another publisher took the post).
    ClaimLost,
    /// Publishing now: the post was published already.
    AlreadyPublished,
    /// Publishing now: another attempt holds the post at this moment.
    Busy,
}

impl Publisher {
    /// Runs the attempt of the scheduler for a claimed post.
    pub(super) async fn attempt(self: &Arc<Self>, claimed: ClaimedPost, claim: &str) {
        let post_id = claimed.post.id.to_string();
        match self.send(claimed, claim, true).await {
            Ok(Outcome::Failed(reason, message)) => {
                tracing::warn!(
                    post_id,
                    code = reason.code(),
                    message,
                    "a post failed to publish"
                );
            }
            Ok(Outcome::Published(_)) => tracing::info!(post_id, "published a post"),
            Ok(_) => {}
            Err(err) => tracing::error!(post_id, error = %err, "a publishing attempt broke off"),
        }
    }

    /// Sends a claimed post and records the outcome. With `retry`, retryable failures are
    /// retried later (for up to an hour); without (publishing now), they fail the post at once.
    pub(super) async fn send(
        self: &Arc<Self>,
        claimed: ClaimedPost,
        claim: &str,
        retry: bool,
    ) -> Result<Outcome, crate::store::StoreError> {
        let result = self.send_once(claimed, claim, retry).await;
        let outcome = match &result {
            Ok(Outcome::Published(_)) => "published",
            Ok(Outcome::Failed(..)) => "failed",
            Ok(Outcome::Retrying) => "retrying",
            Ok(Outcome::ClaimLost) => "claim_lost",
            Ok(Outcome::AlreadyPublished) => "already_published",
            Ok(Outcome::Busy) => "busy",
            Err(_) => "error",
        };
        metrics::counter!(crate::telemetry::PUBLISH_ATTEMPTS, "outcome" => outcome).increment(1);
        result
    }

    /// [`Self::send`] without the counting.
    async fn send_once(
        self: &Arc<Self>,
        claimed: ClaimedPost,
        claim: &str,
        retry: bool,
    ) -> Result<Outcome, crate::store::StoreError> {
        let now = self.now_ms();
        let post_id = &claimed.post.id;
        let Some(account) = self.store.linkedin_account(&claimed.user_id).await? else {
            return self
                .fail(post_id, claim, PublishFailure::NotConnected, None)
                .await;
        };
        if account.token_expires_at.is_some_and(|at| at <= now) {
            return self
                .fail(post_id, claim, PublishFailure::TokenExpired, None)
                .await;
        }
        if account.needs_reconnect {
            return self
                .fail(post_id, claim, PublishFailure::TokenInvalid, None)
                .await;
        }
        let token = match self.open(&claimed.user_id, &account.token_sealed) {
            Ok(token) => token,
            Err(err) => {
                // A key that changed since the token was stored: the member must reconnect.
                tracing::error!(error = %err, "a stored LinkedIn token cannot be decrypted");
                return self
                    .fail(post_id, claim, PublishFailure::TokenInvalid, None)
                    .await;
            }
        };

        let renewing = self.keep_claim(post_id, claim);
        let held = self.in_flight.hold(post_id.clone(), claim);
        let answer = self
            .linkedin
            .create_post(&token, &account.member_sub, &claimed.post.fields.content)
            .await;
        drop(held);
        renewing.abort();

        let now = self.now_ms();
        let err = match answer {
            Ok(urn) => return self.published(post_id, claim, &urn.to_string(), now).await,
            Err(err) => err,
        };
        let message = err.to_string();
        match err {
            LinkedInError::Duplicate { urn: Some(urn), .. } if claimed.in_doubt => {
                // The earlier attempt landed; LinkedIn names the post it has.
                self.published(post_id, claim, &urn.to_string(), now).await
            }
            LinkedInError::TokenInvalid { .. } => {
                self.store
                    .mark_needs_reconnect(&claimed.user_id, now)
                    .await?;
                self.fail(post_id, claim, PublishFailure::TokenInvalid, None)
                    .await
            }
            LinkedInError::Forbidden { .. } => {
                self.fail(post_id, claim, PublishFailure::Forbidden, Some(message))
                    .await
            }
            LinkedInError::VersionRetired { .. } => {
                if !self.version_retired_logged.swap(true, Ordering::Relaxed) {
                    tracing::error!(message, "LinkedIn retired the configured LinkedIn-Version");
                }
                self.fail(
                    post_id,
                    claim,
                    PublishFailure::VersionRetired,
                    Some(message),
                )
                .await
            }
            LinkedInError::Rejected { message, .. }
            | LinkedInError::Duplicate { message, .. }
            | LinkedInError::NotFound { message } => {
                // LinkedIn's own words: they say what to change.
                self.fail(post_id, claim, PublishFailure::Rejected, Some(message))
                    .await
            }
            LinkedInError::Authorization { .. } => {
                self.fail(post_id, claim, PublishFailure::Rejected, Some(message))
                    .await
            }
            LinkedInError::Retryable { .. }
            | LinkedInError::InDoubt { .. }
            | LinkedInError::Unexpected { .. } => {
                // An answer we do not understand may still mean LinkedIn made the post.
                let maybe_sent =
                    err.may_have_been_applied() || matches!(err, LinkedInError::Unexpected { .. });
                if maybe_sent {
                    self.store.mark_in_doubt(post_id, claim).await?;
                }
                let since = claimed.retry_since.unwrap_or(now);
                if !retry || now - since >= RETRY_FOR_MS {
                    let message = format!("the last attempt: {message}");
                    return self
                        .fail(post_id, claim, PublishFailure::Unavailable, Some(message))
                        .await;
                }
                let delay = retry_delay(now - since, err.retry_after());
                self.store
                    .release_for_retry(post_id, claim, now + delay, since)
                    .await?;
                tracing::info!(
                    post_id = post_id.as_str(),
                    delay_ms = delay,
                    message,
                    "LinkedIn unavailable; retrying"
                );
                Ok(Outcome::Retrying)
            }
        }
    }

    /// Renews the claim's lease while the request runs, so no other publisher takes the post.
    fn keep_claim(self: &Arc<Self>, post_id: &PostId, claim: &str) -> tokio::task::JoinHandle<()> {
        let publisher = Arc::clone(self);
        let (post_id, claim) = (post_id.clone(), claim.to_owned());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(RENEW_EVERY_MS)).await;
                let lease_until = publisher.now_ms() + LEASE_MS;
                match publisher
                    .store
                    .renew_claim(&post_id, &claim, lease_until)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(err) => {
                        tracing::error!(post_id = post_id.as_str(), error = %err, "cannot renew a claim");
                    }
                }
            }
        })
    }

    async fn published(
        &self,
        post_id: &PostId,
        claim: &str,
        urn: &str,
        now: i64,
    ) -> Result<Outcome, crate::store::StoreError> {
        Ok(
            match self
                .store
                .finish_published(post_id, claim, urn, now)
                .await?
            {
                Some(post) => Outcome::Published(post),
                None => Outcome::ClaimLost,
            },
        )
    }

    async fn fail(
        &self,
        post_id: &PostId,
        claim: &str,
        reason: PublishFailure,
        detail: Option<String>,
    ) -> Result<Outcome, crate::store::StoreError> {
        let message = failure_message(reason, detail.as_deref());
        let failure = Failure {
            code: reason.code().to_owned(),
            message: message.clone(),
            at: self.now_ms(),
        };
        Ok(
            match self.store.finish_failed(post_id, claim, &failure).await? {
                Some(_) => Outcome::Failed(reason, message),
                None => Outcome::ClaimLost,
            },
        )
    }
}

/// The wait before the next retry: what LinkedIn asked for, else doubling from 1 s with the
/// time already spent retrying, capped at 5 minutes (and never past LinkedIn's own wish).
fn retry_delay(elapsed_ms: i64, retry_after: Option<Duration>) -> i64 {
    let backoff = elapsed_ms.clamp(1_000, MAX_RETRY_DELAY_MS);
    match retry_after {
        Some(asked) => (asked.as_millis().min(i64::MAX as u128) as i64).max(1_000),
        None => backoff,
    }
}

/// The message stored with a failure: what the user can do, then what LinkedIn said, if
/// anything.
fn failure_message(reason: PublishFailure, detail: Option<&str>) -> String {
    let base = match reason {
        PublishFailure::NotConnected => {
            "No LinkedIn account is connected; connect one in Settings › LinkedIn and reschedule \
             the post."
        }
        PublishFailure::TokenExpired => {
            "The LinkedIn connection has expired; reconnect in Settings › LinkedIn and reschedule \
             the post."
        }
        PublishFailure::TokenInvalid => {
            "LinkedIn no longer accepts the connection; reconnect in Settings › LinkedIn and \
             reschedule the post."
        }
        PublishFailure::Forbidden => "LinkedIn did not permit this member to post.",
        PublishFailure::Rejected => "LinkedIn rejected the post.",
        PublishFailure::Unavailable => "LinkedIn was unavailable for an hour of retries.",
        PublishFailure::VersionRetired => {
            "LinkedIn retired the API version this server uses; the operator must set \
             LINKEDGROW_LINKEDIN_VERSION to a current YYYYMM and the post be rescheduled."
        }
    };
    match detail {
        Some(detail) if !detail.is_empty() => format!("{base} {detail}"),
        _ => base.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_a_second_up_to_five_minutes_unless_linkedin_asks() {
        assert_eq!(retry_delay(0, None), 1_000);
        assert_eq!(retry_delay(1_000, None), 1_000);
        assert_eq!(retry_delay(2_000, None), 2_000);
        assert_eq!(retry_delay(4_000, None), 4_000);
        assert_eq!(retry_delay(3_600_000, None), 300_000);
        assert_eq!(retry_delay(0, Some(Duration::from_secs(7))), 7_000);
        assert_eq!(retry_delay(0, Some(Duration::from_millis(10))), 1_000);
    }
}
