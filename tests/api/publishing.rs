//! Publishing to LinkedIn: the real client against the stand-in, with the test clock.

use std::time::Duration;

use linkedgrow::clock::Clock;
use linkedgrow::domain::{Plan, UserId};
use linkedgrow::linkedin::{AccessToken, Scopes};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app_publishing_to, TestApp};
use crate::linkedin_fake::{Failure, FakeLinkedIn, ALL_SCOPES};

/// A server publishing to `fake`, a Business user with a key holding every scope, and (with
/// `connect`) the stand-in's `member-1` connected for them.
async fn publishing_app(fake: &FakeLinkedIn, connect: bool) -> (TestApp, String, UserId) {
    let app = spawn_app_publishing_to(fake.url()).await;
    let user = app.create_user(Plan::Business).await;
    let (_, key) = app.create_key(&user, &linkedgrow::domain::Scope::ALL).await;
    if connect {
        let token = AccessToken::new(fake.token_for("member-1", ALL_SCOPES));
        app.publisher
            .connect_member(
                &user.id,
                &token,
                Some(Duration::from_secs(60 * 86_400)),
                &Scopes::parse(ALL_SCOPES),
            )
            .await
            .unwrap();
    }
    (app, key, user.id)
}

/// Schedules `content` an hour after the test clock's now; returns the post's id.
async fn schedule(app: &TestApp, key: &str, content: &str) -> String {
    let at = (app.clock.now() + chrono::Duration::hours(1)).to_rfc3339();
    let response = app
        .send(
            Method::POST,
            "/api/v1/posts",
            key,
            Some(json!({"content": content, "status": "scheduled", "scheduledAt": at})),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn post(app: &TestApp, key: &str, id: &str) -> Value {
    let response = app
        .send(Method::GET, &format!("/api/v1/posts/{id}"), key, None)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A new draft's id.
async fn new_draft(app: &TestApp, key: &str, content: &str) -> String {
    app.create_post(key, content).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `POST /api/v1/posts/{id}/publish`.
async fn publish_now(app: &TestApp, key: &str, id: &str) -> reqwest::Response {
    app.send(
        Method::POST,
        &format!("/api/v1/posts/{id}/publish"),
        key,
        None,
    )
    .await
}

/// Moves the clock to when the post is due and runs the publisher once.
async fn run_due(app: &TestApp) {
    app.clock.advance(chrono::Duration::hours(1));
    app.publisher.tick().await.unwrap();
}

#[tokio::test]
async fn a_due_post_goes_to_linkedin_as_documented_and_comes_back_published() {
    let fake = FakeLinkedIn::start().await;
    let (app, key, _) = publishing_app(&fake, true).await;
    let text = "Launch day (finally) #rust_lang @team [v2] <3 *bold* _it_ ~x~ | {a} \\ ok";
    let id = schedule(&app, &key, text).await;

    app.publisher.tick().await.unwrap();
    assert!(fake.posts().is_empty(), "not due yet");

    run_due(&app).await;
    let sent = fake.posts();
    assert_eq!(sent.len(), 1);
    let sent = &sent[0];
    assert_eq!(sent.text, text, "LinkedIn shows the whole text");
    assert_eq!(
        sent.body,
        json!({
            "author": "urn:li:person:member-1",
            "commentary": linkedgrow::linkedin::little_text::escape(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": []
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false
        })
    );
    assert!(
        sent.commentary.contains("{hashtag|\\#|rust\\_lang}"),
        "{}",
        sent.commentary
    );
    assert_eq!(sent.headers["linkedin-version"], "202610");
    assert_eq!(sent.headers["x-restli-protocol-version"], "2.0.0");
    assert_eq!(sent.headers["content-type"], "application/json");
    assert!(sent.headers["authorization"]
        .to_str()
        .unwrap()
        .starts_with("Bearer "));

    let ours = post(&app, &key, &id).await;
    assert_eq!(ours["status"], "published");
    assert_eq!(ours["linkedinUrn"], sent.urn.as_str());
    assert_eq!(
        ours["linkedinUrl"],
        format!("https://www.linkedin.com/feed/update/{}/", sent.urn)
    );
    assert_eq!(ours["publishedAt"], "2026-01-05T10:00:00Z");
    assert_eq!(ours["failure"], Value::Null);
    assert_eq!(ours["scheduledAt"], Value::Null);

    app.publisher.tick().await.unwrap();
    assert_eq!(fake.posts().len(), 1, "published once, not again");
}

/// Schedules a post, makes it due, and answers its failure code and whether LinkedIn got it.
async fn failure_of(
    app: &TestApp,
    key: &str,
    fake: &FakeLinkedIn,
    content: &str,
) -> (Value, usize) {
    let before = fake.posts().len() + fake.requests().len();
    let id = schedule(app, key, content).await;
    run_due(app).await;
    let ours = post(app, key, &id).await;
    assert_eq!(ours["status"], "failed", "{ours}");
    assert!(ours["failure"]["message"].as_str().unwrap().len() > 10);
    assert_eq!(
        ours["failure"]["at"],
        app.clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    (
        ours["failure"]["code"].clone(),
        fake.posts().len() + fake.requests().len() - before,
    )
}

#[tokio::test]
async fn without_a_connection_nothing_is_sent_and_the_post_fails() {
    let fake = FakeLinkedIn::start().await;
    let (app, key, _) = publishing_app(&fake, false).await;
    let (code, sent) = failure_of(&app, &key, &fake, "nobody to post as").await;
    assert_eq!(code, "LINKEDIN_NOT_CONNECTED");
    assert_eq!(sent, 0);
    let failed = app
        .send(Method::GET, "/api/v1/posts?status=failed", &key, None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(failed["total"], 1);
}

#[tokio::test]
async fn an_expired_token_sends_nothing() {
    let fake = FakeLinkedIn::start().await;
    let (app, key, _) = publishing_app(&fake, true).await;
    app.clock.advance(chrono::Duration::days(61));
    let (code, sent) = failure_of(&app, &key, &fake, "too late").await;
    assert_eq!(code, "LINKEDIN_TOKEN_EXPIRED");
    assert_eq!(sent, 0);
}

#[tokio::test]
async fn each_refusal_of_linkedin_has_its_code() {
    let fake = FakeLinkedIn::start().await;
    let (app, key, _) = publishing_app(&fake, true).await;

    fake.fail_next(1, Failure::Forbidden);
    assert_eq!(
        failure_of(&app, &key, &fake, "a").await.0,
        "LINKEDIN_FORBIDDEN"
    );

    // The same text again, by a member whose earlier post is not in doubt: a plain rejection.
    let id = schedule(&app, &key, "said before").await;
    run_due(&app).await;
    assert_eq!(post(&app, &key, &id).await["status"], "published");
    assert_eq!(
        failure_of(&app, &key, &fake, "said before").await.0,
        "LINKEDIN_REJECTED"
    );

    fake.retire_version("202610");
    assert_eq!(
        failure_of(&app, &key, &fake, "b").await.0,
        "LINKEDIN_VERSION_RETIRED"
    );
}

#[tokio::test]
async fn a_refused_token_fails_the_post_and_asks_to_reconnect() {
    let fake = FakeLinkedIn::start().await;
    let (app, key, _) = publishing_app(&fake, true).await;
    fake.fail_next(1, Failure::Unauthorized);
    assert_eq!(
        failure_of(&app, &key, &fake, "x").await.0,
        "LINKEDIN_TOKEN_INVALID"
    );
    let profile: Value = app
        .send(Method::GET, "/api/v1/profile", &key, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["linkedin"]["needsReconnect"], true);
    assert_eq!(profile["linkedin"]["connected"], true);
    // Nothing more is sent until the member reconnects.
    let (code, sent) = failure_of(&app, &key, &fake, "y").await;
    assert_eq!((code.as_str(), sent), (Some("LINKEDIN_TOKEN_INVALID"), 0));
}

#[tokio::test]
async fn throttling_and_outages_are_retried_as_linkedin_asks_then_give_up_after_an_hour() {
    let fake = FakeLinkedIn::start().await;
    let (app, key, _) = publishing_app(&fake, true).await;
    let id = schedule(&app, &key, "patience").await;

    fake.fail_next(
        1,
        Failure::TooManyRequests {
            retry_after: Some(7),
        },
    );
    run_due(&app).await;
    assert_eq!(post(&app, &key, &id).await["status"], "scheduled");
    app.clock.advance(chrono::Duration::seconds(6));
    app.publisher.tick().await.unwrap();
    assert!(fake.posts().is_empty(), "Retry-After: 7 is honoured");
    app.clock.advance(chrono::Duration::seconds(1));
    fake.fail_next(1, Failure::TooManyRequests { retry_after: None });
    app.publisher.tick().await.unwrap();
    assert!(fake.posts().is_empty());
    app.clock.advance(chrono::Duration::seconds(7));
    app.publisher.tick().await.unwrap();
    assert_eq!(
        fake.posts().len(),
        1,
        "published after two throttled attempts"
    );
    assert_eq!(post(&app, &key, &id).await["status"], "published");

    // An outage that lasts: retried with growing waits, then failed after an hour.
    let id = schedule(&app, &key, "into the void").await;
    fake.fail_next(10_000, Failure::Unavailable { retry_after: None });
    app.clock.advance(chrono::Duration::hours(1));
    let started = app.clock.now();
    let mut attempts = 0;
    while post(&app, &key, &id).await["status"] == "scheduled" {
        app.publisher.tick().await.unwrap();
        attempts += 1;
        app.clock.advance(chrono::Duration::seconds(1));
        let due = app.store.next_due_at().await.unwrap();
        if let Some(due) = due {
            app.clock
                .set(chrono::DateTime::from_timestamp_millis(due.max(app.now_ms())).unwrap());
        }
        assert!(attempts < 200, "gave up in time");
    }
    let ours = post(&app, &key, &id).await;
    assert_eq!(ours["failure"]["code"], "LINKEDIN_UNAVAILABLE");
    let waited = app.clock.now() - started;
    assert!(waited >= chrono::Duration::hours(1), "{waited}");
    assert!(waited < chrono::Duration::minutes(70), "{waited}");
    assert!(
        (10..40).contains(&attempts),
        "backoff, not a retry a second: {attempts}"
    );
}

#[tokio::test]
async fn two_publishers_on_one_database_send_each_of_twenty_due_posts_once() {
    let fake = FakeLinkedIn::start().await;
    let (app, key, _) = publishing_app(&fake, true).await;
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(schedule(&app, &key, &format!("post number {n}")).await);
    }
    // A second server process on the same file: its own connections, its own publisher.
    let mut config = linkedgrow::config::Config::new(linkedgrow::config::DatabaseUrl::Sqlite(
        app.db_path.clone(),
    ));
    config.publishing = crate::helpers::linkedin_settings(fake.url(), &app.address);
    let other = linkedgrow::AppState::from_config(&config, app.clock.clone())
        .await
        .unwrap();
    fake.set_delay(Some(Duration::from_millis(30)));
    app.clock.advance(chrono::Duration::hours(1));
    let (a, b) = tokio::join!(app.publisher.tick(), other.publisher.tick());
    a.unwrap();
    b.unwrap();
    let sent = fake.posts();
    assert_eq!(sent.len(), 20, "each post sent exactly once");
    for id in ids {
        let ours = post(&app, &key, &id).await;
        assert_eq!(ours["status"], "published");
        assert_eq!(
            sent.iter().filter(|p| p.urn == ours["linkedinUrn"]).count(),
            1
        );
    }
}

#[tokio::test]
async fn publish_now_answers_with_the_published_post_or_the_failure() {
    let fake = FakeLinkedIn::start().await;
    let (app, key, user_id) = publishing_app(&fake, true).await;
    let draft = new_draft(&app, &key, "right now").await;
    let path = format!("/api/v1/posts/{draft}/publish");
    let response = app.send(Method::POST, &path, &key, None).await;
    assert_eq!(response.status(), 200);
    let published: Value = response.json().await.unwrap();
    assert_eq!(published["status"], "published");
    assert_eq!(published["linkedinUrn"], fake.posts()[0].urn.as_str());
    let again = app.send(Method::POST, &path, &key, None).await;
    assert_error(again, 409, "POST_PUBLISHED").await;

    let rejected = new_draft(&app, &key, "right now").await;
    let response = publish_now(&app, &key, &rejected).await;
    assert_error(response, 422, "LINKEDIN_REJECTED").await;
    assert_eq!(post(&app, &key, &rejected).await["status"], "failed");

    fake.fail_next(1, Failure::ServerError);
    let unavailable = new_draft(&app, &key, "a bad moment").await;
    let response = publish_now(&app, &key, &unavailable).await;
    assert_error(response, 502, "LINKEDIN_UNAVAILABLE").await;
    // A failed post can be published again; LinkedIn then takes it.
    let response = publish_now(&app, &key, &unavailable).await;
    assert_eq!(response.status(), 200);

    app.store
        .delete_linkedin_account(&user_id, app.now_ms())
        .await
        .unwrap();
    let lonely = new_draft(&app, &key, "no one listening").await;
    let response = publish_now(&app, &key, &lonely).await;
    assert_error(response, 409, "LINKEDIN_NOT_CONNECTED").await;
    let missing = publish_now(&app, &key, "post_0000000000000000").await;
    assert_error(missing, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn a_failed_post_is_rescheduled_and_its_failure_cleared() {
    let fake = FakeLinkedIn::start().await;
    let (app, key, _) = publishing_app(&fake, true).await;
    fake.fail_next(1, Failure::Forbidden);
    let id = schedule(&app, &key, "second chance").await;
    run_due(&app).await;
    assert_eq!(post(&app, &key, &id).await["status"], "failed");
    let at = (app.clock.now() + chrono::Duration::hours(1)).to_rfc3339();
    let response = app
        .send(
            Method::PUT,
            &format!("/api/v1/posts/{id}"),
            &key,
            Some(json!({"status": "scheduled", "scheduledAt": at})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let ours: Value = response.json().await.unwrap();
    assert_eq!(ours["failure"], Value::Null);
    run_due(&app).await;
    assert_eq!(post(&app, &key, &id).await["status"], "published");
}

#[tokio::test]
async fn delete_from_linkedin_removes_the_post_there_first() {
    let fake = FakeLinkedIn::start().await;
    let (app, key, _) = publishing_app(&fake, true).await;
    let id = schedule(&app, &key, "short-lived").await;
    run_due(&app).await;
    let plain = new_draft(&app, &key, "never published").await;
    let response = app
        .send(
            Method::DELETE,
            &format!("/api/v1/posts/{plain}"),
            &key,
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .send(
            Method::DELETE,
            &format!("/api/v1/posts/{id}?fromLinkedIn=true"),
            &key,
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(fake.posts()[0].deleted, "deleted on LinkedIn");
    let gone = app
        .send(Method::GET, &format!("/api/v1/posts/{id}"), &key, None)
        .await;
    assert_error(gone, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn the_analytics_sync_fills_the_figures_in_either_metric_form_and_replaces_them() {
    use crate::linkedin_fake::MetricTypeForm;
    let fake = FakeLinkedIn::start().await;
    let (app, key, user_id) = publishing_app(&fake, true).await;
    let id = schedule(&app, &key, "worth measuring").await;
    run_due(&app).await;
    let urn = post(&app, &key, &id).await["linkedinUrn"]
        .as_str()
        .unwrap()
        .to_owned();
    for (metric, count) in [
        ("IMPRESSION", 100),
        ("REACTION", 5),
        ("COMMENT", 2),
        ("RESHARE", 1),
        ("MEMBERS_REACHED", 80),
    ] {
        fake.set_metric(&urn, metric, count);
    }
    app.clock.advance(chrono::Duration::days(2));
    for form in [
        MetricTypeForm::Object,
        MetricTypeForm::String,
        MetricTypeForm::Object,
    ] {
        fake.set_metric_type_form(form);
        let report = app.publisher.sync_analytics(&user_id).await.unwrap();
        assert_eq!((report.posts, report.skipped), (1, None));
        let figures: Value = app
            .send(
                Method::GET,
                "/api/v1/analytics?from=2026-01-05&to=2026-01-07",
                &key,
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        // LinkedIn reports each of the three days; reach is a lifetime total, counted once.
        let totals = &figures["totals"];
        assert_eq!(totals["impressions"], 300, "{form:?}: {figures}");
        assert_eq!(totals["reactions"], 15);
        assert_eq!(totals["comments"], 6);
        assert_eq!(totals["reposts"], 3);
        assert_eq!(totals["membersReached"], 80);
        assert_eq!(figures["daily"][1]["impressions"], 100);
    }
    let request = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/rest/memberCreatorPostAnalytics")
        .unwrap();
    assert_eq!(request.headers["linkedin-version"], "202610");
}

#[tokio::test]
async fn without_the_analytics_product_the_sync_skips_the_account() {
    let fake = FakeLinkedIn::start().await;
    let (app, key, user_id) = publishing_app(&fake, false).await;
    let scopes = "openid,profile,w_member_social";
    let token = AccessToken::new(fake.token_for("member-1", scopes));
    let account = app
        .publisher
        .connect_member(&user_id, &token, None, &Scopes::parse(scopes))
        .await
        .unwrap();
    assert_eq!(account.member_name, "Ada Lovelace");
    let id = schedule(&app, &key, "unmeasured").await;
    run_due(&app).await;
    assert_eq!(post(&app, &key, &id).await["status"], "published");
    let report = app.publisher.sync_analytics(&user_id).await.unwrap();
    assert_eq!(report.posts, 0);
    assert!(report.skipped.unwrap().contains("403"));
}
