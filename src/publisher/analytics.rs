//! Reading figures back from LinkedIn: for each post published in the last 90 days, its daily
//! impressions, reactions, comments and reshares and its members reached (a lifetime total,
//! kept on the day of publication), replacing what an earlier sync stored.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::analytics::Metrics;
use crate::domain::UserId;
use crate::linkedin::{Aggregation, DateRange, LinkedInError, Metric, PostUrn};
use crate::publisher::connection::ConnectionStatus;

use super::Publisher;

/// Posts older than this are no longer synced (LinkedIn's own window for member analytics).
const SYNC_DAYS: i64 = 90;
/// The first sync after start, so that a restart loop does not hammer LinkedIn.
const FIRST_SYNC_AFTER: Duration = Duration::from_secs(60);

/// What one sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub posts: usize,
    pub skipped: Option<String>,
}

impl Publisher {
    /// Syncs every connected user every `interval` until `shutdown` completes.
    pub async fn run_analytics(
        self: Arc<Self>,
        interval: Duration,
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let mut wait = FIRST_SYNC_AFTER.min(interval);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = &mut shutdown => return,
            }
            wait = interval;
            let users = match self.store.linkedin_account_users().await {
                Ok(users) => users,
                Err(err) => {
                    tracing::error!(error = %err, "cannot list LinkedIn accounts to sync");
                    continue;
                }
            };
            for user_id in users {
                match self.sync_analytics(&user_id).await {
                    Ok(report) => tracing::info!(
                        user_id = user_id.as_str(),
                        posts = report.posts,
                        "synced analytics"
                    ),
                    Err(err) => {
                        tracing::warn!(user_id = user_id.as_str(), error = %err, "analytics sync failed");
                    }
                }
            }
        }
    }

    /// Syncs one user's posts now.
    pub async fn sync_analytics(&self, user_id: &UserId) -> anyhow::Result<SyncReport> {
        let now = self.clock.now();
        let account = self.store.linkedin_account(user_id).await?;
        let status = ConnectionStatus::of(account.as_ref(), now.timestamp_millis());
        let Some(account) = account.filter(|_| status.connected) else {
            return Ok(skipped("no LinkedIn account is connected"));
        };
        if status.expired || account.needs_reconnect {
            return Ok(skipped("the LinkedIn connection must be renewed"));
        }
        let token = self.open(user_id, &account.token_sealed)?;
        let since = (now - chrono::Duration::days(SYNC_DAYS)).timestamp_millis();
        let posts = self.store.published_with_urn(user_id, since).await?;
        let mut report = SyncReport::default();
        for (post_id, urn, published_at) in posts {
            let Some(urn) = PostUrn::parse(&urn) else {
                continue;
            };
            match self.post_figures(&token, &urn, published_at, now).await {
                Ok(days) => {
                    self.store
                        .replace_post_metrics(user_id, &post_id, &days)
                        .await?;
                    report.posts += 1;
                }
                Err(LinkedInError::Forbidden { .. }) => {
                    // The app lacks the analytics product: say so once per account, not per post.
                    if self.analytics_denied.lock().insert(user_id.clone()) {
                        tracing::warn!(
                            user_id = user_id.as_str(),
                            "LinkedIn refused post analytics (403): the app needs the \
                             Community Management API product; skipping this account"
                        );
                    }
                    return Ok(skipped("LinkedIn refused post analytics (403)"));
                }
                Err(err) => return Err(err.into()),
            }
        }
        Ok(report)
    }

    /// One post's figures per day since its publication, members reached on its first day.
    async fn post_figures(
        &self,
        token: &crate::linkedin::AccessToken,
        urn: &PostUrn,
        published_at: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<(NaiveDate, Metrics)>, LinkedInError> {
        let first = DateTime::from_timestamp_millis(published_at)
            .unwrap_or(now)
            .date_naive();
        let range = DateRange {
            start: first,
            end: now.date_naive().succ_opt().unwrap_or(now.date_naive()),
        };
        let mut days: BTreeMap<NaiveDate, Metrics> = BTreeMap::new();
        for metric in Metric::ALL {
            let aggregation = metric.aggregation();
            let range = (aggregation == Aggregation::Daily).then_some(&range);
            let points = self
                .linkedin
                .post_analytics(token, urn, metric, aggregation, range)
                .await?;
            for point in points {
                let day = point.date_range.map_or(first, |r| r.start);
                let figures = days.entry(day).or_default();
                let slot = match metric {
                    Metric::Impression => &mut figures.impressions,
                    Metric::Reaction => &mut figures.reactions,
                    Metric::Comment => &mut figures.comments,
                    Metric::Reshare => &mut figures.reposts,
                    Metric::MembersReached => &mut figures.members_reached,
                };
                *slot += point.count;
            }
        }
        Ok(days.into_iter().collect())
    }
}

fn skipped(why: &str) -> SyncReport {
    SyncReport {
        posts: 0,
        skipped: Some(why.to_owned()),
    }
}
