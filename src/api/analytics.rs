//! `/api/v1/analytics` and `/api/v1/posts/{id}/analytics`: figures from the per-post, per-day
//! metric rows the publisher records from LinkedIn's member post analytics.

use std::collections::HashMap;

use axum::extract::{Path, State};
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::auth::{AnalyticsRead, Scoped};
use crate::api::error::{ApiError, AppJson};
use crate::domain::analytics::{DayRange, Metrics, MAX_RANGE_DAYS};
use crate::domain::post::PostStatus;
use crate::domain::time::{from_millis, rfc3339};
use crate::domain::PostId;
use crate::AppState;

use super::query::QueryParams;

/// Figures over a range.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    #[schema(minimum = 0)]
    pub impressions: u64,
    /// The sum of each day's members reached (a member reached on two days counts twice).
    #[schema(minimum = 0)]
    pub members_reached: u64,
    #[schema(minimum = 0)]
    pub reactions: u64,
    #[schema(minimum = 0)]
    pub comments: u64,
    #[schema(minimum = 0)]
    pub reposts: u64,
    /// (reactions + comments + reposts) / impressions; 0 without impressions.
    #[schema(minimum = 0)]
    pub engagement_rate: f64,
}

impl From<Metrics> for Figures {
    fn from(m: Metrics) -> Self {
        Self {
            impressions: m.impressions,
            members_reached: m.members_reached,
            reactions: m.reactions,
            comments: m.comments,
            reposts: m.reposts,
            engagement_rate: m.engagement_rate(),
        }
    }
}

/// Figures over the range for all of the owner's posts, and how many posts were published in it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountTotals {
    #[serde(flatten)]
    pub figures: Figures,
    /// Posts whose `publishedAt` falls within the range.
    #[schema(minimum = 0)]
    pub posts_published: u64,
}

/// One UTC day's figures.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DailyFigures {
    /// The UTC day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The owner's analytics over a range of UTC days.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(examples(json!({
    "from": "2026-01-01", "to": "2026-01-02",
    "totals": {"impressions": 1200, "membersReached": 900, "reactions": 40, "comments": 12,
               "reposts": 8, "engagementRate": 0.05, "postsPublished": 1},
    "daily": [
        {"date": "2026-01-01", "impressions": 1000, "membersReached": 750, "reactions": 35,
         "comments": 10, "reposts": 5, "engagementRate": 0.05},
        {"date": "2026-01-02", "impressions": 200, "membersReached": 150, "reactions": 5,
         "comments": 2, "reposts": 3, "engagementRate": 0.05}
    ]
})))]
pub struct AccountAnalytics {
    /// The first day of the range (UTC).
    #[schema(format = Date)]
    pub from: String,
    /// The last day of the range (UTC), included.
    #[schema(format = Date)]
    pub to: String,
    pub totals: AccountTotals,
    /// Every day of the range in order, days without figures as zeros.
    pub daily: Vec<DailyFigures>,
}

/// One published post's analytics over a range of UTC days.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostAnalytics {
    pub post_id: String,
    #[schema(format = DateTime)]
    pub published_at: String,
    /// The first day of the range (UTC).
    #[schema(format = Date)]
    pub from: String,
    /// The last day of the range (UTC), included.
    #[schema(format = Date)]
    pub to: String,
    pub totals: Figures,
    /// Every day of the range in order, days without figures as zeros.
    pub daily: Vec<DailyFigures>,
}

/// Every day of `range`, zeros where `rows` has none, and the sum.
fn series(range: DayRange, rows: Vec<(NaiveDate, Metrics)>) -> (Vec<DailyFigures>, Metrics) {
    let by_day: HashMap<NaiveDate, Metrics> = rows.into_iter().collect();
    let mut total = Metrics::default();
    let daily = range
        .iter()
        .map(|day| {
            let m = by_day.get(&day).copied().unwrap_or_default();
            total += m;
            DailyFigures {
                date: day.format("%Y-%m-%d").to_string(),
                figures: Figures::from(m),
            }
        })
        .collect();
    (daily, total)
}

fn start_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis()
}

/// Account analytics
///
/// Totals and a per-day series over `from`..`to` (UTC days, both included; at most 366 days).
/// Without `to`, the range ends today; without `from`, it covers the 30 days ending with `to`.
#[utoipa::path(
    get, path = "/api/v1/analytics", tag = "Analytics", operation_id = "getAnalytics",
    params(
        ("from" = Option<String>, Query, format = Date, description = "First day, `YYYY-MM-DD` (UTC). Default: 29 days before `to`."),
        ("to" = Option<String>, Query, format = Date, description = "Last day, `YYYY-MM-DD` (UTC), included. Default: today. At most 366 days after `from`."),
    ),
    responses(
        (status = 200, description = "The figures.", body = AccountAnalytics),
        (status = 400, description = "A date is malformed (`INVALID_PARAMETER`), `from` is after `to`, or the range is longer than 366 days (`INVALID_RANGE`)."),
    ),
    security(("bearer" = ["analytics:read"]))
)]
pub async fn account_analytics(
    State(app): State<AppState>,
    query: QueryParams,
    key: Scoped<AnalyticsRead>,
) -> Result<AppJson<AccountAnalytics>, ApiError> {
    figures_of_account(&app, &key, &query).await.map(AppJson)
}

/// The account's figures over the range `query` asks for.
pub async fn figures_of_account(
    app: &AppState,
    key: &Scoped<AnalyticsRead>,
    query: &QueryParams,
) -> Result<AccountAnalytics, ApiError> {
    query.only(&["from", "to"])?;
    let today = app.clock.now().date_naive();
    let range = DayRange::parse(
        query.get("from"),
        query.get("to"),
        today,
        DayRange::default_from,
    )?;
    let rows = app
        .store
        .daily_metrics(&key.user_id, None, range.from, range.to)
        .await?;
    let published = app
        .store
        .count_published(
            &key.user_id,
            start_ms(range.from),
            start_ms(range.to) + Duration::days(1).num_milliseconds(),
        )
        .await?;
    let (daily, total) = series(range, rows);
    let figures = Figures::from(total);
    Ok(AccountAnalytics {
        from: range.from.to_string(),
        to: range.to.to_string(),
        totals: AccountTotals {
            figures,
            posts_published: published,
        },
        daily,
    })
}

/// Post analytics
///
/// One published post's totals and per-day series over `from`..`to` (UTC days, both included;
/// at most 366 days). Without `to`, the range ends today; without `from`, it starts on the day
/// the post was published (or 365 days before `to`, if that is later).
#[utoipa::path(
    get, path = "/api/v1/posts/{id}/analytics", tag = "Analytics", operation_id = "getPostAnalytics",
    params(
        ("id" = String, Path, description = "The post's id (`post_…`)."),
        ("from" = Option<String>, Query, format = Date, description = "First day, `YYYY-MM-DD` (UTC). Default: the day of publication."),
        ("to" = Option<String>, Query, format = Date, description = "Last day, `YYYY-MM-DD` (UTC), included. Default: today. At most 366 days after `from`."),
    ),
    responses(
        (status = 200, description = "The figures.", body = PostAnalytics),
        (status = 400, description = "A date is malformed (`INVALID_PARAMETER`), `from` is after `to`, or the range is longer than 366 days (`INVALID_RANGE`)."),
        (status = 404, description = "No such post for the key's owner."),
        (status = 409, description = "The post is not published, so it has no analytics (`POST_NOT_PUBLISHED`)."),
    ),
    security(("bearer" = ["analytics:read"]))
)]
pub async fn post_analytics(
    State(app): State<AppState>,
    Path(id): Path<PostId>,
    query: QueryParams,
    key: Scoped<AnalyticsRead>,
) -> Result<AppJson<PostAnalytics>, ApiError> {
    figures_of_post(&app, &key, &id, &query).await.map(AppJson)
}

/// One published post's figures over the range `query` asks for.
pub async fn figures_of_post(
    app: &AppState,
    key: &Scoped<AnalyticsRead>,
    id: &PostId,
    query: &QueryParams,
) -> Result<PostAnalytics, ApiError> {
    query.only(&["from", "to"])?;
    let post = app.store.get_post(&key.user_id, id).await?;
    let (PostStatus::Published, Some(published_at)) = (post.fields.status, post.published_at)
    else {
        return Err(ApiError::conflict(
            "POST_NOT_PUBLISHED",
            "this post is not published yet, so it has no analytics",
        ));
    };
    let published_day = from_millis(published_at).date_naive();
    let today = app.clock.now().date_naive();
    let range = DayRange::parse(query.get("from"), query.get("to"), today, |to| {
        published_day
            .max(to - Duration::days(MAX_RANGE_DAYS - 1))
            .min(to)
    })?;
    let rows = app
        .store
        .daily_metrics(&key.user_id, Some(&post.id), range.from, range.to)
        .await?;
    let (daily, total) = series(range, rows);
    Ok(PostAnalytics {
        post_id: post.id.into(),
        published_at: rfc3339(published_at),
        from: range.from.to_string(),
        to: range.to.to_string(),
        totals: total.into(),
        daily,
    })
}
