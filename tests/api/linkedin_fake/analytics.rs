//! `GET /rest/memberCreatorPostAnalytics?q=entity`: Rest.li 2.0 query values parsed from the
//! raw query string, where parentheses, colons and commas are syntax and a URN inside must be
//! percent-encoded.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, Days, NaiveDate};
use serde_json::{json, Value};

use super::{check_rest, restli_error, MetricTypeForm, Shared};

const METRICS: [&str; 5] = [
    "IMPRESSION",
    "MEMBERS_REACHED",
    "RESHARE",
    "REACTION",
    "COMMENT",
];
const UNION_KEY: &str =
    "com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1";

/// The handler.
pub async fn member_creator_post_analytics(
    State(state): State<Shared>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let caller = match check_rest(&state, &headers) {
        Ok(caller) => caller,
        Err(refused) => return *refused,
    };
    if !caller.has("r_member_postAnalytics") {
        return super::failure_response(super::Failure::Forbidden);
    }
    let query = query.unwrap_or_default();
    let params: HashMap<&str, &str> = query.split('&').filter_map(|p| p.split_once('=')).collect();
    let bad = |name: &str| restli_error(400, None, &format!("Invalid value for param: {name}"));
    if params.get("q") != Some(&"entity") {
        return bad("q");
    }
    let Some((key, urn)) = params.get("entity").and_then(|e| entity(e)) else {
        return bad("entity");
    };
    let Some(&metric) = params.get("queryType").filter(|m| METRICS.contains(m)) else {
        return bad("queryType");
    };
    let daily = match params.get("aggregation").copied().unwrap_or("TOTAL") {
        "DAILY" => true,
        "TOTAL" => false,
        _ => return bad("aggregation"),
    };
    if daily && metric == "MEMBERS_REACHED" {
        return restli_error(
            400,
            None,
            "MEMBERS_REACHED does not support DAILY aggregation",
        );
    }
    let range = match params.get("dateRange") {
        Some(raw) => match date_range(raw) {
            Some(range) => Some(range),
            None => return bad("dateRange"),
        },
        None if daily => return restli_error(400, None, "DAILY aggregation requires a dateRange"),
        None => None,
    };
    let fake = state.lock();
    let Some(post) = fake.posts.iter().find(|p| p.urn == urn && !p.deleted) else {
        return restli_error(404, None, &format!("{urn} does not exist"));
    };
    if post.author != format!("urn:li:person:{}", caller.sub) {
        return super::failure_response(super::Failure::Forbidden);
    }
    let count = fake
        .metrics
        .get(&(urn.clone(), metric.to_owned()))
        .copied()
        .unwrap_or(0);
    let metric_type = match fake.metric_type_form.unwrap_or(MetricTypeForm::Object) {
        MetricTypeForm::Object => json!({ UNION_KEY: metric }),
        MetricTypeForm::String => json!(metric),
    };
    let target_key = if key == "share" { "share" } else { "ugcPost" };
    let target = json!({ target_key: urn });
    let element = |range: Option<(NaiveDate, NaiveDate)>| {
        let mut element =
            json!({"count": count, "metricType": metric_type, "targetEntity": target});
        if let Some((start, end)) = range {
            element["dateRange"] = json!({"start": date_json(start), "end": date_json(end)});
        }
        element
    };
    let elements: Vec<Value> = match (daily, range) {
        (true, Some((start, end))) => start
            .iter_days()
            .take_while(|d| *d < end)
            .map(|d| element(Some((d, d + Days::new(1)))))
            .collect(),
        (_, range) => vec![element(range)],
    };
    let total = elements.len();
    Json(json!({"elements": elements, "paging": {"start": 0, "count": 10, "links": [], "total": total}}))
        .into_response()
}

/// `(share:urn%3Ali%3Ashare%3AN)` or `(ugc:urn%3Ali%3AugcPost%3AN)`: the key and the URN.
fn entity(raw: &str) -> Option<(String, String)> {
    let inner = raw.strip_prefix('(')?.strip_suffix(')')?;
    let (key, encoded) = inner.split_once(':')?;
    if encoded.contains([':', '(', ')', ',', '\'']) {
        return None;
    }
    let urn = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .ok()?
        .into_owned();
    let prefix = match key {
        "share" => "urn:li:share:",
        "ugc" => "urn:li:ugcPost:",
        _ => return None,
    };
    urn.starts_with(prefix).then(|| (key.to_owned(), urn))
}

/// `(start:(day:D,month:M,year:Y),end:(day:D,month:M,year:Y))`, start before end.
fn date_range(raw: &str) -> Option<(NaiveDate, NaiveDate)> {
    let inner = raw.strip_prefix("(start:")?.strip_suffix(')')?;
    let (start, end) = inner.split_once(",end:")?;
    let (start, end) = (date(start)?, date(end)?);
    (start < end).then_some((start, end))
}

fn date(raw: &str) -> Option<NaiveDate> {
    let fields: HashMap<&str, &str> = raw
        .strip_prefix('(')?
        .strip_suffix(')')?
        .split(',')
        .filter_map(|f| f.split_once(':'))
        .collect();
    let number = |name: &str| fields.get(name)?.parse::<i64>().ok();
    NaiveDate::from_ymd_opt(
        i32::try_from(number("year")?).ok()?,
        u32::try_from(number("month")?).ok()?,
        u32::try_from(number("day")?).ok()?,
    )
}

fn date_json(date: NaiveDate) -> Value {
    json!({"day": date.day(), "month": date.month(), "year": date.year()})
}
