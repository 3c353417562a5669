//! The PostgreSQL schema's migrations: applied in order at start, each in its own transaction,
//! under an advisory lock so that several instances starting at once migrate once.

use anyhow::Context;
use tokio_postgres::Client;

/// Every migration, in order: (version, name, SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "core",
        include_str!("../../../migrations/postgres/0001_core.sql"),
    ),
    (
        2,
        "webhooks",
        include_str!("../../../migrations/postgres/0002_webhooks.sql"),
    ),
];

/// The version the code expects.
pub(super) fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// The lock every migrating instance takes, per schema (so tests in their own schemas do not
/// wait for each other). Session-level: released when the connection closes, also if the
/// process dies mid-way.
const LOCK: &str =
    "SELECT pg_advisory_lock(hashtext('linkedgrow migrations ' || current_schema()))";
const UNLOCK: &str =
    "SELECT pg_advisory_unlock(hashtext('linkedgrow migrations ' || current_schema()))";

/// Applies the migrations not yet applied.
pub(super) async fn run(client: &mut Client) -> anyhow::Result<()> {
    client
        .batch_execute(LOCK)
        .await
        .context("cannot take the migration lock")?;
    let result = apply(client).await;
    client.batch_execute(UNLOCK).await.ok();
    result
}

async fn apply(client: &mut Client) -> anyhow::Result<()> {
    // `IF NOT EXISTS` on an existing table is a NOTICE, which the driver would log on every start.
    client
        .batch_execute(
            "SET client_min_messages = warning;
             CREATE TABLE IF NOT EXISTS schema_migrations (
                 version     BIGINT PRIMARY KEY,
                 name        TEXT NOT NULL,
                 applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .await
        .context("cannot create the schema_migrations table")?;
    let applied = applied_version(client).await?.unwrap_or(0);
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > applied) {
        let tx = client.transaction().await?;
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("cannot apply the database migration {version} ({name})"))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&version, &name],
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// The newest migration applied, `None` when the schema has none (never migrated).
pub(super) async fn applied_version(client: &Client) -> anyhow::Result<Option<i64>> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let row = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .await?;
    Ok(row.get(0))
}
