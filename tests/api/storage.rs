//! The database files themselves, after the API has been used.

use crate::helpers::spawn_app_with;

/// Size of one WAL frame: a 4 KiB page and its 24-byte header.
const WAL_FRAME_BYTES: u64 = 4_096 + 24;

#[tokio::test]
async fn the_write_ahead_log_stays_bounded_under_a_stream_of_creates() {
    let app = spawn_app_with(|config| {
        config.rate_limit_per_minute = 10_000;
        config.rate_limit_per_hour = 10_000;
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
