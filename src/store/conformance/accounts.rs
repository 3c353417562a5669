//! Users, the first-run owner, passwords and sessions.

use super::*;

pub async fn the_database_answers(db: &dyn TestDatabase) {
    db.store().ping().await.unwrap();
}

pub async fn users_are_found_by_id_and_by_email_in_any_case(db: &dyn TestDatabase) {
    let store = db.store();
    let store = store.as_ref();
    assert_eq!(store.count_users().await.unwrap(), 0);
    let ada = user(store, "ada").await;
    assert_eq!(store.user_by_id(&ada.id).await.unwrap(), ada);
    let shouted = ada.email.to_uppercase();
    assert_eq!(store.user_by_email(&shouted).await.unwrap(), ada);
    let twin = User {
        id: "usr_twin".into(),
        email: shouted,
        ..ada.clone()
    };
    let duplicate = store.create_user(&twin).await;
    assert!(is_conflict(&duplicate), "{duplicate:?}");
    assert_eq!(store.count_users().await.unwrap(), 1);
    let missing = store.user_by_email("nobody\u{40}example.com").await;
    assert!(is_not_found(&missing, "user"), "{missing:?}");
    assert!(is_not_found(
        &store.user_by_id(&UserId::from("usr_nobody")).await,
        "user"
    ));

    store.set_plan(&ada.id, Plan::Pro).await.unwrap();
    store
        .update_profile(&ada.id, "Ada L.", "Europe/London")
        .await
        .unwrap();
    let changed = store.user_by_id(&ada.id).await.unwrap();
    assert_eq!(
        (
            changed.plan,
            changed.name.as_str(),
            changed.timezone.as_str()
        ),
        (Plan::Pro, "Ada L.", "Europe/London")
    );
    assert!(is_not_found(
        &store
            .set_plan(&UserId::from("usr_nobody"), Plan::Free)
            .await,
        "user"
    ));
    assert!(is_not_found(
        &store
            .update_profile(&UserId::from("usr_nobody"), "x", "UTC")
            .await,
        "user"
    ));
}

pub async fn the_owner_is_created_only_on_an_empty_database(db: &dyn TestDatabase) {
    let store = db.store();
    let owner = User {
        id: "usr_owner".into(),
        email: "owner\u{40}example.com".into(),
        name: "Owner".into(),
        plan: Plan::Business,
        timezone: "UTC".into(),
        created_at: NOW,
    };
    store.create_owner(&owner, "hash-1").await.unwrap();
    assert_eq!(
        store.password_hash(&owner.id).await.unwrap().as_deref(),
        Some("hash-1")
    );
    let second = User {
        id: "usr_second".into(),
        email: "second\u{40}example.com".into(),
        ..owner.clone()
    };
    let again = store.create_owner(&second, "hash-2").await;
    assert!(is_conflict(&again), "{again:?}");
    assert_eq!(store.count_users().await.unwrap(), 1);

    store.set_password(&owner.id, "hash-3", NOW).await.unwrap();
    assert_eq!(
        store.password_hash(&owner.id).await.unwrap().as_deref(),
        Some("hash-3")
    );
    let cli_user = user(store.as_ref(), "cli").await;
    assert_eq!(store.password_hash(&cli_user.id).await.unwrap(), None);
}

pub async fn sessions_end_by_expiry_sign_out_and_password_change(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let bob = user(store.as_ref(), "bob").await;
    let session = |hash: &str, user: &User| SessionRecord {
        token_hash: hash.into(),
        user_id: user.id.clone(),
        csrf_token: format!("csrf of {hash}"),
        created_at: NOW,
        expires_at: NOW + 1_000,
    };
    for (hash, owner) in [("a1", &ada), ("a2", &ada), ("a3", &ada), ("b1", &bob)] {
        store.insert_session(&session(hash, owner)).await.unwrap();
    }
    let (found, found_user) = store.session_user("a1", NOW).await.unwrap().unwrap();
    assert_eq!((found, found_user), (session("a1", &ada), ada.clone()));
    assert_eq!(store.session_user("a1", NOW + 1_000).await.unwrap(), None);
    assert_eq!(store.session_user("unknown", NOW).await.unwrap(), None);

    store.delete_session("a2").await.unwrap();
    assert_eq!(store.session_user("a2", NOW).await.unwrap(), None);
    assert_eq!(store.delete_other_sessions(&ada.id, "a1").await.unwrap(), 1);
    assert!(store.session_user("a1", NOW).await.unwrap().is_some());
    assert_eq!(store.session_user("a3", NOW).await.unwrap(), None);
    assert!(
        store.session_user("b1", NOW).await.unwrap().is_some(),
        "another user's session is not touched"
    );
    store.insert_session(&session("a4", &ada)).await.unwrap();
    assert_eq!(store.delete_sessions(&ada.id).await.unwrap(), 2);
    assert_eq!(store.session_user("a1", NOW).await.unwrap(), None);
    assert!(store.session_user("b1", NOW).await.unwrap().is_some());
}

pub async fn a_server_secret_is_made_once_and_shared(db: &dyn TestDatabase) {
    let first = db.store();
    let kept = first.server_secret("form", b"one", NOW).await.unwrap();
    assert_eq!(kept, b"one");
    let again = first.server_secret("form", b"two", NOW).await.unwrap();
    assert_eq!(again, b"one", "a stored secret is never replaced");
    let other_instance = db.second_handle();
    let shared = other_instance
        .server_secret("form", b"three", NOW)
        .await
        .unwrap();
    assert_eq!(
        shared, b"one",
        "every instance on the database reads the same secret"
    );
    let other_name = first.server_secret("other", b"four", NOW).await.unwrap();
    assert_eq!(other_name, b"four");
}
