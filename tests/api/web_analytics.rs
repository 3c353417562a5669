//! The Analytics pages over HTTP: the API's figures for the same range, drawn as one bar per
//! day, the range's posts sortable by each column, and one post's figures.

use chrono::NaiveDate;
use linkedgrow::domain::analytics::Metrics;
use linkedgrow::domain::{Plan, PostId, Scope};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};
use crate::web_client::{signed_in, WebClient};

fn metrics(impressions: u64, reached: u64, reactions: u64, comments: u64, reposts: u64) -> Metrics {
    Metrics {
        impressions,
        members_reached: reached,
        reactions,
        comments,
        reposts,
    }
}

async fn record(app: &TestApp, key: &str, post: &str, on: &str, m: Metrics) {
    let user = app.user_of(key).await;
    let day: NaiveDate = on.parse().unwrap();
    app.store
        .record_post_metrics(&user, &PostId::from(post), day, m)
        .await
        .unwrap();
}

/// A signed-in user with a full API key.
async fn setup(app: &TestApp) -> (WebClient, String) {
    let (web, user) = signed_in(app, Plan::Business).await;
    let (_, key) = app.create_key(&user, &Scope::ALL).await;
    (web, key)
}

async fn api(app: &TestApp, key: &str, query: &str) -> Value {
    let response = app
        .as_key(key)
        .get(&format!("/api/v1/analytics?{query}"))
        .await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

/// `1234` → `1,234`, as the page writes numbers.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The text of the total card `id`.
fn total(html: &str, id: &str) -> String {
    let needle = format!(r#"id="total-{id}">"#);
    let start = html.find(&needle).unwrap_or_else(|| panic!("no {id}")) + needle.len();
    html[start..start + html[start..].find('<').unwrap()].to_owned()
}

/// The part of `html` from `start` to the next `end`.
fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start}"));
    let to = from + html[from..].find(end).unwrap();
    &html[from..to]
}

/// Two published posts with figures on a few days (today is 2026-01-05), as in the API's test.
async fn seeded(app: &TestApp, key: &str) -> (String, String) {
    app.clock.set("2026-01-01T23:59:59Z".parse().unwrap());
    let a = app.published_post(key, "First post").await;
    app.clock.set("2026-01-04T00:00:00Z".parse().unwrap());
    let b = app.published_post(key, "Second post").await;
    app.clock.set("2026-01-05T09:00:00Z".parse().unwrap());
    record(app, key, &a, "2026-01-01", metrics(1000, 800, 30, 10, 10)).await;
    record(app, key, &b, "2026-01-01", metrics(500, 400, 5, 0, 0)).await;
    record(app, key, &a, "2026-01-03", metrics(200, 150, 4, 2, 4)).await;
    record(app, key, &a, "2025-12-31", metrics(7, 7, 7, 7, 7)).await;
    (a, b)
}

#[tokio::test]
async fn totals_are_the_apis_and_the_chart_has_one_bar_per_day() {
    let app = spawn_app().await;
    let (web, key) = setup(&app).await;
    seeded(&app, &key).await;

    for (query, days) in [
        ("from=2026-01-01&to=2026-01-04", 4),
        ("from=2026-01-01&to=2026-01-01", 1),
        ("from=2025-12-03&to=2026-01-01", 30),
        ("from=2025-01-01&to=2026-01-01", 366),
    ] {
        let html = web.page(&format!("/analytics?{query}")).await;
        let body = api(&app, &key, query).await;
        let totals = &body["totals"];
        for (id, field) in [
            ("impressions", "impressions"),
            ("members-reached", "membersReached"),
            ("reactions", "reactions"),
            ("comments", "comments"),
            ("reposts", "reposts"),
        ] {
            assert_eq!(
                total(&html, id),
                grouped(totals[field].as_u64().unwrap()),
                "{query} {id}"
            );
        }
        assert_eq!(
            total(&html, "engagement-rate"),
            format!("{:.1}%", totals["engagementRate"].as_f64().unwrap() * 100.0),
            "{query}"
        );

        let impressions = section(&html, r#"id="chart-impressions""#, "</svg>");
        let engagements = section(&html, r#"id="chart-engagements""#, "</svg>");
        assert_eq!(
            impressions.matches(r#"class="bar""#).count(),
            days,
            "{query}"
        );
        assert_eq!(
            engagements.matches(r#"class="bar""#).count(),
            days,
            "{query}"
        );
        assert_eq!(impressions.matches("<title>").count(), days, "{query}");
        let table = section(&html, r#"id="chart-data""#, "</table>");
        assert_eq!(table.matches(r#"<th scope="row">"#).count(), days);
        let daily = body["daily"].as_array().unwrap();
        assert_eq!(daily.len(), days);
        for day in daily {
            let date = day["date"].as_str().unwrap();
            let value = grouped(day["impressions"].as_u64().unwrap());
            let title = format!("<title>{date}: {value} impressions</title>");
            assert!(impressions.contains(&title), "{query}: {title}");
            let engaged = ["reactions", "comments", "reposts"]
                .iter()
                .map(|f| day[*f].as_u64().unwrap())
                .sum::<u64>();
            let title = format!("<title>{date}: {} engagements</title>", grouped(engaged));
            assert!(engagements.contains(&title), "{query}: {title}");
            assert!(
                table.contains(&format!(r#"<th scope="row">{date}</th><td>{value}</td>"#)),
                "{query}: {date}"
            );
        }
    }
    let html = web.page("/analytics?from=2026-01-01&to=2026-01-04").await;
    assert_eq!(total(&html, "impressions"), "1,700");
    assert!(html.contains("<title>2026-01-01: 1,500 impressions</title>"));
    assert!(html.contains("<title>2026-01-02: 0 impressions</title>"));
    assert!(html.contains("<title>2026-01-01: 55 engagements</title>"));
    assert!(!html.contains("No published posts in this range yet."));

    // Without a range: the last 30 days, as the API.
    let html = web.page("/analytics").await;
    assert_eq!(
        section(&html, r#"id="chart-impressions""#, "</svg>")
            .matches(r#"class="bar""#)
            .count(),
        30
    );
    assert_eq!(total(&html, "impressions"), "1,707");
    assert!(html.contains(r#"value="2025-12-07""#), "{html}");
}

#[tokio::test]
async fn a_range_without_published_posts_says_so() {
    let app = spawn_app().await;
    let (web, key) = setup(&app).await;
    let html = web.page("/analytics").await;
    assert!(html.contains("No published posts in this range yet."));
    seeded(&app, &key).await;
    let html = web.page("/analytics?from=2025-06-01&to=2025-06-30").await;
    assert!(html.contains("No published posts in this range yet."));
    assert!(!html.contains(r#"class="bar""#));
    let html = web.page("/analytics?from=2026-01-01&to=2026-01-01").await;
    assert!(!html.contains("No published posts in this range yet."));
}

#[tokio::test]
async fn invalid_ranges_are_explained_on_the_page() {
    let app = spawn_app().await;
    let (web, _) = setup(&app).await;
    for (query, message) in [
        (
            "from=2025-01-01&to=2026-01-02",
            "The range covers 367 days; choose at most 366.",
        ),
        (
            "from=2026-01-03&to=2026-01-02",
            "The start date (2026-01-03) is after the end date (2026-01-02); swap them.",
        ),
        ("from=yesterday", "Enter the start date as YYYY-MM-DD."),
        (
            "from=2026-01-01&to=2026-02-30",
            "Enter the end date as YYYY-MM-DD.",
        ),
    ] {
        let response = web.get(&format!("/analytics?{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{query}: {html}");
        assert!(html.contains(r#"role="alert""#));
        assert!(html.contains(r#"id="range-from""#), "the picker stays");
        assert!(!html.contains(r#"class="bar""#));
    }
    // An emptied date field means the default.
    let html = web.page("/analytics?from=&to=").await;
    assert!(html.contains("Last 30 days"));
}

#[tokio::test]
async fn the_posts_table_sorts_by_each_column_in_the_url() {
    let app = spawn_app().await;
    let (web, key) = setup(&app).await;
    let mut ids = Vec::new();
    for (i, (content, m)) in [
        ("Post a", metrics(300, 10, 5, 9, 1)),
        ("Post b", metrics(100, 30, 9, 1, 5)),
        ("Post c", metrics(200, 20, 1, 5, 9)),
    ]
    .into_iter()
    .enumerate()
    {
        app.clock
            .set(format!("2026-01-0{}T10:00:00Z", i + 1).parse().unwrap());
        let id = app.published_post(&key, content).await;
        record(&app, &key, &id, "2026-01-04", m).await;
        ids.push(id);
    }
    let draft = app.create_post(&key, "A draft").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = |html: &str| {
        let mut found: Vec<(usize, &str)> = ["a", "b", "c"]
            .iter()
            .zip(&ids)
            .map(|(name, id)| {
                let at = html
                    .find(&format!(r#"href="/posts/{id}/analytics""#))
                    .unwrap_or_else(|| panic!("post {name} missing"));
                (at, *name)
            })
            .collect();
        found.sort_unstable();
        found.into_iter().map(|(_, name)| name).collect::<String>()
    };
    let base = "/analytics?from=2026-01-01&to=2026-01-05";
    let html = web.page(base).await;
    assert_eq!(order(&html), "cba", "newest first by default");
    assert!(!html.contains(&draft), "drafts are not listed");
    for (column, descending) in [
        ("published", "cba"),
        ("impressions", "acb"),
        ("reached", "bca"),
        ("reactions", "bac"),
        ("comments", "acb"),
        ("reposts", "cba"),
        ("engagement", "bca"),
    ] {
        let html = web.page(&format!("{base}&sort={column}&dir=desc")).await;
        assert_eq!(order(&html), descending, "{column} desc");
        assert!(
            html.contains(&format!("sort={column}&#38;dir=asc")),
            "{column}: its header flips the order"
        );
        let html = web.page(&format!("{base}&sort={column}&dir=asc")).await;
        let ascending: String = descending.chars().rev().collect();
        assert_eq!(order(&html), ascending, "{column} asc");
        assert!(html.contains(r#"aria-sort="ascending""#));
    }
}

#[tokio::test]
async fn one_posts_figures_from_the_posts_page() {
    let app = spawn_app().await;
    let (web, key) = setup(&app).await;
    app.clock.set("2026-01-02T15:00:00Z".parse().unwrap());
    let post = app.published_post(&key, "Published one").await;
    let other = app.published_post(&key, "Another one").await;
    app.clock.set("2026-01-05T09:00:00Z".parse().unwrap());
    record(&app, &key, &post, "2026-01-02", metrics(100, 80, 3, 1, 1)).await;
    record(&app, &key, &post, "2026-01-04", metrics(300, 200, 10, 5, 0)).await;
    record(&app, &key, &other, "2026-01-04", metrics(5000, 1, 1, 1, 1)).await;
    let draft = app.create_post(&key, "Still a draft").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let list = web.page("/posts").await;
    let link = format!(r#"href="/posts/{post}/analytics""#);
    assert!(list.contains(&link), "{list}");
    assert!(!list.contains(&format!(r#"href="/posts/{draft}/analytics""#)));

    // From publication to today, as the API.
    let html = web.page(&format!("/posts/{post}/analytics")).await;
    assert!(html.contains("Published one"));
    assert_eq!(total(&html, "impressions"), "400");
    assert_eq!(total(&html, "members-reached"), "280");
    assert_eq!(total(&html, "engagement-rate"), "5.0%");
    assert_eq!(html.matches(r#"class="bar""#).count(), 2 * 4);
    assert!(html.contains("<title>2026-01-04: 300 impressions</title>"));
    let html = web
        .page(&format!(
            "/posts/{post}/analytics?from=2026-01-03&to=2026-01-03"
        ))
        .await;
    assert_eq!(total(&html, "impressions"), "0");
    let response = web
        .get(&format!(
            "/posts/{post}/analytics?from=2025-01-01&to=2026-01-05"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("choose at most 366"));

    let html = web.page(&format!("/posts/{draft}/analytics")).await;
    assert!(html.contains("This post is not published yet, so it has no figures."));
    assert!(!html.contains(r#"class="bar""#));

    let (stranger, _) = signed_in(&app, Plan::Business).await;
    let response = stranger.get(&format!("/posts/{post}/analytics")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// The table comes in pages of 50 in the asked order; the pager keeps the range and the order.
#[tokio::test]
async fn the_posts_table_is_paged_in_its_order() {
    use linkedgrow::domain::post::{PostFields, PostStatus};

    let app = spawn_app().await; // today is 2026-01-05
    let (web, user) = signed_in(&app, Plan::Business).await;
    let at = app.now_ms() - 86_400_000;
    for i in 0..55_u64 {
        let id = PostId::generate();
        let fields = PostFields {
            content: format!("Post {i:02}"),
            status: PostStatus::Draft,
            scheduled_at: None,
        };
        app.store
            .insert_post(&user.id, &id, &fields, at)
            .await
            .unwrap();
        app.store.mark_published(&user.id, &id, at).await.unwrap();
        let day = chrono::DateTime::from_timestamp_millis(at)
            .unwrap()
            .date_naive();
        app.store
            .record_post_metrics(&user.id, &id, day, metrics(100 + i, 1, 1, 1, 1))
            .await
            .unwrap();
    }
    let rows = r#"<td class="num" data-label="Impressions">"#;
    let first = web.page("/analytics?sort=impressions&dir=asc").await;
    assert_eq!(first.matches(rows).count(), 50);
    assert!(first.contains("Post 00"), "the smallest first");
    assert!(first.contains("Page 1 of 2"));
    let next = first
        .split(r#"rel="next""#)
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .map(|href| {
            href.trim_end_matches(['"', ' '])
                .replace("&#38;", "&")
                .replace("&amp;", "&")
        })
        .unwrap();
    assert!(next.contains("sort=impressions&dir=asc&page=2"), "{next}");
    let second = web.page(&next).await;
    assert_eq!(second.matches(rows).count(), 5);
    assert!(second.contains("Post 54") && !second.contains("Post 00"));
}

/// The render time of `/analytics` over a year with 1,000 posts, each with daily figures for
/// its first 30 days (so every day of the year has figures): the median of 50 requests.
/// Ignored in the normal suite (no timing assertions there); run it with
/// `cargo test --release --test api analytics_render_time -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement, not a check"]
async fn analytics_render_time() {
    use linkedgrow::domain::post::{PostFields, PostStatus};
    use std::time::Instant;

    let app = spawn_app().await; // today is 2026-01-05
    let (web, user) = signed_in(&app, Plan::Business).await;
    let first: NaiveDate = "2025-01-05".parse().unwrap();
    let day_ms = 86_400_000;
    let start_ms = first
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis();
    for i in 0..1_000_i64 {
        let id = PostId::generate();
        let fields = PostFields {
            content: format!("Post number {i} about something worth reading"),
            status: PostStatus::Draft,
            scheduled_at: None,
        };
        let at = start_ms + i * 365 * day_ms / 1_000;
        app.store
            .insert_post(&user.id, &id, &fields, at)
            .await
            .unwrap();
        app.store.mark_published(&user.id, &id, at).await.unwrap();
        let published = chrono::DateTime::from_timestamp_millis(at)
            .unwrap()
            .date_naive();
        for (age, day) in published.iter_days().take(30).enumerate() {
            let impressions = 3_000 / (age as u64 + 1) + i.unsigned_abs() % 97;
            let m = metrics(impressions, impressions / 2, impressions / 40, 3, 1);
            app.store
                .record_post_metrics(&user.id, &id, day, m)
                .await
                .unwrap();
        }
    }
    let path = "/analytics?from=2025-01-05&to=2026-01-05&sort=impressions&dir=desc";
    let html = web.page(path).await;
    assert_eq!(html.matches(r#"class="bar""#).count(), 2 * 366);
    assert_eq!(
        html.matches(r#"<td class="num" data-label="Impressions">"#)
            .count(),
        50,
        "one page of the table"
    );
    assert!(html.contains("Page 1 of 20"));
    let mut times = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let response = web.get(path).await;
        let body = response.bytes().await.unwrap();
        times.push(started.elapsed());
        assert!(!body.is_empty());
    }
    times.sort();
    // The same range through the API: the per-day sums alone, for comparison.
    let key = app
        .create_key(&user, &[linkedgrow::domain::Scope::AnalyticsRead])
        .await
        .1;
    let mut api_times = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let response = app
            .as_key(&key)
            .get("/api/v1/analytics?from=2025-01-05&to=2026-01-05")
            .await;
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
        api_times.push(started.elapsed());
    }
    api_times.sort();
    println!(
        "GET /api/v1/analytics, same range: median {:?}",
        api_times[25]
    );
    println!(
        "GET /analytics, 366 days, 1,000 posts ({} KiB): median {:?}, fastest {:?}, slowest {:?}",
        html.len() / 1024,
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
}
