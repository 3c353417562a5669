//! Posts: order, pages, filters, tenants and optimistic changes.

use super::*;

pub async fn posts_are_paged_newest_first_without_gap_or_repeat(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    // All in one millisecond: the order must still be the order of creation.
    let mut created = Vec::new();
    for n in 0..23 {
        let post = store
            .insert_post(
                &ada.id,
                &PostId::from(format!("post_{n:02}")),
                &draft(&format!("post {n}")),
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(
            (post.version, post.created_at, post.updated_at),
            (1, NOW, NOW)
        );
        assert_eq!(post.fields, draft(&format!("post {n}")));
        created.push(post);
    }
    let mut seen = Vec::new();
    for page in 0..5 {
        let found = store.list_posts(&ada.id, None, 5, page * 5).await.unwrap();
        assert_eq!(found.total, 23);
        seen.extend(found.posts);
    }
    created.reverse();
    assert_eq!(seen, created);
    let past = store.list_posts(&ada.id, None, 5, 100).await.unwrap();
    assert_eq!((past.posts.len(), past.total), (0, 23));
    let one = store
        .get_post(&ada.id, &PostId::from("post_07"))
        .await
        .unwrap();
    assert_eq!(one.fields.content, "post 7");
}

pub async fn post_lists_filter_by_status_and_count_the_filter(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    store
        .insert_post(&ada.id, &PostId::from("post_d1"), &draft("d1"), NOW)
        .await
        .unwrap();
    store
        .insert_post(&ada.id, &PostId::from("post_d2"), &draft("d2"), NOW)
        .await
        .unwrap();
    let later = NOW + 86_400_000;
    store
        .insert_post(
            &ada.id,
            &PostId::from("post_s1"),
            &scheduled("s1", later),
            NOW,
        )
        .await
        .unwrap();
    let published = store
        .mark_published(&ada.id, &PostId::from("post_d2"), NOW + 5)
        .await
        .unwrap();
    assert_eq!(
        (
            published.fields.status,
            published.published_at,
            published.version
        ),
        (PostStatus::Published, Some(NOW + 5), 2)
    );
    let ids = |status| {
        let store = store.clone();
        let user_id = ada.id.clone();
        async move {
            let page = store.list_posts(&user_id, status, 10, 0).await.unwrap();
            let ids: Vec<String> = page.posts.into_iter().map(|p| p.id.to_string()).collect();
            (ids, page.total)
        }
    };
    assert_eq!(
        ids(Some(PostStatus::Draft)).await,
        (vec!["post_d1".into()], 1)
    );
    assert_eq!(
        ids(Some(PostStatus::Scheduled)).await,
        (vec!["post_s1".into()], 1)
    );
    assert_eq!(
        ids(Some(PostStatus::Published)).await,
        (vec!["post_d2".into()], 1)
    );
    assert_eq!(ids(None).await.1, 3);
    store
        .delete_post(&ada.id, &PostId::from("post_s1"), None, NOW)
        .await
        .unwrap();
    assert_eq!(ids(Some(PostStatus::Scheduled)).await, (vec![], 0));
    assert_eq!(ids(None).await.1, 2);
}

pub async fn posts_of_another_user_are_missing_to_them(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let eve = user(store.as_ref(), "eve").await;
    let post = store
        .insert_post(&ada.id, &PostId::from("post_ada"), &draft("mine"), NOW)
        .await
        .unwrap();
    assert!(is_not_found(
        &store.get_post(&eve.id, &post.id).await,
        "post"
    ));
    let listed = store.list_posts(&eve.id, None, 100, 0).await.unwrap();
    assert_eq!((listed.posts.len(), listed.total), (0, 0));
    let update = store
        .update_post(&eve.id, &post.id, post.version, &draft("theirs"), NOW)
        .await;
    assert!(is_not_found(&update, "post"), "{update:?}");
    let delete = store.delete_post(&eve.id, &post.id, None, NOW).await;
    assert!(is_not_found(&delete, "post"), "{delete:?}");
    let delete = store
        .delete_post(&eve.id, &post.id, Some(post.version), NOW)
        .await;
    assert!(is_not_found(&delete, "post"), "{delete:?}");
    let publish = store.mark_published(&eve.id, &post.id, NOW).await;
    assert!(is_not_found(&publish, "post"), "{publish:?}");
    assert_eq!(store.get_post(&ada.id, &post.id).await.unwrap(), post);
}

pub async fn post_changes_are_optimistic(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let post = store
        .insert_post(&ada.id, &PostId::from("post_v"), &draft("one"), NOW)
        .await
        .unwrap();
    let updated = store
        .update_post(&ada.id, &post.id, post.version, &draft("two"), NOW + 1)
        .await
        .unwrap();
    assert_eq!(
        (updated.version, updated.updated_at, updated.created_at),
        (2, NOW + 1, NOW)
    );
    assert_eq!(updated.fields.content, "two");
    let stale = store
        .update_post(&ada.id, &post.id, post.version, &draft("three"), NOW + 2)
        .await;
    assert!(is_conflict(&stale), "{stale:?}");
    let stale = store
        .delete_post(&ada.id, &post.id, Some(post.version), NOW)
        .await;
    assert!(is_conflict(&stale), "{stale:?}");
    let missing = store
        .update_post(&ada.id, &PostId::from("post_nope"), 1, &draft("x"), NOW)
        .await;
    assert!(is_not_found(&missing, "post"), "{missing:?}");
    assert_eq!(store.get_post(&ada.id, &post.id).await.unwrap(), updated);

    let published = store
        .mark_published(&ada.id, &post.id, NOW + 3)
        .await
        .unwrap();
    let frozen = store
        .update_post(
            &ada.id,
            &post.id,
            published.version,
            &draft("late"),
            NOW + 4,
        )
        .await;
    assert!(
        is_conflict(&frozen),
        "a published post cannot change: {frozen:?}"
    );
    store
        .delete_post(&ada.id, &post.id, Some(published.version), NOW)
        .await
        .unwrap();
    assert!(is_not_found(
        &store.get_post(&ada.id, &post.id).await,
        "post"
    ));
    let gone = store.delete_post(&ada.id, &post.id, None, NOW).await;
    assert!(is_not_found(&gone, "post"), "{gone:?}");
}
