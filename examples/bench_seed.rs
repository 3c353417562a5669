//! Fills a database with posts for the benchmark (`scripts/bench`) through the store, the same
//! code path the server writes with, and prints the new posts' ids one per line.
//!
//! Usage: `bench_seed --database-url sqlite://PATH --email E --posts 100000 [--scheduled 10000] > ids.txt`

use std::io::{BufWriter, Write};

use chrono::Utc;
use clap::Parser;
use linkedgrow::admin;
use linkedgrow::config::DatabaseUrl;
use linkedgrow::domain::post::{PostFields, PostStatus};
use linkedgrow::domain::PostId;

/// Seeds posts for an existing user.
#[derive(Debug, Parser)]
struct Args {
    /// The database, as `linkedgrow --database-url` takes it.
    #[arg(long)]
    database_url: DatabaseUrl,
    /// The owner of the posts (the user must exist).
    #[arg(long)]
    email: String,
    /// How many posts to create.
    #[arg(long, default_value_t = 100_000)]
    posts: u32,
    /// How many posts to schedule in the future besides (not printed): the publisher's load.
    #[arg(long, default_value_t = 0)]
    scheduled: u32,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let store = linkedgrow::open_store(&args.database_url).await?;
    let user = admin::find_user(store.as_ref(), &args.email).await?;
    let start = Utc::now().timestamp_millis() - i64::from(args.posts) * 1_000;
    let mut out = BufWriter::new(std::io::stdout().lock());
    for n in 0..args.posts {
        let fields = PostFields {
            content: format!(
                "Post number {n}. Five lessons from a year of writing on LinkedIn every week: \
                 show up, keep it short, tell one story, end with a question, and reply to \
                 every comment within the hour. #writing #linkedin"
            ),
            status: PostStatus::Draft,
            scheduled_at: None,
        };
        let id = PostId::generate();
        // One post a second in the past, so the timestamps look like real history.
        let created = start + i64::from(n) * 1_000;
        store.insert_post(&user.id, &id, &fields, created).await?;
        writeln!(out, "{id}")?;
    }
    // Scheduled a minute apart from tomorrow on: the publisher keeps them in its index and
    // sleeps until the first, as it would for a real backlog.
    let tomorrow = Utc::now().timestamp_millis() + 86_400_000;
    for n in 0..args.scheduled {
        let at = tomorrow + i64::from(n) * 60_000;
        let fields = PostFields {
            content: format!("Scheduled post number {n}, for later. #writing"),
            status: PostStatus::Scheduled,
            scheduled_at: Some(at),
        };
        store
            .insert_post(&user.id, &PostId::generate(), &fields, start)
            .await?;
    }
    out.flush()?;
    Ok(())
}
