//! Settings › LinkedIn and publishing from the Posts page over HTTP, against the stand-in
//! LinkedIn: the OAuth round trip (Allow, Cancel, foreign or replayed states, a grant that
//! cannot post), disconnecting, and *Publish now* / *Reschedule* on the list.

use linkedgrow::domain::{Plan, Scope};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use crate::helpers::{spawn_app_publishing_to, TestApp};
use crate::linkedin_fake::{Failure, FakeLinkedIn, CLIENT_ID};
use crate::web_client::{csrf_in, field_in, location, signed_in, WebClient};

const PAGE: &str = "/settings/linkedin";
const STATE_PROBLEM: &str = "does not belong to this browser session";

/// *Connect LinkedIn*: the address of the stand-in's consent page we are sent to.
async fn start_connect(web: &WebClient) -> Url {
    let csrf = web.csrf(PAGE).await;
    let response = web
        .post("/settings/linkedin/connect", &[("csrf", &csrf)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    Url::parse(location(&response)).unwrap()
}

/// The member's click on the stand-in's consent page (`allow` or `cancel`): the callback
/// path (with its query) the stand-in sends the browser back to.
async fn decide(app: &TestApp, web: &WebClient, consent: &Url, decision: &str) -> String {
    let response = web.client.get(consent.clone()).send().await.unwrap();
    assert_eq!(response.status(), 200, "the consent page");
    let html = response.text().await.unwrap();
    assert!(html.contains("Allow") && html.contains("Cancel"), "{html}");
    let form = [
        ("decision", decision.to_owned()),
        ("redirect_uri", field_in(&html, "redirect_uri")),
        ("state", field_in(&html, "state")),
        ("scope", field_in(&html, "scope")),
    ];
    let action = consent.join("/oauth/v2/authorization/decision").unwrap();
    let response = web.client.post(action).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response).to_owned();
    back.strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("back to this server: {back}"))
        .to_owned()
}

/// Follows `callback` in `web`'s session; returns where it lands, and that page.
async fn land(web: &WebClient, callback: &str) -> (String, String) {
    let response = web.get(callback).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "GET {callback}");
    let to = location(&response).to_owned();
    assert!(to.starts_with(PAGE), "back on Settings › LinkedIn: {to}");
    let html = web.page(&to).await;
    (to, html)
}

/// `callback` with its `state` replaced by `state`.
fn with_state(callback: &str, state: &str) -> String {
    let mut url = Url::parse(&format!("http://x{callback}")).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" { state.into() } else { v };
            (k.into_owned(), v.into_owned())
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    format!("{}?{}", url.path(), url.query().unwrap())
}

/// Whether `user_id` has a LinkedIn connection.
async fn connected(app: &TestApp, user_id: &linkedgrow::domain::UserId) -> bool {
    app.store.linkedin_account(user_id).await.unwrap().is_some()
}

/// The whole round trip with Allow; returns the page it lands on.
async fn connect(app: &TestApp, web: &WebClient) -> String {
    let consent = start_connect(web).await;
    let callback = decide(app, web, &consent, "allow").await;
    let (to, html) = land(web, &callback).await;
    assert_eq!(to, "/settings/linkedin?connected=1", "{html}");
    html
}

#[tokio::test]
async fn connect_sends_the_browser_to_linkedins_consent_page_with_a_fresh_state() {
    let fake = FakeLinkedIn::start().await;
    let app = spawn_app_publishing_to(fake.url()).await;
    let (web, _) = signed_in(&app, Plan::Business).await;

    let html = web.page(PAGE).await;
    assert!(html.contains("Connect LinkedIn"), "{html}");
    assert!(!html.contains("Disconnect"));

    // Browsers hold a form's redirect to `form-action`: this page's may lead to LinkedIn,
    // other pages' only to this server; images stay this server's own.
    let policy = |response: &reqwest::Response| {
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let here = policy(&web.get(PAGE).await);
    assert!(
        here.contains(&format!("form-action 'self' {};", fake.url())),
        "{here}"
    );
    assert!(here.contains("img-src 'self' data:;"), "{here}");
    let elsewhere = policy(&web.get("/posts").await);
    assert!(elsewhere.contains("form-action 'self';"), "{elsewhere}");

    // Without the form's token, nothing starts.
    let response = web.post("/settings/linkedin/connect", &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let consent = start_connect(&web).await;
    assert_eq!(
        consent.as_str().split('?').next().unwrap(),
        format!("{}/oauth/v2/authorization", fake.url())
    );
    let query = |name: &str| {
        consent
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {consent}"))
    };
    assert_eq!(query("response_type"), "code");
    assert_eq!(query("client_id"), CLIENT_ID);
    assert_eq!(
        query("redirect_uri"),
        app.url("/settings/linkedin/callback")
    );
    assert_eq!(
        query("scope"),
        "openid profile w_member_social r_member_postAnalytics"
    );
    let state = query("state");
    assert!(state.len() >= 32, "an unguessable state: {state}");
    let again = start_connect(&web).await;
    let state_again = again
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    assert_ne!(state, state_again, "each round trip has its own state");
}

#[tokio::test]
async fn allow_connects_the_member_and_disconnect_deletes_the_connection() {
    let fake = FakeLinkedIn::start().await;
    let app = spawn_app_publishing_to(fake.url()).await;
    let (web, user) = signed_in(&app, Plan::Business).await;

    let html = connect(&app, &web).await;
    assert!(html.contains("LinkedIn is connected"), "{html}");
    assert!(html.contains("Ada Lovelace"), "the member's name: {html}");
    // The stand-in grants 60 days from the test clock's 5 Jan 2026, 09:00 UTC.
    assert!(html.contains("Connection ends"));
    assert!(html.contains("6 Mar 2026, 09:00"), "{html}");
    assert!(html.contains("Synced from LinkedIn"));
    assert!(html.contains("Disconnect") && html.contains("Reconnect LinkedIn"));
    // LinkedIn's picture lives on its CDN, which the page's CSP does not load from.
    assert!(!html.contains("media.example"), "no blocked image: {html}");

    let (_, key) = app.create_key(&user, &[Scope::ProfileRead]).await;
    let response = app.as_key(&key).get("/api/v1/profile").await;
    assert_eq!(response.status(), 200);
    let profile: Value = response.json().await.unwrap();
    assert_eq!(profile["linkedin"]["connected"], true, "{profile}");
    assert_eq!(profile["linkedin"]["name"], "Ada Lovelace");
    assert_eq!(profile["linkedinConnected"], true);

    let csrf = web.csrf(PAGE).await;
    let response = web
        .post("/settings/linkedin/disconnect", &[("csrf", &csrf)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/settings/linkedin?disconnected=1");
    assert!(!connected(&app, &user.id).await);
    let html = web.page("/settings/linkedin?disconnected=1").await;
    assert!(html.contains("LinkedIn is disconnected"));
    assert!(html.contains("Connect LinkedIn"));
    let profile: Value = app
        .as_key(&key)
        .get("/api/v1/profile")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["linkedin"]["connected"], false, "{profile}");
}

#[tokio::test]
async fn a_wrong_a_reused_or_another_sessions_state_connects_nothing() {
    let fake = FakeLinkedIn::start().await;
    let app = spawn_app_publishing_to(fake.url()).await;
    let (web, user) = signed_in(&app, Plan::Business).await;

    // A state we never gave out.
    let consent = start_connect(&web).await;
    let callback = decide(&app, &web, &consent, "allow").await;
    let (to, html) = land(&web, &with_state(&callback, "not-the-state")).await;
    assert_eq!(to, "/settings/linkedin?problem=state");
    assert!(html.contains(STATE_PROBLEM), "{html}");
    assert!(!connected(&app, &user.id).await);

    // The same answer twice: the first connects, the second (after a disconnect) does not.
    let consent = start_connect(&web).await;
    let callback = decide(&app, &web, &consent, "allow").await;
    let (to, _) = land(&web, &callback).await;
    assert_eq!(to, "/settings/linkedin?connected=1");
    let csrf = web.csrf(PAGE).await;
    web.post("/settings/linkedin/disconnect", &[("csrf", &csrf)])
        .await;
    let (to, html) = land(&web, &callback).await;
    assert_eq!(to, "/settings/linkedin?problem=state");
    assert!(html.contains(STATE_PROBLEM), "{html}");
    assert!(!connected(&app, &user.id).await);

    // Another person's browser following this browser's answer.
    let consent = start_connect(&web).await;
    let callback = decide(&app, &web, &consent, "allow").await;
    let (other, other_user) = signed_in(&app, Plan::Business).await;
    let (to, html) = land(&other, &callback).await;
    assert_eq!(to, "/settings/linkedin?problem=state");
    assert!(html.contains(STATE_PROBLEM), "{html}");
    assert!(!connected(&app, &other_user.id).await);
    assert!(!connected(&app, &user.id).await);
}

#[tokio::test]
async fn cancel_or_a_grant_that_cannot_post_connects_nothing_and_says_why() {
    let fake = FakeLinkedIn::start().await;
    let app = spawn_app_publishing_to(fake.url()).await;
    let (web, user) = signed_in(&app, Plan::Business).await;

    let consent = start_connect(&web).await;
    let callback = decide(&app, &web, &consent, "cancel").await;
    assert!(callback.contains("error=user_cancelled_authorize"));
    let (to, html) = land(&web, &callback).await;
    assert_eq!(to, "/settings/linkedin?problem=denied");
    assert!(html.contains("the permission was not granted"), "{html}");
    assert!(html.contains(r#"role="alert""#));
    assert!(!connected(&app, &user.id).await);

    // The LinkedIn app lacks "Share on LinkedIn": sign-in only.
    fake.set_granted_scope("openid,profile");
    let consent = start_connect(&web).await;
    let callback = decide(&app, &web, &consent, "allow").await;
    let (to, html) = land(&web, &callback).await;
    assert_eq!(to, "/settings/linkedin?problem=cannot_post");
    assert!(html.contains("Share on LinkedIn"), "{html}");
    assert!(!connected(&app, &user.id).await);
}

/// A draft written on the page; returns its id.
async fn draft(app: &TestApp, web: &WebClient, key: &str, content: &str) -> String {
    let csrf = web.csrf("/posts/new").await;
    let response = web
        .post(
            "/posts",
            &[("csrf", &csrf), ("content", content), ("status", "draft")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let listed: Value = app
        .as_key(key)
        .get("/api/v1/posts?status=draft")
        .await
        .json()
        .await
        .unwrap();
    listed["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["content"] == content)
        .expect("the draft")["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// *Publish now* on the list; returns where it lands.
async fn publish_now(web: &WebClient, id: &str) -> String {
    let list = web.page("/posts").await;
    let action = format!(r#"action="/posts/{id}/publish""#);
    assert!(list.contains(&action), "a Publish now form: {list}");
    let response = web
        .post(
            &format!("/posts/{id}/publish"),
            &[("csrf", &csrf_in(&list))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    location(&response).to_owned()
}

#[tokio::test]
async fn publish_now_shows_the_linkedin_link_or_the_reason_with_reschedule() {
    let fake = FakeLinkedIn::start().await;
    let app = spawn_app_publishing_to(fake.url()).await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let (_, key) = app.create_key(&user, &Scope::ALL).await;
    connect(&app, &web).await;

    // Without the form's token, nothing is sent.
    let first = draft(&app, &web, &key, "Ten years of Rust in production").await;
    let response = web.post(&format!("/posts/{first}/publish"), &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(fake.posts().is_empty());

    assert_eq!(publish_now(&web, &first).await, "/posts?published=1");
    let sent = fake.posts();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].commentary, "Ten years of Rust in production");
    let list = web.page("/posts?published=1").await;
    assert!(list.contains("The post is published on LinkedIn."));
    let link = format!(
        r#"href="https://www.linkedin.com/feed/update/{}/""#,
        sent[0].urn
    );
    assert!(list.contains(&link), "{link} in {list}");
    assert!(list.contains("On LinkedIn"));
    assert!(
        !list.contains(&format!(r#"action="/posts/{first}/publish""#)),
        "a published post cannot be published again"
    );

    // LinkedIn refuses the next one.
    let second = draft(&app, &web, &key, "A post LinkedIn will refuse").await;
    fake.fail_next(1, Failure::Forbidden);
    assert_eq!(publish_now(&web, &second).await, "/posts?failed=1");
    let list = web.page("/posts?failed=1").await;
    assert!(
        list.contains(r#"<p class="alert" role="alert">LinkedIn did not take the post"#),
        "{list}"
    );
    assert!(list.contains("badge-failed"));
    assert!(
        list.contains("LinkedIn did not permit this member to post."),
        "the reason: {list}"
    );
    assert!(
        list.contains(r#"href="/posts?status=failed""#),
        "a Failed tab"
    );
    assert!(list.contains(&format!(r#"href="/posts/{second}">Reschedule"#)));
    let failed = web.page("/posts?status=failed").await;
    assert!(failed.contains("A post LinkedIn will refuse"));
    assert!(!failed.contains("Ten years of Rust"));
}

#[tokio::test]
async fn a_failed_post_is_rescheduled_in_the_editor_and_then_published() {
    let fake = FakeLinkedIn::start().await;
    let app = spawn_app_publishing_to(fake.url()).await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let (_, key) = app.create_key(&user, &Scope::ALL).await;
    connect(&app, &web).await;
    let id = draft(&app, &web, &key, "Second try is the charm").await;
    fake.fail_next(1, Failure::Forbidden);
    assert_eq!(publish_now(&web, &id).await, "/posts?failed=1");

    // The editor says why it failed and offers the schedule.
    let edit = format!("/posts/{id}");
    let form = web.page(&edit).await;
    assert!(form.contains("Reschedule post"), "{form}");
    assert!(
        form.contains("LinkedIn did not permit this member to post."),
        "{form}"
    );
    assert!(
        form.contains(r#"value="scheduled" checked"#),
        "scheduling is preselected: {form}"
    );
    let version = field_in(&form, "version");

    // A time in the past is refused; the post stays failed.
    let response = web
        .post(
            &edit,
            &[
                ("csrf", &csrf_in(&form)),
                ("version", &version),
                ("content", "Second try is the charm"),
                ("status", "scheduled"),
                ("date", "2026-01-01"),
                ("time", "08:00"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let response = web
        .post(
            &edit,
            &[
                ("csrf", &csrf_in(&form)),
                ("version", &version),
                ("content", "Second try is the charm"),
                ("status", "scheduled"),
                ("date", "2026-01-05"),
                ("time", "10:00"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/posts?saved=1");
    let post: Value = app
        .as_key(&key)
        .get(&format!("/api/v1/posts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(post["status"], "scheduled", "{post}");
    assert_eq!(post["scheduledAt"], "2026-01-05T10:00:00Z");
    let list = web.page("/posts").await;
    assert!(list.contains("Scheduled for 5 Jan 2026, 10:00"));
    assert!(
        !list.contains("LinkedIn did not permit"),
        "the old reason is gone"
    );

    app.clock.advance(chrono::Duration::hours(1));
    app.publisher.tick().await.unwrap();
    let post: Value = app
        .send(Method::GET, &format!("/api/v1/posts/{id}"), &key, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(post["status"], "published", "{post}");
    assert_eq!(fake.posts().len(), 1);
}
