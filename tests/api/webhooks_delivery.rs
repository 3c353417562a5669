//! Webhook delivery, end to end: a change through the API (or the web app, the CLI, the
//! publisher) reaches a receiver on loopback, signed as Standard Webhooks says (checked with the
//! official library), retried with the same `webhook-id`, and never held up by another
//! receiver.

use std::collections::HashSet;

use linkedgrow::clock::Clock;
use linkedgrow::domain::webhook::EventFilter;
use linkedgrow::domain::{Plan, Scope, Scopes, UserId, WebhookId};
use linkedgrow::store::publishing::LinkedInAccount;
use linkedgrow::store::webhooks::NewWebhook;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, TestApp};
use crate::webhook_receiver::{Answer, Received, Receiver};

/// A server that delivers to loopback, retrying one second apart, with its worker running.
async fn delivering_app(timeout_seconds: u64) -> TestApp {
    let app = spawn_app_with(|config| {
        config.webhooks.allow_private = true;
        config.webhooks.retry_schedule = "0,1,1,1".parse().unwrap();
        config.webhooks.timeout_seconds = timeout_seconds;
    })
    .await;
    // Receivers check `webhook-timestamp` against their own clock (±5 minutes).
    app.clock.set(chrono::Utc::now());
    tokio::spawn(app.webhooks.clone().run(std::future::pending()));
    app
}

/// A Business user with a key holding every scope.
pub(crate) async fn owner(app: &TestApp) -> (UserId, String) {
    let user = app.create_user(Plan::Business).await;
    let (_, key) = app.create_key(&user, &Scope::ALL).await;
    (user.id, key)
}

/// Subscribes `user` to `events` at `url` (as the web app does); the id and the secret.
pub(crate) async fn subscribe(
    app: &TestApp,
    user: &UserId,
    url: &str,
    events: EventFilter,
) -> (WebhookId, String) {
    let id = WebhookId::generate();
    let (secret, sealed) = app.webhooks.new_secret(&id);
    let reads: Scopes = [Scope::PostsRead, Scope::IdeasRead, Scope::ProfileRead]
        .into_iter()
        .collect();
    app.store
        .insert_webhook(
            &NewWebhook {
                id: id.clone(),
                user_id: user.clone(),
                created_by_key: None,
                url: url.to_owned(),
                events,
                read_scopes: reads,
                description: None,
                secret_sealed: sealed,
            },
            app.now_ms(),
        )
        .await
        .unwrap();
    (id, secret)
}

fn types(received: &[Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

#[tokio::test]
async fn every_event_type_arrives_signed_with_the_resource_as_the_api_shows_it() {
    let app = delivering_app(15).await;
    let receiver = Receiver::start().await;
    let (user, key) = owner(&app).await;
    let (webhook, secret) = subscribe(&app, &user, receiver.url(), EventFilter::All).await;
    let api = app.as_key(&key);

    let post = json_of(
        api.post_json("/api/v1/posts", &json!({"content": "Hello"}))
            .await,
        201,
    )
    .await;
    let id = post["id"].as_str().unwrap();
    let at = (app.clock.now() + chrono::Duration::hours(2)).to_rfc3339();
    let body = json!({"content": "Hello", "status": "scheduled", "scheduledAt": at});
    let scheduled = json_of(
        api.put_json(&format!("/api/v1/posts/{id}"), &body).await,
        200,
    )
    .await;
    app.store
        .mark_published(&user, &id.into(), app.now_ms())
        .await
        .unwrap();
    let shown = json_of(api.get(&format!("/api/v1/posts/{id}")).await, 200).await;
    api.delete(&format!("/api/v1/posts/{id}")).await;
    let idea = app.create_idea(&key, json!({"content": "An idea"})).await;
    let idea_id = idea["id"].as_str().unwrap();
    api.put_json(
        &format!("/api/v1/ideas/{idea_id}"),
        &json!({"content": "A better idea"}),
    )
    .await;
    let converted = json_of(
        api.post_json(&format!("/api/v1/ideas/{idea_id}/convert"), &json!({}))
            .await,
        201,
    )
    .await;
    let other = app.create_idea(&key, json!({"content": "Gone soon"})).await;
    api.delete(&format!("/api/v1/ideas/{}", other["id"].as_str().unwrap()))
        .await;
    let failed_id = json_of(
        api.post_json("/api/v1/posts", &json!({"content": "Will fail"}))
            .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Not connected to LinkedIn: publishing now fails the post.
    api.send(
        Method::POST,
        &format!("/api/v1/posts/{failed_id}/publish"),
        None,
    )
    .await;
    let day = 86_400_000;
    app.store
        .save_linkedin_account(&LinkedInAccount {
            user_id: user.clone(),
            member_sub: "member-1".into(),
            member_name: "Ada".into(),
            picture_url: None,
            token_sealed: "not used".into(),
            token_expires_at: Some(app.now_ms() + 3 * day),
            scopes: "openid,profile,w_member_social".into(),
            needs_reconnect: false,
            connected_at: app.now_ms(),
            updated_at: app.now_ms(),
        })
        .await
        .unwrap();
    app.webhooks.housekeeping().await.unwrap();
    app.store
        .delete_linkedin_account(&user, app.now_ms())
        .await
        .unwrap();
    let test = app.webhooks.send_test(&user, &webhook).await.unwrap();
    assert_eq!(test.status_code, Some(200));

    let expected = [
        "post.created",
        "post.updated",
        "post.scheduled",
        "post.updated",
        "post.published",
        "post.deleted",
        "idea.created",
        "idea.updated",
        "idea.converted",
        "post.created",
        "idea.created",
        "idea.deleted",
        "post.created",
        "post.updated",
        "post.failed",
        "linkedin.token_expiring",
        "linkedin.disconnected",
        "webhook.test",
    ];
    let received = receiver.wait_for(expected.len()).await;
    let mut got = types(&received);
    let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "every event, once");
    let mut ids = HashSet::new();
    for r in &received {
        let body = r.verified(&secret);
        assert!(
            ids.insert(r.header("webhook-id").to_owned()),
            "one id per event"
        );
        assert!(r.header("webhook-id").starts_with("msg_"));
        assert_eq!(r.header("content-type"), "application/json");
        assert!(r.header("user-agent").starts_with("LinkedGrow-Webhooks/"));
        assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let find = |kind: &str| -> Vec<Value> {
        received
            .iter()
            .map(Received::json)
            .filter(|b| b["type"] == kind)
            .collect()
    };
    assert_eq!(find("post.scheduled")[0]["data"], scheduled);
    assert_eq!(
        find("post.published")[0]["data"],
        shown,
        "the post exactly as the API shows it"
    );
    assert_eq!(find("post.deleted")[0]["data"], json!({"id": id}));
    assert_eq!(find("idea.converted")[0]["data"]["postId"], converted["id"]);
    assert_eq!(
        find("post.failed")[0]["data"]["failure"]["code"],
        "LINKEDIN_NOT_CONNECTED"
    );
    assert_eq!(
        find("linkedin.token_expiring")[0]["data"]["connected"],
        true
    );
    assert_eq!(find("linkedin.disconnected")[0]["data"]["connected"], false);
    assert_eq!(
        find("webhook.test")[0]["data"]["webhookId"],
        webhook.as_str()
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_id_and_a_fresh_signature() {
    let app = delivering_app(15).await;
    let receiver = Receiver::start().await;
    receiver.answer_next([Answer::Status(500), Answer::Status(502)]);
    let (user, key) = owner(&app).await;
    let (webhook, secret) = subscribe(&app, &user, receiver.url(), EventFilter::All).await;
    app.create_post(&key, "retried").await;
    receiver.wait_for(1).await;
    // The schedule is 0,1,1,1 seconds on the server's clock.
    for n in 2..=3 {
        wait_until_recorded(&app, &user, &webhook, n - 1).await;
        app.clock.advance(chrono::Duration::seconds(1));
        receiver.wait_for(usize::try_from(n).unwrap()).await;
    }
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    let ids: HashSet<&str> = received.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids.len(), 1, "the same webhook-id on every attempt");
    let stamps: HashSet<&str> = received
        .iter()
        .map(|r| r.header("webhook-timestamp"))
        .collect();
    assert_eq!(stamps.len(), 3, "each attempt signed at its own time");
    for r in &received {
        r.verified(&secret);
    }
    wait_until_recorded(&app, &user, &webhook, 3).await;
    let page = app
        .store
        .list_deliveries(&user, &webhook, 10, 0)
        .await
        .unwrap();
    let statuses: Vec<Option<u16>> = page.deliveries.iter().map(|d| d.status_code).collect();
    assert_eq!(statuses, [Some(200), Some(502), Some(500)], "newest first");
}

#[tokio::test]
async fn retry_after_longer_than_the_schedule_is_honoured_and_410_disables() {
    let app = delivering_app(15).await;
    let receiver = Receiver::start().await;
    receiver.answer_next([Answer::RetryAfter(503, 120), Answer::Status(410)]);
    let (user, key) = owner(&app).await;
    let (webhook, _) = subscribe(&app, &user, receiver.url(), EventFilter::All).await;
    app.create_post(&key, "throttled").await;
    receiver.wait_for(1).await;
    wait_until_recorded(&app, &user, &webhook, 1).await;
    app.clock.advance(chrono::Duration::seconds(60));
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(receiver.received().len(), 1, "not before Retry-After");
    app.clock.advance(chrono::Duration::seconds(60));
    receiver.wait_for(2).await;
    wait_until_recorded(&app, &user, &webhook, 2).await;
    let gone = app.store.get_webhook(&user, &webhook).await.unwrap();
    assert!(gone.disabled, "410 Gone disables the endpoint");
    assert_eq!(gone.disabled_reason.as_deref(), Some("gone"));
    app.create_post(&key, "after 410").await;
    app.clock.advance(chrono::Duration::seconds(10));
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(receiver.received().len(), 2, "nothing more after 410");
}

#[tokio::test]
async fn a_receiver_that_hangs_holds_up_nobody_else() {
    let app = delivering_app(300).await;
    let stuck = Receiver::start().await;
    stuck.answer_always(Answer::Hang);
    let healthy = Receiver::start().await;
    let (user, key) = owner(&app).await;
    subscribe(&app, &user, stuck.url(), EventFilter::All).await;
    let (_, secret) = subscribe(&app, &user, healthy.url(), EventFilter::All).await;
    for n in 0..10 {
        app.create_post(&key, &format!("post {n}")).await;
    }
    let received = healthy.wait_for(10).await;
    assert_eq!(received.len(), 10);
    received.iter().for_each(|r| {
        r.verified(&secret);
    });
    assert!(
        stuck.hanging() > 0,
        "the stuck receiver still holds its requests"
    );
    assert!(
        stuck.hanging() <= linkedgrow::webhooks::worker::PER_WEBHOOK as usize,
        "at most {} at once per webhook",
        linkedgrow::webhooks::worker::PER_WEBHOOK
    );
    // The API answers meanwhile, too.
    let response = app.as_key(&key).get("/api/v1/posts").await;
    assert_eq!(response.status(), 200);
    stuck.release();
    stuck.wait_for(10).await;
}

#[tokio::test]
async fn below_business_nothing_is_delivered_until_the_plan_is_back() {
    let app = delivering_app(15).await;
    let receiver = Receiver::start().await;
    let (user, key) = owner(&app).await;
    subscribe(&app, &user, receiver.url(), EventFilter::All).await;
    app.create_post(&key, "before").await;
    receiver.wait_for(1).await;
    app.store.set_plan(&user, Plan::Pro).await.unwrap();
    // The web app still works on Pro; changes there are kept for later.
    app.store
        .insert_idea(
            &user,
            "idea_kept",
            &linkedgrow::domain::idea::IdeaFields {
                content: "kept".into(),
                notes: None,
                tags: vec![],
            },
            app.now_ms(),
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(receiver.received().len(), 1, "no deliveries below Business");
    app.store.set_plan(&user, Plan::Business).await.unwrap();
    let received = receiver.wait_for(2).await;
    assert_eq!(types(&received), ["post.created", "idea.created"]);
}

/// Waits until `n` attempts of the webhook are on record.
pub(crate) async fn wait_until_recorded(app: &TestApp, user: &UserId, webhook: &WebhookId, n: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while app
        .store
        .list_deliveries(user, webhook, 1, 0)
        .await
        .unwrap()
        .total
        < n
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{n} attempts not recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// One account's hanging receivers must not hold up another account's deliveries. Every
/// subscription gets at most `PER_WEBHOOK` slots and every account `PER_ACCOUNT`, however many
/// subscriptions it has: here one account subscribes enough hanging receivers to take every slot
/// of the worker if it could, and another account's event still goes out.
#[tokio::test]
async fn another_account_s_hanging_receivers_hold_up_nobody_else() {
    use linkedgrow::webhooks::worker::{CONCURRENT_ATTEMPTS, PER_ACCOUNT, PER_WEBHOOK};
    let app = delivering_app(300).await;
    let stuck = Receiver::start().await;
    stuck.answer_always(Answer::Hang);
    let healthy = Receiver::start().await;
    let (noisy, noisy_key) = owner(&app).await;
    let subscriptions = CONCURRENT_ATTEMPTS / PER_WEBHOOK as usize;
    for _ in 0..subscriptions {
        subscribe(&app, &noisy, stuck.url(), EventFilter::All).await;
    }
    for n in 0..PER_WEBHOOK {
        app.create_post(&noisy_key, &format!("noisy {n}")).await;
    }
    let bound = PER_ACCOUNT as usize;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while stuck.hanging() < bound {
        assert!(std::time::Instant::now() < deadline, "{}", stuck.hanging());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Room for more rounds of claims: the account stays at its bound.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(
        stuck.hanging(),
        bound,
        "one account holds at most {bound} slots"
    );

    let (quiet, quiet_key) = owner(&app).await;
    subscribe(&app, &quiet, healthy.url(), EventFilter::All).await;
    app.create_post(&quiet_key, "mine").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while healthy.received().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let arrived = healthy.received().len();
    stuck.release();
    assert_eq!(
        arrived, 1,
        "another account's event waits while one account's hanging receivers hold every slot"
    );
}
