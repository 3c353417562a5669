//! Ideas: pages, tags, tenants, optimistic changes and the conversion transaction.

use super::*;

pub async fn ideas_are_paged_filtered_by_tag_and_kept_per_owner(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let eve = user(store.as_ref(), "eve").await;
    let mut created = Vec::new();
    for n in 0..7 {
        let tags: &[&str] = if n % 2 == 0 {
            &["even", "all"]
        } else {
            &["all"]
        };
        let idea = store
            .insert_idea(
                &ada.id,
                &format!("idea_{n}"),
                &idea_fields(&format!("idea {n}"), tags),
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(
            (idea.version, idea.post_id.as_ref().map(PostId::as_str)),
            (1, None)
        );
        created.push(idea);
    }
    store
        .insert_idea(&eve.id, "idea_eve", &idea_fields("eve's", &["even"]), NOW)
        .await
        .unwrap();
    let mut seen = Vec::new();
    for offset in [0, 3, 6] {
        let page = store.list_ideas(&ada.id, None, 3, offset).await.unwrap();
        assert_eq!(page.total, 7);
        seen.extend(page.ideas);
    }
    created.reverse();
    assert_eq!(seen, created);
    let even = store
        .list_ideas(&ada.id, Some("even"), 10, 0)
        .await
        .unwrap();
    let ids: Vec<&str> = even.ideas.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        (ids, even.total),
        (vec!["idea_6", "idea_4", "idea_2", "idea_0"], 4)
    );
    let none = store.list_ideas(&ada.id, Some("eve"), 10, 0).await.unwrap();
    assert_eq!(none.total, 0, "a tag is matched whole");
    assert!(is_not_found(
        &store.get_idea(&eve.id, "idea_0").await,
        "idea"
    ));
    let theirs = store.delete_idea(&eve.id, "idea_0", None, NOW).await;
    assert!(is_not_found(&theirs, "idea"), "{theirs:?}");
    let theirs = store
        .update_idea(&eve.id, "idea_0", 1, &idea_fields("x", &[]), NOW)
        .await;
    assert!(is_not_found(&theirs, "idea"), "{theirs:?}");
    assert_eq!(
        store.list_ideas(&eve.id, None, 10, 0).await.unwrap().total,
        1
    );
}

pub async fn idea_changes_are_optimistic(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let idea = store
        .insert_idea(&ada.id, "idea_v", &idea_fields("one", &["t"]), NOW)
        .await
        .unwrap();
    let mut fields = idea_fields("two", &[]);
    fields.notes = Some("notes".into());
    let updated = store
        .update_idea(&ada.id, &idea.id, idea.version, &fields, NOW + 1)
        .await
        .unwrap();
    assert_eq!((updated.version, updated.updated_at), (2, NOW + 1));
    assert_eq!(updated.fields, fields);
    let stale = store
        .update_idea(&ada.id, &idea.id, idea.version, &fields, NOW + 2)
        .await;
    assert!(is_conflict(&stale), "{stale:?}");
    let stale = store
        .delete_idea(&ada.id, &idea.id, Some(idea.version), NOW)
        .await;
    assert!(is_conflict(&stale), "{stale:?}");
    store
        .delete_idea(&ada.id, &idea.id, Some(updated.version), NOW)
        .await
        .unwrap();
    assert!(is_not_found(
        &store.get_idea(&ada.id, &idea.id).await,
        "idea"
    ));
}

pub async fn idea_conversion_is_atomic(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let eve = user(store.as_ref(), "eve").await;
    let idea = store
        .insert_idea(&ada.id, "idea_c", &idea_fields("become a post", &[]), NOW)
        .await
        .unwrap();
    let post_count = |user_id: UserId| {
        let store = store.clone();
        async move { store.list_posts(&user_id, None, 1, 0).await.unwrap().total }
    };

    // A stale version: nothing happens, not even the post.
    let stale = store
        .convert_idea(
            &ada.id,
            &idea.id,
            idea.version + 1,
            &PostId::from("post_stale"),
            &draft("x"),
            NOW,
        )
        .await;
    assert!(is_conflict(&stale), "{stale:?}");
    assert!(is_not_found(
        &store.get_post(&ada.id, &PostId::from("post_stale")).await,
        "post"
    ));
    assert_eq!(post_count(ada.id.clone()).await, 0);
    // Another user's idea: missing, and no post for anyone.
    let foreign = store
        .convert_idea(
            &eve.id,
            &idea.id,
            idea.version,
            &PostId::from("post_eve"),
            &draft("x"),
            NOW,
        )
        .await;
    assert!(is_not_found(&foreign, "idea"), "{foreign:?}");
    assert_eq!(post_count(eve.id.clone()).await, 0);

    let (converted, post) = store
        .convert_idea(
            &ada.id,
            &idea.id,
            idea.version,
            &PostId::from("post_c"),
            &draft("become a post"),
            NOW + 1,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            converted.post_id.as_ref().map(PostId::as_str),
            converted.version
        ),
        (Some("post_c"), 2)
    );
    assert_eq!(
        (post.id.as_str(), post.fields.status),
        ("post_c", PostStatus::Draft)
    );
    assert_eq!(
        store
            .get_post(&ada.id, &PostId::from("post_c"))
            .await
            .unwrap(),
        post
    );

    // Converted once: again is a conflict, and the second post is rolled back.
    let again = store
        .convert_idea(
            &ada.id,
            &idea.id,
            converted.version,
            &PostId::from("post_again"),
            &draft("x"),
            NOW,
        )
        .await;
    assert!(is_conflict(&again), "{again:?}");
    assert!(is_not_found(
        &store.get_post(&ada.id, &PostId::from("post_again")).await,
        "post"
    ));
    assert_eq!(post_count(ada.id.clone()).await, 1);

    // The post leads back to its idea, for its owner only.
    let post_c = PostId::from("post_c");
    let origin = store.idea_of_post(&ada.id, &post_c).await.unwrap();
    assert_eq!(origin.map(|i| i.id), Some(idea.id.clone()));
    assert_eq!(store.idea_of_post(&eve.id, &post_c).await.unwrap(), None);

    // Deleting the post unlinks the idea.
    store
        .delete_post(&ada.id, &PostId::from("post_c"), None, NOW)
        .await
        .unwrap();
    let unlinked = store.get_idea(&ada.id, &idea.id).await.unwrap();
    assert_eq!(unlinked.post_id, None);
    assert_eq!(store.idea_of_post(&ada.id, &post_c).await.unwrap(), None);
}
