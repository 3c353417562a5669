//! API keys: listing, the lookup authentication makes, revocation and use.

use super::*;

pub async fn keys_are_listed_oldest_first_and_only_their_owners(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let bob = user(store.as_ref(), "bob").await;
    for key in [
        new_key(&ada, &KeyId::from("key_second"), NOW + 1),
        new_key(&ada, &KeyId::from("key_first"), NOW),
        new_key(&bob, &KeyId::from("key_bob"), NOW),
        new_key(&ada, &KeyId::from("key_third"), NOW + 1),
    ] {
        store.insert_key(&key).await.unwrap();
    }
    let listed: Vec<String> = store
        .list_keys(&ada.id)
        .await
        .unwrap()
        .into_iter()
        .map(|key| key.id.to_string())
        .collect();
    assert_eq!(listed, ["key_first", "key_second", "key_third"]);
    let record = store.key_by_id(&KeyId::from("key_bob")).await.unwrap();
    assert_eq!(
        (record.user_id, record.scopes.names()),
        (bob.id, vec!["posts:read", "ideas:write"])
    );
    assert_eq!((record.last_used_at, record.revoked_at), (None, None));
    assert!(is_not_found(
        &store.key_by_id(&KeyId::from("key_nope")).await,
        "API key"
    ));
    assert!(is_not_found(
        &store.revoke_key(&KeyId::from("key_nope"), NOW).await,
        "API key"
    ));
}

pub async fn a_revocation_through_a_second_handle_is_seen_by_the_next_lookup(
    db: &dyn TestDatabase,
) {
    let server = db.store();
    let ada = user(server.as_ref(), "ada").await;
    let key = new_key(&ada, &KeyId::from("key_live"), NOW);
    server.insert_key(&key).await.unwrap();
    // The server has looked the key up before, so any memory it keeps is warm.
    for _ in 0..3 {
        let auth = server.key_for_auth(&key.hash).await.unwrap().unwrap();
        assert_eq!((auth.key_id.as_str(), auth.revoked), ("key_live", false));
        assert_eq!(
            (auth.user_id.as_str(), auth.plan),
            (ada.id.as_str(), Plan::Business)
        );
        assert_eq!(auth.scopes, key.scopes);
    }
    assert!(server
        .key_for_auth("hash of nothing")
        .await
        .unwrap()
        .is_none());

    let cli = db.second_handle();
    cli.set_plan(&ada.id, Plan::Free).await.unwrap();
    let auth = server.key_for_auth(&key.hash).await.unwrap().unwrap();
    assert_eq!(
        auth.plan,
        Plan::Free,
        "a plan change elsewhere counts at once"
    );

    let revoked = cli
        .revoke_key(&KeyId::from("key_live"), NOW + 5)
        .await
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(NOW + 5));
    let auth = server.key_for_auth(&key.hash).await.unwrap().unwrap();
    assert!(auth.revoked, "a revocation elsewhere counts at once");
    // Revoking again keeps the first time.
    let again = server
        .revoke_key(&KeyId::from("key_live"), NOW + 9)
        .await
        .unwrap();
    assert_eq!(again.revoked_at, Some(NOW + 5));
}

pub async fn key_use_is_recorded_at_most_once_per_window(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    store
        .insert_key(&new_key(&ada, &KeyId::from("key_used"), NOW))
        .await
        .unwrap();
    store
        .touch_key(&KeyId::from("key_used"), NOW + 10, NOW - 59_990)
        .await
        .unwrap();
    let used = |record: crate::store::KeyRecord| record.last_used_at;
    assert_eq!(
        used(store.key_by_id(&KeyId::from("key_used")).await.unwrap()),
        Some(NOW + 10)
    );
    // A use within the window of the recorded one changes nothing.
    store
        .touch_key(&KeyId::from("key_used"), NOW + 20, NOW + 10 - 59_999)
        .await
        .unwrap();
    assert_eq!(
        used(store.key_by_id(&KeyId::from("key_used")).await.unwrap()),
        Some(NOW + 10)
    );
    store
        .touch_key(&KeyId::from("key_used"), NOW + 70_010, NOW + 10_011)
        .await
        .unwrap();
    assert_eq!(
        used(store.key_by_id(&KeyId::from("key_used")).await.unwrap()),
        Some(NOW + 70_010)
    );
    let auth = store
        .key_for_auth("hash of key_used")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(auth.last_used_at, Some(NOW + 70_010));
}
