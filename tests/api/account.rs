//! The profile and the calling key.

use linkedgrow::domain::Plan;
use linkedgrow::domain::Scope;
use serde_json::{json, Value};

use crate::helpers::spawn_app;

#[tokio::test]
async fn profile_shows_the_key_owner() {
    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    linkedgrow::admin::set_timezone(app.store.as_ref(), &user.email, "Europe/Berlin")
        .await
        .unwrap();
    let key = app.create_key(&user, &[Scope::ProfileRead]).await.1;
    let response = app.as_key(&key).get("/api/v1/profile").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "id": user.id, "name": "Test User", "email": user.email, "plan": "business",
            "timezone": "Europe/Berlin", "linkedinConnected": false,
            "linkedin": {"connected": false, "name": null, "memberUrn": null,
                         "tokenExpiresAt": null, "needsReconnect": false},
            "createdAt": "2026-01-05T09:00:00Z"
        })
    );
}

#[tokio::test]
async fn keys_current_works_for_any_valid_key() {
    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    for scope in Scope::ALL {
        let (id, key) = app.create_key(&user, &[scope]).await;
        let response = app.as_key(&key).get("/api/v1/keys/current").await;
        assert_eq!(response.status(), 200, "{scope}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["id"], id);
        assert_eq!(body["name"], "test key");
        assert_eq!(body["scopes"], json!([scope.as_str()]));
        assert_eq!(body["prefix"], &key[..11]);
        assert_eq!(body["createdAt"], "2026-01-05T09:00:00Z");
        assert_eq!(body["lastUsedAt"], "2026-01-05T09:00:00Z", "this very call");
        assert_eq!(body.as_object().unwrap().len(), 6, "{body}");
    }
}
