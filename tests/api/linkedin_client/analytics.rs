//! Member post analytics: the Rest.li query, daily and total points, both `metricType` forms.

use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[tokio::test]
async fn analytics_reads_daily_points_as_plain_metric_type_strings() {
    let (fake, client, token) = connected().await;
    let urn = client
        .create_post(&token, "member-7", "Stats")
        .await
        .unwrap();
    fake.set_metric(&urn.to_string(), "IMPRESSION", 5);
    fake.set_metric_type_form(MetricTypeForm::String);
    let range = DateRange {
        start: day(2026, 10, 30),
        end: day(2026, 11, 2),
    };
    let points = client
        .post_analytics(
            &token,
            &urn,
            Metric::Impression,
            Aggregation::Daily,
            Some(&range),
        )
        .await
        .unwrap();
    let days: Vec<_> = points
        .iter()
        .map(|p| (p.count, p.metric, p.date_range.unwrap().start))
        .collect();
    assert_eq!(
        days,
        vec![
            (5, Metric::Impression, day(2026, 10, 30)),
            (5, Metric::Impression, day(2026, 10, 31)),
            (5, Metric::Impression, day(2026, 11, 1)),
        ]
    );
    assert_eq!(points[2].date_range.unwrap().end, day(2026, 11, 2));

    let request = fake.requests().pop().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/rest/memberCreatorPostAnalytics")
    );
    assert_eq!(
        request.query.unwrap(),
        format!(
            "q=entity&entity=(share:urn%3Ali%3Ashare%3A{})&queryType=IMPRESSION&aggregation=DAILY\
             &dateRange=(start:(day:30,month:10,year:2026),end:(day:2,month:11,year:2026))",
            urn.id()
        )
    );
    assert_eq!(request.headers["linkedin-version"], "202610");
    assert_eq!(request.headers["x-restli-protocol-version"], "2.0.0");
    assert_eq!(
        request.headers["authorization"],
        format!("Bearer {}", token.expose()).as_str()
    );
}

#[tokio::test]
async fn analytics_reads_totals_with_the_union_metric_type() {
    let (fake, client, token) = connected().await;
    let urn = client
        .create_post(&token, "member-7", "Reach")
        .await
        .unwrap();
    fake.set_metric(&urn.to_string(), "MEMBERS_REACHED", 42);
    fake.set_metric_type_form(MetricTypeForm::Object);
    let points = client
        .post_analytics(
            &token,
            &urn,
            Metric::MembersReached,
            Aggregation::Total,
            None,
        )
        .await
        .unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(
        (points[0].count, points[0].metric, points[0].date_range),
        (42, Metric::MembersReached, None)
    );
    assert_eq!(
        fake.requests().pop().unwrap().query.unwrap(),
        format!(
            "q=entity&entity=(share:urn%3Ali%3Ashare%3A{})&queryType=MEMBERS_REACHED&aggregation=TOTAL",
            urn.id()
        )
    );
}

#[tokio::test]
async fn analytics_need_their_scope() {
    let (fake, client, token) = connected().await;
    let urn = client
        .create_post(&token, "member-7", "Mine")
        .await
        .unwrap();
    let share_only = AccessToken::new(fake.token_for("member-7", "openid,profile,w_member_social"));
    let error = client
        .post_analytics(&share_only, &urn, Metric::Comment, Aggregation::Total, None)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "LINKEDIN_FORBIDDEN");
    let unknown = PostUrn::parse("urn:li:share:1").unwrap();
    let error = client
        .post_analytics(&token, &unknown, Metric::Comment, Aggregation::Total, None)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "LINKEDIN_NOT_FOUND");
}
