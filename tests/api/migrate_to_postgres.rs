//! `linkedgrow migrate-to-postgres`: a single-machine installation, copied into PostgreSQL,
//! answers the same on a PostgreSQL instance, with the same key; a second copy is refused.

use serde_json::{json, Value};

use crate::cluster::Cluster;
use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sqlite_installation_answers_the_same_from_postgres() {
    let app = spawn_app().await;
    let key = app.full_key().await;
    app.create_post(&key, "A draft that moves house").await;
    let scheduled = app
        .as_key(&key)
        .post_json(
            "/api/v1/posts",
            &json!({
                "content": "Scheduled before the move",
                "status": "scheduled",
                "scheduledAt": "2099-02-01T09:00:00Z"
            }),
        )
        .await;
    assert_eq!(scheduled.status(), 201);
    app.published_post(&key, "Published before the move").await;
    app.create_idea(&key, json!({ "content": "An idea", "tags": ["moving"] }))
        .await;
    let idempotent = app
        .request(reqwest::Method::POST, "/api/v1/ideas", &key)
        .header("Idempotency-Key", "moved-along")
        .json(&json!({ "content": "Made once" }))
        .send()
        .await
        .unwrap();
    assert_eq!(idempotent.status(), 201);

    // No instance yet: the schema is migrated and empty.
    let Some(mut cluster) = Cluster::start(0).await else {
        return;
    };
    let copied = cluster.cli(&[
        "migrate-to-postgres",
        "--from",
        &app.database_url(),
        "--to",
        &cluster.schema.url,
    ]);
    assert!(
        copied.contains("every table's row count matches"),
        "{copied}"
    );
    assert!(
        copied.contains("posts                             3 rows"),
        "{copied}"
    );

    let again = cluster
        .command(&[
            "migrate-to-postgres",
            "--from",
            &app.database_url(),
            "--to",
            &cluster.schema.url,
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds data"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let instance = cluster.spawn();
    cluster.instances.push(instance);
    let client = reqwest::Client::new();
    for path in [
        "/api/v1/posts",
        "/api/v1/posts?status=scheduled",
        "/api/v1/ideas",
        "/api/v1/analytics?from=2026-01-01&to=2026-01-05",
        "/api/v1/profile",
    ] {
        let before: Value = app.as_key(&key).get(path).await.json().await.unwrap();
        let after = client
            .get(format!("{}{path}", cluster.instances[0].address))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), 200, "{path}");
        let after: Value = after.json().await.unwrap();
        assert_eq!(before, after, "{path}");
    }
}
