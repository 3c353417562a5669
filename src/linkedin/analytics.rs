//! One post's statistics from `memberCreatorPostAnalytics` (the `entity` finder), which needs
//! the `r_member_postAnalytics` scope.

use chrono::{Datelike, NaiveDate};
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::client::LinkedInClient;
use super::error::LinkedInError;
use super::secret::AccessToken;
use super::urn::PostUrn;

/// The metrics we sync (LinkedIn's `queryType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Times the post was shown.
    Impression,
    /// Reactions.
    Reaction,
    /// Comments.
    Comment,
    /// Reshares.
    Reshare,
    /// Unique members reached; LinkedIn serves it only as a total.
    MembersReached,
}

impl Metric {
    /// Every metric, in a stable order.
    pub const ALL: [Metric; 5] = [
        Metric::Impression,
        Metric::Reaction,
        Metric::Comment,
        Metric::Reshare,
        Metric::MembersReached,
    ];

    /// LinkedIn's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Impression => "IMPRESSION",
            Metric::Reaction => "REACTION",
            Metric::Comment => "COMMENT",
            Metric::Reshare => "RESHARE",
            Metric::MembersReached => "MEMBERS_REACHED",
        }
    }

    /// Parses LinkedIn's name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The aggregation we ask for: daily counts, except for members reached (a total only,
    /// as unique members do not add up across days).
    pub fn aggregation(self) -> Aggregation {
        match self {
            Metric::MembersReached => Aggregation::Total,
            _ => Aggregation::Daily,
        }
    }
}

/// LinkedIn's `aggregation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// One data point per day of the range.
    Daily,
    /// One data point for the range (or the post's lifetime without a range).
    Total,
}

impl Aggregation {
    /// LinkedIn's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Daily => "DAILY",
            Aggregation::Total => "TOTAL",
        }
    }
}

/// A range of days as LinkedIn writes it; `end` is exclusive, as in LinkedIn's daily points,
/// each of which spans one day to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// The first day.
    pub start: NaiveDate,
    /// The day after the last.
    pub end: NaiveDate,
}

impl DateRange {
    /// The Rest.li 2.0 value: `(start:(day:D,month:M,year:Y),end:(day:D,month:M,year:Y))`.
    pub fn restli(&self) -> String {
        fn day(d: NaiveDate) -> String {
            format!("(day:{},month:{},year:{})", d.day(), d.month(), d.year())
        }
        format!("(start:{},end:{})", day(self.start), day(self.end))
    }
}

/// One data point of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsPoint {
    /// The count.
    pub count: u64,
    /// The metric, as LinkedIn echoed it.
    pub metric: Metric,
    /// The days it covers; absent for a lifetime total.
    pub date_range: Option<DateRange>,
}

/// The query string of one `memberCreatorPostAnalytics` call. Built by hand because a form
/// encoder would escape the Rest.li syntax (parentheses, colons, commas) that must stay bare.
pub fn analytics_query(
    urn: &PostUrn,
    metric: Metric,
    aggregation: Aggregation,
    date_range: Option<&DateRange>,
) -> String {
    let mut query = format!(
        "q=entity&entity={}&queryType={}&aggregation={}",
        urn.analytics_entity(),
        metric.as_str(),
        aggregation.as_str()
    );
    if let Some(range) = date_range {
        query.push_str("&dateRange=");
        query.push_str(&range.restli());
    }
    query
}

#[derive(Deserialize)]
struct Answer {
    elements: Vec<Element>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Element {
    count: u64,
    metric_type: Value,
    #[serde(default)]
    date_range: Option<WireRange>,
}

#[derive(Deserialize)]
struct WireRange {
    start: WireDate,
    end: WireDate,
}

#[derive(Deserialize)]
struct WireDate {
    day: u32,
    month: u32,
    year: i32,
}

impl LinkedInClient {
    /// The post's `metric` at `aggregation` over `date_range` (or its lifetime).
    pub async fn post_analytics(
        &self,
        token: &AccessToken,
        urn: &PostUrn,
        metric: Metric,
        aggregation: Aggregation,
        date_range: Option<&DateRange>,
    ) -> Result<Vec<AnalyticsPoint>, LinkedInError> {
        let query = analytics_query(urn, metric, aggregation, date_range);
        let path = format!("/rest/memberCreatorPostAnalytics?{query}");
        let request = self.rest_request(Method::GET, &path, token);
        let response = self.send("post_analytics", request).await?;
        let answer: Answer = Self::json(response).await?;
        answer.elements.into_iter().map(point).collect()
    }
}

fn point(element: Element) -> Result<AnalyticsPoint, LinkedInError> {
    let unexpected = |reason: String| LinkedInError::Unexpected { reason };
    let name = metric_name(&element.metric_type)
        .ok_or_else(|| unexpected(format!("metricType {} is not a name", element.metric_type)))?;
    let metric =
        Metric::parse(name).ok_or_else(|| unexpected(format!("unknown metricType {name}")))?;
    let date_range = element
        .date_range
        .map(|range| {
            Ok::<_, LinkedInError>(DateRange {
                start: date(&range.start).ok_or_else(|| unexpected("a bad start date".into()))?,
                end: date(&range.end).ok_or_else(|| unexpected("a bad end date".into()))?,
            })
        })
        .transpose()?;
    Ok(AnalyticsPoint {
        count: element.count,
        metric,
        date_range,
    })
}

/// `metricType` is a plain string in newer versions and a one-entry union object
/// (`{"com.linkedin…CreatorPostAnalyticsMetricTypeV1": "IMPRESSION"}`) in older ones.
fn metric_name(value: &Value) -> Option<&str> {
    match value {
        Value::String(name) => Some(name),
        Value::Object(union) if union.len() == 1 => union.values().next()?.as_str(),
        _ => None,
    }
}

fn date(wire: &WireDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(wire.year, wire.month, wire.day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_query_keeps_restli_syntax_bare_and_encodes_the_urn() {
        let urn = PostUrn::parse("urn:li:share:7001").unwrap();
        let range = DateRange {
            start: day(2026, 1, 5),
            end: day(2026, 2, 1),
        };
        assert_eq!(
            analytics_query(&urn, Metric::Impression, Aggregation::Daily, Some(&range)),
            "q=entity&entity=(share:urn%3Ali%3Ashare%3A7001)&queryType=IMPRESSION\
             &aggregation=DAILY\
             &dateRange=(start:(day:5,month:1,year:2026),end:(day:1,month:2,year:2026))"
        );
        let ugc = PostUrn::parse("urn:li:ugcPost:9").unwrap();
        assert_eq!(
            analytics_query(&ugc, Metric::MembersReached, Aggregation::Total, None),
            "q=entity&entity=(ugc:urn%3Ali%3AugcPost%3A9)&queryType=MEMBERS_REACHED&aggregation=TOTAL"
        );
    }

    #[test]
    fn members_reached_is_a_total_and_the_rest_daily() {
        for metric in Metric::ALL {
            let expected = if metric == Metric::MembersReached {
                Aggregation::Total
            } else {
                Aggregation::Daily
            };
            assert_eq!(metric.aggregation(), expected);
            assert_eq!(Metric::parse(metric.as_str()), Some(metric));
        }
    }

    #[test]
    fn both_metric_type_forms_are_read() {
        let object = json!({"com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1": "REACTION"});
        assert_eq!(metric_name(&object), Some("REACTION"));
        assert_eq!(metric_name(&json!("REACTION")), Some("REACTION"));
        assert_eq!(metric_name(&json!(3)), None);
        assert_eq!(metric_name(&json!({"a": "X", "b": "Y"})), None);
    }

    #[test]
    fn an_element_becomes_a_point() {
        let element: Element = serde_json::from_value(json!({
            "count": 12,
            "metricType": "COMMENT",
            "targetEntity": {"share": "urn:li:share:1"},
            "dateRange": {"start": {"day": 31, "month": 1, "year": 2026},
                          "end": {"day": 1, "month": 2, "year": 2026}}
        }))
        .unwrap();
        assert_eq!(
            point(element).unwrap(),
            AnalyticsPoint {
                count: 12,
                metric: Metric::Comment,
                date_range: Some(DateRange {
                    start: day(2026, 1, 31),
                    end: day(2026, 2, 1)
                })
            }
        );
    }
}
