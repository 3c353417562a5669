//! The database files themselves, after the API has been used.

use crate::helpers::{spawn_app_with, Options};

/// Size of one WAL frame: a 4 KiB page and its 24-byte header.
const WAL_FRAME_BYTES: u64 = 4_096 + 24;

#[tokio::test]
async fn the_write_ahead_log_stays_bounded_under_a_stream_of_creates() {
    let app = spawn_app_with(Options {
        per_minute: 10_000,
        per_hour: 10_000,
    })
    .await;
    let key = app.full_key().await;
    // Each create writes several pages (the post, its indexes, the counts): 600 creates write
    // thousands of frames, well past SQLite's automatic checkpoint at 1,000.
    for n in 0..600 {
        app.create_post(&key, &format!("post number {n}")).await;
    }
    let wal = app.db_path.with_extension("db-wal");
    let frames = std::fs::metadata(&wal).unwrap().len() / WAL_FRAME_BYTES;
    assert!(
        frames < 1_500,
        "the WAL holds {frames} frames: automatic checkpoints are not running"
    );
}

#[tokio::test]
async fn guarded_changes_tell_a_stale_version_from_a_missing_record() {
    use linkedgrow::domain::idea::IdeaFields;
    use linkedgrow::domain::post::{PostFields, PostStatus};
    use linkedgrow::domain::Plan;
    use linkedgrow::store::StoreError;

    let app = crate::helpers::spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    let store = app.store.as_ref();
    let now = app.now_ms();
    let fields = PostFields {
        content: "a".into(),
        status: PostStatus::Draft,
        scheduled_at: None,
    };
    let post = store
        .insert_post(&user.id, "post_guarded", &fields, now)
        .await
        .unwrap();
    let stale = post.version + 1;
    let changed = store
        .update_post(&user.id, &post.id, stale, &fields, now)
        .await;
    assert!(
        matches!(changed, Err(StoreError::Conflict(_))),
        "{changed:?}"
    );
    let changed = store.delete_post(&user.id, &post.id, Some(stale)).await;
    assert!(
        matches!(changed, Err(StoreError::Conflict(_))),
        "{changed:?}"
    );
    let missing = store
        .update_post(&user.id, "post_nope", 1, &fields, now)
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound("post"))),
        "{missing:?}"
    );

    let idea_fields = IdeaFields {
        content: "i".into(),
        notes: None,
        tags: vec![],
    };
    let idea = store
        .insert_idea(&user.id, "idea_guarded", &idea_fields, now)
        .await
        .unwrap();
    let changed = store
        .update_idea(&user.id, &idea.id, idea.version + 1, &idea_fields, now)
        .await;
    assert!(
        matches!(changed, Err(StoreError::Conflict(_))),
        "{changed:?}"
    );
    let missing = store.delete_idea(&user.id, "idea_nope", None).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound("idea"))),
        "{missing:?}"
    );
    // Another user's record is missing, not changed.
    let other = app.create_user(Plan::Business).await;
    let foreign = store.delete_post(&other.id, &post.id, Some(stale)).await;
    assert!(
        matches!(foreign, Err(StoreError::NotFound("post"))),
        "{foreign:?}"
    );
}
