//! Analytics rows and idempotency records.

use super::*;

pub async fn metrics_are_summed_per_day_and_kept_per_owner(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let eve = user(store.as_ref(), "eve").await;
    for id in ["post_m1", "post_m2"] {
        let post_id = PostId::from(id);
        store
            .insert_post(&ada.id, &post_id, &draft(id), NOW)
            .await
            .unwrap();
        store.mark_published(&ada.id, &post_id, NOW).await.unwrap();
    }
    let figures = |impressions: u64, reactions: u64| Metrics {
        impressions,
        members_reached: impressions / 2,
        reactions,
        comments: 1,
        reposts: 0,
    };
    let record = |post: &'static str, on: &'static str, m: Metrics| {
        let store = store.clone();
        let user_id = ada.id.clone();
        async move {
            store
                .record_post_metrics(&user_id, &PostId::from(post), day(on), m)
                .await
        }
    };
    record("post_m1", "2026-01-01", figures(100, 5))
        .await
        .unwrap();
    record("post_m2", "2026-01-01", figures(50, 1))
        .await
        .unwrap();
    record("post_m1", "2026-01-03", figures(7, 0))
        .await
        .unwrap();
    // Recording a day again replaces its figures.
    record("post_m1", "2026-01-03", figures(10, 2))
        .await
        .unwrap();
    record("post_m1", "2026-02-01", figures(1, 1))
        .await
        .unwrap();

    let mut sum = figures(100, 5);
    sum += figures(50, 1);
    let daily = store
        .daily_metrics(&ada.id, None, day("2026-01-01"), day("2026-01-31"))
        .await
        .unwrap();
    assert_eq!(
        daily,
        vec![
            (day("2026-01-01"), sum),
            (day("2026-01-03"), figures(10, 2))
        ]
    );
    let one = store
        .daily_metrics(
            &ada.id,
            Some(&PostId::from("post_m2")),
            day("2026-01-01"),
            day("2026-01-31"),
        )
        .await
        .unwrap();
    assert_eq!(one, vec![(day("2026-01-01"), figures(50, 1))]);

    let theirs = store
        .daily_metrics(&eve.id, None, day("2026-01-01"), day("2026-12-31"))
        .await
        .unwrap();
    assert!(theirs.is_empty(), "{theirs:?}");
    let foreign = store
        .record_post_metrics(
            &eve.id,
            &PostId::from("post_m1"),
            day("2026-01-02"),
            figures(1, 1),
        )
        .await;
    assert!(is_not_found(&foreign, "post"), "{foreign:?}");

    assert_eq!(
        store.count_published(&ada.id, NOW, NOW + 1).await.unwrap(),
        2
    );
    assert_eq!(
        store
            .count_published(&ada.id, NOW + 1, NOW + 2)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store.count_published(&eve.id, NOW, NOW + 1).await.unwrap(),
        0
    );

    // Per post: those with figures in the range or published in it, drafts never.
    store
        .insert_post(&ada.id, &PostId::from("post_m3"), &draft("post_m3"), NOW)
        .await
        .unwrap();
    let totals = |user_id: UserId, from: &'static str, to: &'static str, ms: i64| {
        let store = store.clone();
        async move {
            let mut rows: Vec<(String, Metrics)> = store
                .post_totals(&user_id, day(from), day(to), ms, ms + 1)
                .await
                .unwrap()
                .into_iter()
                .map(|(post, m)| (post.id.to_string(), m))
                .collect();
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            rows
        }
    };
    let mut m1 = figures(100, 5);
    m1 += figures(10, 2);
    assert_eq!(
        totals(ada.id.clone(), "2026-01-01", "2026-01-31", NOW + 1).await,
        vec![("post_m1".into(), m1), ("post_m2".into(), figures(50, 1))]
    );
    assert_eq!(
        totals(ada.id.clone(), "2026-03-01", "2026-03-31", NOW).await,
        vec![
            ("post_m1".into(), Metrics::default()),
            ("post_m2".into(), Metrics::default())
        ]
    );
    assert!(totals(ada.id.clone(), "2026-03-01", "2026-03-31", NOW + 1)
        .await
        .is_empty());
    assert!(totals(eve.id.clone(), "2026-01-01", "2026-12-31", NOW)
        .await
        .is_empty());
}

pub async fn idempotency_records_replay_refuse_and_expire(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    for id in ["key_a", "key_b"] {
        store
            .insert_key(&new_key(&ada, &KeyId::from(id), NOW))
            .await
            .unwrap();
    }
    let begin = |api_key: &'static str, fingerprint: &'static str, now: i64| {
        let store = store.clone();
        async move {
            store
                .begin_idempotent(
                    &KeyId::from(api_key),
                    "retry-1",
                    fingerprint,
                    now,
                    now - 1_000,
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(begin("key_a", "f1", NOW).await, IdempotencyBegin::Started);
    assert_eq!(
        begin("key_a", "f1", NOW).await,
        IdempotencyBegin::InProgress
    );
    assert_eq!(begin("key_a", "f2", NOW).await, IdempotencyBegin::Mismatch);
    // Another API key has its own records.
    assert_eq!(begin("key_b", "f2", NOW).await, IdempotencyBegin::Started);

    let response = StoredResponse {
        status: 201,
        headers: vec![("content-type".into(), "application/json".into())],
        body: b"{\"id\":1}".to_vec(),
    };
    store
        .complete_idempotent(&KeyId::from("key_a"), "retry-1", &response)
        .await
        .unwrap();
    // Releasing a completed record keeps it.
    store
        .release_idempotent(&KeyId::from("key_a"), "retry-1")
        .await
        .unwrap();
    assert_eq!(
        begin("key_a", "f1", NOW + 1).await,
        IdempotencyBegin::Completed(response)
    );
    assert_eq!(
        begin("key_a", "f2", NOW + 1).await,
        IdempotencyBegin::Mismatch
    );

    // A released in-progress record frees the key.
    store
        .release_idempotent(&KeyId::from("key_b"), "retry-1")
        .await
        .unwrap();
    assert_eq!(begin("key_b", "f3", NOW).await, IdempotencyBegin::Started);

    // Past retention, a record is forgotten.
    assert_eq!(
        begin("key_a", "f2", NOW + 1_001).await,
        IdempotencyBegin::Started
    );
}
