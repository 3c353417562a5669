//! Analytics: the account's totals, a daily chart and the range's posts, and one post's figures,
//! from the same range rules and store calls as `GET /api/v1/analytics`.

mod chart;
mod table;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use crate::domain::analytics::{DayRange, Metrics, RangeError, MAX_RANGE_DAYS};
use crate::domain::post::PostStatus;
use crate::domain::time::from_millis;
use crate::domain::PostId;
use crate::AppState;

use super::render::{local_time, page, Shell};
use super::session::CurrentUser;
use super::WebError;
use chart::grouped;
use table::{Pager, PostRow, SortColumn};

/// The presets of the range picker, in days ending today.
const PRESETS: [i64; 3] = [7, 30, 90];

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD`, as the API takes them, and the table's order.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<String>,
}

impl RangeQuery {
    /// A date field left empty on the form means "the default", as if absent.
    fn get(value: Option<&String>) -> Option<&str> {
        value.map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// One preset link.
struct Preset {
    label: String,
    href: String,
    current: bool,
}

/// The range picker: presets, two dates, and what was wrong with the last choice.
struct Picker {
    action: String,
    from: String,
    to: String,
    presets: Vec<Preset>,
    error: Option<String>,
}

/// One total.
struct Card {
    id: &'static str,
    label: &'static str,
    value: String,
}

/// One row of the chart's text alternative.
struct DayRow {
    date: String,
    impressions: String,
    engagements: String,
}

#[derive(Template)]
#[template(path = "analytics_figures.html")]
struct FiguresPart {
    cards: Vec<Card>,
    impressions_chart: String,
    engagements_chart: String,
    days: Vec<DayRow>,
}

#[derive(Template)]
#[template(path = "analytics.html")]
struct AnalyticsPage {
    shell: Shell,
    picker: Picker,
    range_label: String,
    figures: Option<FiguresPart>,
    empty: bool,
    columns: Vec<SortColumn>,
    posts: Vec<PostRow>,
    pager: Option<Pager>,
}

#[derive(Template)]
#[template(path = "post_analytics.html")]
struct PostAnalyticsPage {
    shell: Shell,
    id: String,
    excerpt: String,
    published: Option<String>,
    linkedin_url: Option<String>,
    picker: Option<Picker>,
    range_label: String,
    figures: Option<FiguresPart>,
}

/// A range error as a sentence beside the dates; exhaustive, so a new error must be worded.
fn range_message(err: &RangeError) -> String {
    match err {
        RangeError::MalformedDay { name, .. } => {
            let which = if name == "from" { "start" } else { "end" };
            format!("Enter the {which} date as YYYY-MM-DD.")
        }
        RangeError::FromAfterTo { from, to } => {
            format!("The start date ({from}) is after the end date ({to}); swap them.")
        }
        RangeError::TooLong { days } => format!(
            "The range covers {} days; choose at most {MAX_RANGE_DAYS}.",
            grouped(days.unsigned_abs())
        ),
    }
}

fn picker(action: &str, query: &RangeQuery, range: Option<DayRange>, today: NaiveDate) -> Picker {
    let presets = PRESETS
        .iter()
        .map(|days| {
            let from = today - Duration::days(days - 1);
            Preset {
                label: format!("Last {days} days"),
                href: format!("{action}?from={from}&to={today}"),
                current: range == Some(DayRange { from, to: today }),
            }
        })
        .collect();
    let shown = |value: Option<&String>, day: Option<NaiveDate>| match day {
        Some(day) => day.to_string(),
        None => value.cloned().unwrap_or_default(),
    };
    Picker {
        action: action.to_owned(),
        from: shown(query.from.as_ref(), range.map(|r| r.from)),
        to: shown(query.to.as_ref(), range.map(|r| r.to)),
        presets,
        error: None,
    }
}

fn range_label(range: DayRange) -> String {
    let day = |d: NaiveDate| d.format("%-d %b %Y").to_string();
    if range.days() == 1 {
        day(range.from)
    } else {
        format!(
            "{} – {} ({} days)",
            day(range.from),
            day(range.to),
            range.days()
        )
    }
}

/// Milliseconds at the start of a UTC day.
fn start_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis()
}

/// The cards, the two charts and their table, from the store's per-day rows.
fn figures(range: DayRange, rows: Vec<(NaiveDate, Metrics)>) -> FiguresPart {
    let by_day: HashMap<NaiveDate, Metrics> = rows.into_iter().collect();
    let mut total = Metrics::default();
    let mut impressions = Vec::with_capacity(range.days().unsigned_abs() as usize);
    let mut engagements = Vec::with_capacity(impressions.capacity());
    for day in range.iter() {
        let m = by_day.get(&day).copied().unwrap_or_default();
        total += m;
        impressions.push((day, m.impressions));
        engagements.push((day, m.reactions + m.comments + m.reposts));
    }
    let days = impressions
        .iter()
        .zip(&engagements)
        .map(|((day, i), (_, e))| DayRow {
            date: day.to_string(),
            impressions: grouped(*i),
            engagements: grouped(*e),
        })
        .collect();
    FiguresPart {
        cards: cards(&total),
        impressions_chart: chart::bars(
            "Impressions per day; the table below lists the numbers.",
            "impressions",
            &impressions,
        ),
        engagements_chart: chart::bars(
            "Engagements (reactions, comments and reposts) per day; the table below lists the \
             numbers.",
            "engagements",
            &engagements,
        ),
        days,
    }
}

fn cards(m: &Metrics) -> Vec<Card> {
    let card = |id, label, value| Card { id, label, value };
    vec![
        card("impressions", "Impressions", grouped(m.impressions)),
        card(
            "members-reached",
            "Members reached",
            grouped(m.members_reached),
        ),
        card("reactions", "Reactions", grouped(m.reactions)),
        card("comments", "Comments", grouped(m.comments)),
        card("reposts", "Reposts", grouped(m.reposts)),
        card(
            "engagement-rate",
            "Engagement rate",
            percent(m.engagement_rate()),
        ),
    ]
}

/// `0.0513` → `5.1%`.
pub fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// `/analytics`: totals, the daily chart and the range's posts.
pub async fn show_analytics(
    State(app): State<AppState>,
    current: CurrentUser,
    Query(query): Query<RangeQuery>,
) -> Result<Response, WebError> {
    let tz = current.timezone();
    let today = app.clock.now().with_timezone(&tz).date_naive();
    let parsed = DayRange::parse(
        RangeQuery::get(query.from.as_ref()),
        RangeQuery::get(query.to.as_ref()),
        today,
        DayRange::default_from,
    );
    let range = match parsed {
        Ok(range) => range,
        Err(err) => {
            let mut picker = picker("/analytics", &query, None, today);
            picker.error = Some(range_message(&err));
            let refused = AnalyticsPage {
                shell: Shell::new(&current, "analytics"),
                picker,
                range_label: String::new(),
                figures: None,
                empty: false,
                columns: Vec::new(),
                posts: Vec::new(),
                pager: None,
            };
            return page(StatusCode::BAD_REQUEST, &refused);
        }
    };
    let user = &current.user.id;
    let rows = app
        .store
        .daily_metrics(user, None, range.from, range.to)
        .await?;
    let until = start_ms(range.to) + Duration::days(1).num_milliseconds();
    let posts = app
        .store
        .post_totals(user, range.from, range.to, start_ms(range.from), until)
        .await?;
    let sort = table::Sort::parse(query.sort.as_deref(), query.dir.as_deref());
    let base = format!("/analytics?from={}&to={}", range.from, range.to);
    let pages = posts.len().div_ceil(table::PAGE_ROWS).max(1);
    let page = query
        .page
        .as_deref()
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let pager = table::pager(&base, sort, page, pages);
    ok_page(AnalyticsPage {
        shell: Shell::new(&current, "analytics"),
        picker: picker("/analytics", &query, Some(range), today),
        range_label: range_label(range),
        empty: posts.is_empty(),
        figures: (!posts.is_empty()).then(|| figures(range, rows)),
        columns: table::columns(&base, sort),
        posts: table::rows(posts, sort, tz, page),
        pager,
    })
}

fn ok_page(template: impl Template) -> Result<Response, WebError> {
    page(StatusCode::OK, &template)
}

/// `/posts/{id}/analytics`: one published post's figures; a draft's says it has none yet.
pub async fn show_post_analytics(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<PostId>,
    Query(query): Query<RangeQuery>,
) -> Result<Response, WebError> {
    let post = app.store.get_post(&current.user.id, &id).await?;
    let tz = current.timezone();
    let mut view = PostAnalyticsPage {
        shell: Shell::new(&current, "posts"),
        id: post.id.to_string(),
        excerpt: super::posts::excerpt(&post.fields.content, 280),
        published: post.published_at.map(|at| local_time(at, tz)),
        linkedin_url: post
            .linkedin_urn
            .as_deref()
            .map(crate::api::posts::linkedin_url),
        picker: None,
        range_label: String::new(),
        figures: None,
    };
    let (PostStatus::Published, Some(published_at)) = (post.fields.status, post.published_at)
    else {
        return ok_page(view);
    };
    let action = format!("/posts/{}/analytics", post.id);
    let published_day = from_millis(published_at).date_naive();
    let today = app.clock.now().with_timezone(&tz).date_naive();
    // The API's default: from the day of publication, at most a year back.
    let parsed = DayRange::parse(
        RangeQuery::get(query.from.as_ref()),
        RangeQuery::get(query.to.as_ref()),
        today,
        |to| {
            published_day
                .max(to - Duration::days(MAX_RANGE_DAYS - 1))
                .min(to)
        },
    );
    match parsed {
        Ok(range) => {
            let rows = app
                .store
                .daily_metrics(&current.user.id, Some(&post.id), range.from, range.to)
                .await?;
            view.picker = Some(picker(&action, &query, Some(range), today));
            view.range_label = range_label(range);
            view.figures = Some(figures(range, rows));
            ok_page(view)
        }
        Err(err) => {
            let mut picker = picker(&action, &query, None, today);
            picker.error = Some(range_message(&err));
            view.picker = Some(picker);
            page(StatusCode::BAD_REQUEST, &view)
        }
    }
}
