//! The LinkedIn client against the stand-in: each operation's exact request, each failure's
//! classification, the duplicate's URN, both `metricType` forms, and no secret in any output.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use linkedgrow::linkedin::little_text;
use linkedgrow::linkedin::{
    AccessToken, Aggregation, ClientConfig, DateRange, LinkedInClient, LinkedInError, Metric,
    PostUrn,
};
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::linkedin_fake::{
    Failure, FakeLinkedIn, MetricTypeForm, ALL_SCOPES, CLIENT_ID, CLIENT_SECRET,
};

const REDIRECT_URI: &str = "https://app.example/settings/linkedin/callback";

fn new_client(config: ClientConfig) -> LinkedInClient {
    LinkedInClient::new(config).unwrap()
}

/// A member with every scope, a client, and the member's token.
async fn connected() -> (FakeLinkedIn, LinkedInClient, AccessToken) {
    let fake = FakeLinkedIn::start().await;
    let token = AccessToken::new(fake.token_for("member-7", ALL_SCOPES));
    let client = new_client(fake.client_config());
    (fake, client, token)
}

/// What a browser does on the consent page: read the form, press `decision`; answers the
/// redirect's target.
async fn consent(authorization_url: &str, decision: &str) -> url::Url {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(authorization_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(">Allow<") && html.contains(">Cancel<"),
        "{html}"
    );
    let action = url::Url::parse(authorization_url)
        .unwrap()
        .join("/oauth/v2/authorization/decision")
        .unwrap();
    let mut form = vec![("decision".to_owned(), decision.to_owned())];
    for name in ["redirect_uri", "state", "scope"] {
        let marker = format!(r#"name="{name}" value=""#);
        let start = html.find(&marker).unwrap() + marker.len();
        let value = &html[start..start + html[start..].find('"').unwrap()];
        form.push((
            name.to_owned(),
            value.replace("&amp;", "&").replace("&quot;", "\""),
        ));
    }
    let answer = browser.post(action).form(&form).send().await.unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.status());
    url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap()
}

fn query_value(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn connecting_follows_the_three_legged_flow_and_reads_the_member() {
    let fake = FakeLinkedIn::start().await;
    let client = new_client(fake.client_config());
    let url = client.authorization_url(REDIRECT_URI, "state-1&x");
    assert_eq!(
        url,
        format!(
            "{}/oauth/v2/authorization?response_type=code&client_id={CLIENT_ID}\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fsettings%2Flinkedin%2Fcallback\
             &state=state-1%26x&scope=openid%20profile%20w_member_social%20r_member_postAnalytics",
            fake.url()
        )
    );

    let back = consent(&url, "allow").await;
    assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
    assert_eq!(query_value(&back, "state").as_deref(), Some("state-1&x"));
    let code = query_value(&back, "code").expect("a code");

    let grant = client.exchange_code(&code, REDIRECT_URI).await.unwrap();
    assert_eq!(grant.expires_in, Duration::from_secs(5_184_000));
    assert!(grant.scopes.can_share() && grant.scopes.can_read_analytics());
    let exchange = fake.requests().pop().unwrap();
    assert_eq!(
        (exchange.method.as_str(), exchange.path.as_str()),
        ("POST", "/oauth/v2/accessToken")
    );
    assert_eq!(
        exchange.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(exchange.body.as_bytes())
        .into_owned()
        .collect();
    let expected = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(form, expected);

    let member = client.userinfo(&grant.access_token).await.unwrap();
    assert_eq!(member.sub, "member-1");
    assert_eq!(member.name, "Ada Lovelace");
    assert_eq!(
        member.picture.as_deref(),
        Some("https://media.example/member-1.jpg")
    );
    let userinfo = fake.requests().pop().unwrap();
    assert_eq!(
        (userinfo.method.as_str(), userinfo.path.as_str()),
        ("GET", "/v2/userinfo")
    );
    assert_eq!(
        userinfo.headers["authorization"],
        format!("Bearer {}", grant.access_token.expose()).as_str()
    );
}

#[tokio::test]
async fn cancelling_comes_back_with_linkedins_error_and_the_state() {
    let fake = FakeLinkedIn::start().await;
    let url = new_client(fake.client_config()).authorization_url(REDIRECT_URI, "s-2");
    let back = consent(&url, "cancel").await;
    assert_eq!(
        query_value(&back, "error").as_deref(),
        Some("user_cancelled_authorize")
    );
    assert_eq!(query_value(&back, "state").as_deref(), Some("s-2"));
    assert_eq!(query_value(&back, "code"), None);
}

#[tokio::test]
async fn a_code_works_once_and_only_with_its_redirect_uri() {
    let fake = FakeLinkedIn::start().await;
    let client = new_client(fake.client_config());
    let code = |back: url::Url| query_value(&back, "code").unwrap();
    let first = code(consent(&client.authorization_url(REDIRECT_URI, "s"), "allow").await);
    let error = client
        .exchange_code(&first, "https://other.example/cb")
        .await
        .unwrap_err();
    assert_eq!(error.code(), "LINKEDIN_AUTHORIZATION_FAILED");

    let second = code(consent(&client.authorization_url(REDIRECT_URI, "s"), "allow").await);
    client.exchange_code(&second, REDIRECT_URI).await.unwrap();
    let again = client
        .exchange_code(&second, REDIRECT_URI)
        .await
        .unwrap_err();
    let LinkedInError::Authorization { error, .. } = &again else {
        panic!("{again:?}")
    };
    assert_eq!(error, "invalid_grant");
}

#[tokio::test]
async fn a_wrong_client_secret_is_refused_as_invalid_client() {
    let fake = FakeLinkedIn::start().await;
    let mut config = fake.client_config();
    config.client_secret = linkedgrow::linkedin::ClientSecret::new("wrong");
    let client = new_client(config);
    let back = consent(&client.authorization_url(REDIRECT_URI, "s"), "allow").await;
    let error = client
        .exchange_code(&query_value(&back, "code").unwrap(), REDIRECT_URI)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, LinkedInError::Authorization { error, .. } if error == "invalid_client"),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_granted_scopes_are_what_linkedin_says_not_what_was_asked() {
    let fake = FakeLinkedIn::start().await;
    fake.set_granted_scope("openid,profile,w_member_social");
    let client = new_client(fake.client_config());
    let back = consent(&client.authorization_url(REDIRECT_URI, "s"), "allow").await;
    let grant = client
        .exchange_code(&query_value(&back, "code").unwrap(), REDIRECT_URI)
        .await
        .unwrap();
    assert!(grant.scopes.can_share());
    assert!(!grant.scopes.can_read_analytics());
}

#[tokio::test]
async fn create_post_sends_the_documented_request_and_answers_the_urn() {
    let (fake, client, token) = connected().await;
    let text = "Shipping (finally) #rust_lang & #axum: 100% [done] <3 @team ~*_|{}\\ #";
    let urn = client.create_post(&token, "member-7", text).await.unwrap();

    let posts = fake.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(urn.to_string(), posts[0].urn);
    assert!(posts[0].urn.starts_with("urn:li:share:"));
    assert_eq!(posts[0].text, text, "LinkedIn shows the text whole");
    assert_eq!(posts[0].commentary, little_text::escape(text));

    let request = fake.requests().pop().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/rest/posts")
    );
    let headers = &request.headers;
    assert_eq!(
        headers["authorization"],
        format!("Bearer {}", token.expose()).as_str()
    );
    assert_eq!(headers["linkedin-version"], "202610");
    assert_eq!(headers["x-restli-protocol-version"], "2.0.0");
    assert_eq!(headers["content-type"], "application/json");
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body,
        json!({
            "author": "urn:li:person:member-7",
            "commentary": little_text::escape(text),
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
    assert_eq!(posts[0].body, body, "the accepted post keeps its body");
    assert_eq!(posts[0].headers["linkedin-version"], "202610");
}

#[tokio::test]
async fn the_stand_in_cuts_unescaped_text_like_linkedin_does() {
    // Guards the guard: were the stand-in lenient, the test above could not fail.
    let fake = FakeLinkedIn::start().await;
    let token = fake.token_for("member-7", ALL_SCOPES);
    let body = json!({
        "author": "urn:li:person:member-7",
        "commentary": "Before (after",
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED"},
        "lifecycleState": "PUBLISHED"
    });
    let answer = reqwest::Client::new()
        .post(format!("{}/rest/posts", fake.url()))
        .bearer_auth(&token)
        .header("LinkedIn-Version", "202610")
        .header("X-Restli-Protocol-Version", "2.0.0")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    assert_eq!(fake.posts()[0].text, "Before ");
}

#[tokio::test]
async fn the_same_text_again_is_a_duplicate_naming_the_first_post() {
    let (fake, client, token) = connected().await;
    let first = client
        .create_post(&token, "member-7", "Same words")
        .await
        .unwrap();
    let error = client
        .create_post(&token, "member-7", "Same words")
        .await
        .unwrap_err();
    assert_eq!(
        error,
        LinkedInError::Duplicate {
            urn: Some(first.clone()),
            message: format!("ERROR :: /commentary :: Content is a duplicate of {first}"),
        }
    );
    assert_eq!(error.code(), "LINKEDIN_REJECTED");
    assert_eq!(fake.posts().len(), 1);
}

#[tokio::test]
async fn delete_post_sends_the_encoded_urn_and_a_second_delete_is_not_found() {
    let (fake, client, token) = connected().await;
    let urn = client.create_post(&token, "member-7", "Bye").await.unwrap();
    client.delete_post(&token, &urn).await.unwrap();

    let request = fake.requests().pop().unwrap();
    assert_eq!(request.method, "DELETE");
    assert_eq!(
        request.path,
        format!("/rest/posts/urn%3Ali%3Ashare%3A{}", urn.id())
    );
    assert_eq!(request.headers["linkedin-version"], "202610");
    assert_eq!(request.headers["x-restli-protocol-version"], "2.0.0");
    assert!(fake.posts()[0].deleted);

    let again = client.delete_post(&token, &urn).await.unwrap_err();
    assert_eq!(again.code(), "LINKEDIN_NOT_FOUND");
}

#[tokio::test]
async fn posting_for_another_member_or_without_the_scope_is_forbidden() {
    let (fake, client, token) = connected().await;
    let other = client
        .create_post(&token, "member-8", "Not mine")
        .await
        .unwrap_err();
    assert_eq!(other.code(), "LINKEDIN_FORBIDDEN");
    let read_only = AccessToken::new(fake.token_for("member-9", "openid,profile"));
    let error = client
        .create_post(&read_only, "member-9", "No scope")
        .await
        .unwrap_err();
    assert_eq!(error.code(), "LINKEDIN_FORBIDDEN");
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn an_unknown_token_is_token_invalid() {
    let (fake, client, _) = connected().await;
    let error = client
        .create_post(&AccessToken::new("AQ-revoked"), "member-7", "Hi")
        .await
        .unwrap_err();
    assert_eq!(
        error,
        LinkedInError::TokenInvalid {
            message: "Invalid access token".into()
        }
    );
    let error = client
        .userinfo(&AccessToken::new("AQ-revoked"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "LINKEDIN_TOKEN_INVALID");
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn a_text_over_the_limit_is_rejected_with_linkedins_message() {
    let (_fake, client, token) = connected().await;
    let error = client
        .create_post(&token, "member-7", &"x".repeat(3_001))
        .await
        .unwrap_err();
    let LinkedInError::Rejected { status, message } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 422);
    assert!(message.starts_with("ERROR :: /commentary ::"), "{message}");
    assert_eq!(error.code(), "LINKEDIN_REJECTED");
}

#[tokio::test]
async fn a_retired_version_is_its_own_failure_for_every_rest_call() {
    let (fake, client, token) = connected().await;
    let urn = client
        .create_post(&token, "member-7", "Early")
        .await
        .unwrap();
    fake.retire_version("202610");
    let posting = client
        .create_post(&token, "member-7", "Late")
        .await
        .unwrap_err();
    assert_eq!(
        posting,
        LinkedInError::VersionRetired {
            version: "202610".into()
        }
    );
    assert_eq!(posting.code(), "LINKEDIN_VERSION_RETIRED");
    assert!(posting.to_string().contains("LINKEDGROW_LINKEDIN_VERSION"));
    let reading = client
        .post_analytics(
            &token,
            &urn,
            Metric::MembersReached,
            Aggregation::Total,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(reading.code(), "LINKEDIN_VERSION_RETIRED");

    let mut config = fake.client_config();
    config.version = "202611".into();
    let current = new_client(config);
    current
        .create_post(&token, "member-7", "Late")
        .await
        .unwrap();
}

#[tokio::test]
async fn injected_failures_are_classified_and_nothing_is_posted() {
    let (fake, client, token) = connected().await;
    let cases = [
        (Failure::Unauthorized, "LINKEDIN_TOKEN_INVALID", false, None),
        (Failure::Forbidden, "LINKEDIN_FORBIDDEN", false, None),
        (
            Failure::TooManyRequests {
                retry_after: Some(30),
            },
            "LINKEDIN_UNAVAILABLE",
            true,
            Some(30),
        ),
        (
            Failure::TooManyRequests { retry_after: None },
            "LINKEDIN_UNAVAILABLE",
            true,
            None,
        ),
        (Failure::ServerError, "LINKEDIN_UNAVAILABLE", true, None),
        (
            Failure::Unavailable {
                retry_after: Some(5),
            },
            "LINKEDIN_UNAVAILABLE",
            true,
            Some(5),
        ),
        (
            Failure::Unavailable { retry_after: None },
            "LINKEDIN_UNAVAILABLE",
            true,
            None,
        ),
    ];
    for (failure, code, retryable, retry_after) in cases {
        fake.fail_next(1, failure);
        let error = client
            .create_post(&token, "member-7", "Hello")
            .await
            .unwrap_err();
        assert_eq!(error.code(), code, "{failure:?}: {error:?}");
        assert_eq!(error.is_retryable(), retryable, "{failure:?}");
        assert_eq!(
            error.retry_after(),
            retry_after.map(Duration::from_secs),
            "{failure:?}"
        );
        assert_eq!(
            error.may_have_been_applied(),
            failure == Failure::ServerError,
            "{failure:?}"
        );
    }
    assert!(fake.posts().is_empty());
    // The failures were used up: the next call goes through.
    client
        .create_post(&token, "member-7", "Hello")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_succeeds() {
    let (fake, client, token) = connected().await;
    fake.set_delay(Some(Duration::from_millis(300)));
    client
        .create_post(&token, "member-7", "Slow")
        .await
        .unwrap();
    fake.set_delay(None);
    assert_eq!(fake.posts().len(), 1);
}

#[tokio::test]
async fn a_post_accepted_but_never_answered_is_in_doubt_and_the_resend_names_it() {
    let fake = FakeLinkedIn::start().await;
    let token = AccessToken::new(fake.token_for("member-7", ALL_SCOPES));
    let mut config = fake.client_config();
    config.timeout = Duration::from_millis(800);
    config.connect_timeout = Duration::from_millis(400);
    let client = new_client(config);
    fake.hold_next_posts(1);

    let error = client
        .create_post(&token, "member-7", "Maybe posted")
        .await
        .unwrap_err();
    assert!(matches!(error, LinkedInError::InDoubt { .. }), "{error:?}");
    assert!(error.may_have_been_applied() && !error.is_retryable());
    let held = fake.posts();
    assert_eq!(held.len(), 1, "LinkedIn has it");

    let resend = client
        .create_post(&token, "member-7", "Maybe posted")
        .await
        .unwrap_err();
    let LinkedInError::Duplicate { urn, .. } = resend else {
        panic!("{resend:?}")
    };
    assert_eq!(urn.unwrap().to_string(), held[0].urn);
    assert_eq!(fake.posts().len(), 1, "published once");
}

#[tokio::test]
async fn a_refused_connection_is_retryable_as_nothing_was_sent() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let fake = FakeLinkedIn::start().await;
    let mut config = fake.client_config();
    config.api_url = format!("http://{address}");
    let error = new_client(config)
        .create_post(&AccessToken::new("AQ-x"), "member-7", "Hi")
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert!(!error.may_have_been_applied());
    assert_eq!(error.code(), "LINKEDIN_UNAVAILABLE");
}

#[tokio::test]
async fn a_connection_closed_after_the_request_is_in_doubt() {
    // A peer that reads the whole request and hangs up without answering.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buffer = vec![0; 64 * 1024];
        let n = socket.read(&mut buffer).await.unwrap();
        sink.lock().extend_from_slice(&buffer[..n]);
        socket.shutdown().await.ok();
    });
    let fake = FakeLinkedIn::start().await;
    let mut config = fake.client_config();
    config.api_url = format!("http://{address}");
    let error = new_client(config)
        .create_post(&AccessToken::new("AQ-x"), "member-7", "Hi")
        .await
        .unwrap_err();
    assert!(matches!(error, LinkedInError::InDoubt { .. }), "{error:?}");
    assert_eq!(error.code(), "LINKEDIN_IN_DOUBT");
    assert!(String::from_utf8_lossy(&received.lock()).starts_with("POST /rest/posts "));
}

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

/// Collects what the client logs, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_token_secret_or_code_appears_in_debug_output_errors_or_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = FakeLinkedIn::start().await;
    // Another test's thread may have registered a callsite while this subscriber was being
    // set, caching "nobody listens" for it (tracing's scoped subscribers race so); recompute.
    tracing::callsite::rebuild_interest_cache();
    let client = new_client(fake.client_config());
    let back = consent(&client.authorization_url(REDIRECT_URI, "s"), "allow").await;
    let code = query_value(&back, "code").unwrap();
    let grant = client.exchange_code(&code, REDIRECT_URI).await.unwrap();
    let token = grant.access_token.expose().to_owned();
    let reused = client.exchange_code(&code, REDIRECT_URI).await.unwrap_err();
    client.userinfo(&grant.access_token).await.unwrap();
    fake.fail_next(1, Failure::Unauthorized);
    let refused = client
        .create_post(&grant.access_token, "member-1", "Hi")
        .await
        .unwrap_err();
    let stolen = client
        .create_post(&AccessToken::new("AQ-not-a-real-token"), "member-1", "Hi")
        .await
        .unwrap_err();

    let shown = format!(
        "{client:?} {:?} {grant:?} {reused:?} {reused} {refused:?} {refused} {stolen:?} {stolen}",
        client.config()
    );
    let logged = String::from_utf8(logs.0.lock().clone()).unwrap();
    assert!(
        logged.contains("LINKEDIN_TOKEN_INVALID"),
        "the capture works: {logged}"
    );
    for secret in [
        token.as_str(),
        CLIENT_SECRET,
        code.as_str(),
        "AQ-not-a-real-token",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
        assert!(!logged.contains(secret), "{secret} in {logged}");
    }
}
