//! Authentication, scopes, plans and tenant isolation.

use linkedgrow::domain::Scope;
use linkedgrow::domain::{KeyId, Plan};
use linkedgrow::keys::generate_key;
use reqwest::Method;

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn lists_show_only_the_key_owners_posts() {
    let app = spawn_app().await;
    let mine = app.full_key().await;
    let theirs = app.full_key().await;
    app.create_post(&mine, "mine").await;
    app.create_post(&theirs, "theirs").await;
    let list: serde_json::Value = app
        .request(Method::GET, "/api/v1/posts", &mine)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["posts"][0]["content"], "mine");
}

/// `key` with its last character changed (to a different one, whatever it was).
fn mistyped_last_character(key: &str) -> String {
    let (head, last) = key.split_at(key.len() - 1);
    let other = if last == "x" { 'y' } else { 'x' };
    format!("{head}{other}")
}

#[tokio::test]
async fn missing_malformed_unknown_and_revoked_keys_get_401() {
    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    let (key_id, key) = app.create_key(&user, &Scope::ALL).await;
    let url = app.url("/api/v1/posts");

    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("wrong scheme", Some(format!("Basic {key}"))),
        ("empty bearer", Some("Bearer ".into())),
        ("junk", Some("Bearer not-a-key".into())),
        (
            "bad checksum",
            Some(format!("Bearer {}", mistyped_last_character(&key))),
        ),
        (
            "unknown but well-formed",
            Some(format!("Bearer {}", generate_key().secret)),
        ),
    ];
    for (name, header) in cases {
        let mut request = app.client.get(&url);
        if let Some(header) = header {
            request = request.header("authorization", header);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{name}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{name}");
        assert!(
            response.headers().get("x-ratelimit-limit").is_none(),
            "{name}"
        );
        assert_error(response, 401, "UNAUTHORIZED").await;
    }

    // The key works, then is revoked and fails on the very next request.
    let ok = app.client.get(&url).bearer_auth(&key).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    app.store
        .revoke_key(&KeyId::from(key_id.as_str()), app.now_ms())
        .await
        .unwrap();
    let response = app.client.get(&url).bearer_auth(&key).send().await.unwrap();
    assert_error(response, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn keys_are_revoked_independently() {
    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    let (first_id, first) = app.create_key(&user, &[Scope::PostsRead]).await;
    let (_, second) = app.create_key(&user, &[Scope::PostsRead]).await;
    app.store
        .revoke_key(&KeyId::from(first_id), app.now_ms())
        .await
        .unwrap();
    let url = app.url("/api/v1/posts");
    let refused = app
        .client
        .get(&url)
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let allowed = app
        .client
        .get(&url)
        .bearer_auth(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
}

#[tokio::test]
async fn plan_downgrade_suspends_keys_and_upgrade_restores_them() {
    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    let (_, key) = app.create_key(&user, &[Scope::PostsRead]).await;
    let url = app.url("/api/v1/posts");

    for plan in [Plan::Pro, Plan::Free] {
        app.store.set_plan(&user.id, plan).await.unwrap();
        let response = app.client.get(&url).bearer_auth(&key).send().await.unwrap();
        assert!(response.headers().contains_key("x-ratelimit-remaining"));
        let message = assert_error(response, 403, "PLAN_REQUIRED").await;
        assert!(message.contains("Business"), "{message}");
    }
    app.store.set_plan(&user.id, Plan::Business).await.unwrap();
    let response = app.client.get(&url).bearer_auth(&key).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn keys_cannot_be_created_below_the_business_plan() {
    let app = spawn_app().await;
    for plan in [Plan::Free, Plan::Pro] {
        let user = app.create_user(plan).await;
        let scopes = [Scope::PostsRead].into_iter().collect();
        let err =
            linkedgrow::admin::create_key(app.store.as_ref(), &user, "k", scopes, app.now_ms())
                .await
                .unwrap_err();
        assert!(err.to_string().contains("Business"), "{err}");
        assert!(app.store.list_keys(&user.id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn last_used_is_recorded_at_first_use_then_at_most_once_a_minute() {
    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    let (key_id, key) = app.create_key(&user, &[Scope::PostsRead]).await;
    let last_used = || async {
        app.store
            .key_by_id(&KeyId::from(key_id.as_str()))
            .await
            .unwrap()
            .last_used_at
    };
    let get = || async {
        let response = app
            .request(Method::GET, "/api/v1/posts", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    };
    assert_eq!(last_used().await, None);

    get().await;
    let first = app.now_ms();
    assert_eq!(last_used().await, Some(first));

    app.clock.advance(chrono::Duration::seconds(59));
    get().await;
    assert_eq!(last_used().await, Some(first), "no write within the minute");

    app.clock.advance(chrono::Duration::seconds(1));
    get().await;
    assert_eq!(last_used().await, Some(app.now_ms()));
}

#[tokio::test]
async fn no_plaintext_key_is_stored_in_the_database_files() {
    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    let mut secrets = Vec::new();
    for _ in 0..5 {
        secrets.push(app.create_key(&user, &Scope::ALL).await.1);
    }
    // Use the keys so that every write path (lastUsedAt) has run.
    for secret in &secrets {
        let response = app
            .request(Method::GET, "/api/v1/posts", secret)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let mut files = 0;
    for entry in std::fs::read_dir(app.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        files += 1;
        for secret in &secrets {
            // The display prefix is stored by design; the rest of the secret must not be.
            let hidden = &secret[11..];
            assert!(
                !bytes.windows(hidden.len()).any(|w| w == hidden.as_bytes()),
                "a secret is stored in plain text"
            );
        }
    }
    assert!(files >= 2, "the database and its WAL were read");
}

#[tokio::test]
async fn a_key_answered_from_memory_sees_changes_by_another_process_at_once() {
    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    let (key_id, key) = app.create_key(&user, &[Scope::PostsRead]).await;
    let get = || app.request(Method::GET, "/api/v1/posts", &key).send();
    // The first use records lastUsedAt (a write); the uses after it are answered from memory.
    for _ in 0..3 {
        assert_eq!(get().await.unwrap().status(), 200);
    }
    // Another connection to the file, as the CLI or a second server would have.
    let other = rusqlite::Connection::open(&app.db_path).unwrap();
    let set_plan = |plan: &str| {
        other
            .execute(
                "UPDATE users SET plan = ?1 WHERE id = ?2",
                [plan, user.id.as_str()],
            )
            .unwrap()
    };

    set_plan("pro");
    assert_error(get().await.unwrap(), 403, "PLAN_REQUIRED").await;
    set_plan("business");
    for _ in 0..3 {
        assert_eq!(get().await.unwrap().status(), 200);
    }
    other
        .execute(
            "UPDATE api_keys SET revoked_at = 1 WHERE id = ?1",
            [key_id.as_str()],
        )
        .unwrap();
    assert_error(get().await.unwrap(), 401, "UNAUTHORIZED").await;
}
