//! Webhook events are never lost: the real `linkedgrow serve`, killed (SIGKILL) with 200 events
//! undelivered, sends every one of them after a restart.

use std::collections::HashSet;
use std::sync::Arc;

use linkedgrow::clock::SystemClock;
use linkedgrow::config::DatabaseUrl;
use linkedgrow::domain::webhook::EventFilter;
use linkedgrow::domain::{Scope, Scopes, UserId, WebhookId};
use linkedgrow::linkedin::crypto::Key;
use linkedgrow::store::webhooks::NewWebhook;
use linkedgrow::webhooks::settings::WebhookConfig;
use linkedgrow::webhooks::Webhooks;
use serde_json::json;

use crate::linkedin_fake::FakeLinkedIn;
use crate::publishing_process::{run, serve_with};
use crate::webhook_receiver::{Answer, Receiver};

const EVENTS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_with_undelivered_events_the_server_sends_them_all_after_a_restart() {
    let fake = FakeLinkedIn::start().await;
    let receiver = Receiver::start().await;
    receiver.answer_always(Answer::Status(503));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let db = format!("sqlite://{}", path.display());
    let log = dir.path().join("server.log");
    let key_text = Key::generate().to_base64();
    let env = [
        ("LINKEDGROW_ENCRYPTION_KEY", key_text.as_str()),
        ("LINKEDGROW_WEBHOOK_ALLOW_PRIVATE", "true"),
        (
            "LINKEDGROW_WEBHOOK_RETRY_SCHEDULE",
            "0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
        ),
        ("LINKEDGROW_WEBHOOK_TIMEOUT_SECONDS", "2"),
    ];
    let email = "ada\u{40}example.com";
    run(&db, &fake, &["migrate"]);
    run(
        &db,
        &fake,
        &[
            "users", "create", "--email", email, "--name", "Ada", "--plan", "business",
        ],
    );
    let api_key = run(
        &db,
        &fake,
        &[
            "keys",
            "create",
            "--email",
            email,
            "--name",
            "k",
            "--scopes",
            "posts:write",
        ],
    )
    .trim()
    .to_owned();

    let (mut server, address) = serve_with(&db, &fake, &log, &env);
    // Subscribe through the store, as the web app does, sealing with the server's key.
    let store = linkedgrow::open_store(&DatabaseUrl::Sqlite(path.clone()))
        .await
        .unwrap();
    let user: UserId = store.user_by_email(email).await.unwrap().id;
    let webhooks = Webhooks::new(
        store.clone(),
        Arc::new(SystemClock),
        Key::from_base64(&key_text).unwrap(),
        &WebhookConfig::default(),
    );
    let id = WebhookId::generate();
    let (secret, sealed) = webhooks.new_secret(&id);
    let reads: Scopes = [Scope::PostsRead].into_iter().collect();
    store
        .insert_webhook(
            &NewWebhook {
                id,
                user_id: user,
                created_by_key: None,
                url: receiver.url().to_owned(),
                events: EventFilter::All,
                read_scopes: reads,
                description: None,
                secret_sealed: sealed,
            },
            chrono::Utc::now().timestamp_millis(),
        )
        .await
        .unwrap();

    let client = reqwest::Client::new();
    let mut created = HashSet::new();
    for n in 0..EVENTS {
        let response = client
            .post(format!("{address}/api/v1/posts"))
            .bearer_auth(&api_key)
            .json(&json!({ "content": format!("post {n}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let post: serde_json::Value = response.json().await.unwrap();
        created.insert(post["id"].as_str().unwrap().to_owned());
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let refused_before = receiver.received().len();
    println!("{refused_before} attempts refused with 503 before the kill");

    receiver.answer_always(Answer::Status(200));
    let (mut server, _) = serve_with(&db, &fake, &log, &env);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let delivered = loop {
        let delivered: HashSet<String> = receiver.received()[refused_before..]
            .iter()
            .map(|r| {
                r.verified(&secret)["data"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        if delivered.len() >= EVENTS || std::time::Instant::now() > deadline {
            break delivered;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(
        delivered, created,
        "every acknowledged post's event arrived"
    );
}
