//! The SQLite store: one writer connection, a small pool of readers, WAL mode.
//!
//! Calls run on the calling task's thread rather than through `spawn_blocking`: a point read
//! takes a few microseconds, less than a thread hop costs, and WAL lets readers run beside the
//! writer. Durability: `synchronous = NORMAL` in WAL mode makes every committed transaction
//! reach the operating system before the call returns, so an acknowledged write survives the
//! server being killed (SIGKILL); only a power loss can drop the last commits before a checkpoint.

mod events;
mod ideas;
mod idempotency;
mod keys;
mod metrics;
mod posts;
mod publishing;
mod queues;
mod rows;
mod secrets;
mod sessions;
mod users;
mod webhook_rows;
mod webhooks;

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};

use crate::store::webhooks::EventPayloads;
use crate::store::{QueueDepths, Store, StoreError, StoreResult};

/// Readers kept open for reuse; more are opened under load and the extra ones closed.
const IDLE_READERS: usize = 8;

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    path: std::path::PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// How events render the records they carry (the API's shapes).
    payloads: Arc<dyn EventPayloads>,
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../../migrations/sqlite/0001_init.sql")),
        M::up(include_str!(
            "../../../migrations/sqlite/0002_ideas_analytics.sql"
        )),
        M::up(include_str!("../../../migrations/sqlite/0003_web.sql")),
        M::up(include_str!(
            "../../../migrations/sqlite/0004_server_secrets.sql"
        )),
        M::up(include_str!(
            "../../../migrations/sqlite/0005_publishing.sql"
        )),
        M::up(include_str!("../../../migrations/sqlite/0006_webhooks.sql")),
        M::up(include_str!(
            "../../../migrations/sqlite/0007_analytics_covering.sql"
        )),
    ])
}

fn open_connection(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(path)
        .with_context(|| format!("cannot open the SQLite database {}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // journal_mode is a property of the file, set once by the writer in `open`; setting it
    // here too would make every new reader contend for a lock.
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;",
    )
    .with_context(|| format!("cannot configure the SQLite database {}", path.display()))?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies the embedded migrations;
    /// the events its changes emit describe records with `payloads`.
    pub fn open(path: &Path, payloads: Arc<dyn EventPayloads>) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the directory {}", dir.display()))?;
        }
        let mut writer = open_connection(path)?;
        writer
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .context("cannot switch the SQLite database to WAL mode")?;
        // Foreign keys off while migrating: rebuilding a table (SQLite's way to change a CHECK
        // constraint) must not cascade into the rows that refer to it.
        writer.pragma_update(None, "foreign_keys", false)?;
        migrations()
            .to_latest(&mut writer)
            .context("cannot apply the database migrations")?;
        writer.pragma_update(None, "foreign_keys", true)?;
        let broken: Option<String> = writer
            .query_row("PRAGMA foreign_key_check", [], |row| row.get(0))
            .optional()?;
        if let Some(table) = broken {
            anyhow::bail!("the database migrations left a broken reference in table {table}");
        }
        Ok(Self {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            payloads,
        })
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let pooled = self.readers.lock().pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path)?,
        };
        let result = f(&conn);
        let mut readers = self.readers.lock();
        if readers.len() < IDLE_READERS {
            readers.push(conn);
        }
        Ok(result?)
    }

    fn write<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        Ok(f(&mut self.writer.lock())?)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        StoreError::Other(err.into())
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())))
    }

    async fn queue_depths(&self, now: i64, first_delay_ms: i64) -> StoreResult<QueueDepths> {
        self.depths(now, first_delay_ms)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use tempfile::TempDir;

    use super::SqliteStore;
    use crate::store::conformance::{conformance_tests, TestDatabase};
    use crate::store::Store;

    /// A fresh database file; a second handle opens the same file anew, as the CLI does.
    struct TempSqlite {
        _dir: TempDir,
        path: PathBuf,
        store: Arc<dyn Store>,
    }

    impl TempSqlite {
        fn new() -> Self {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let path = dir.path().join("conformance.db");
            let store = Arc::new(
                SqliteStore::open(&path, crate::api::events::payloads())
                    .expect("the database opens"),
            );
            Self {
                _dir: dir,
                path,
                store,
            }
        }
    }

    impl TestDatabase for TempSqlite {
        fn store(&self) -> Arc<dyn Store> {
            self.store.clone()
        }

        fn second_handle(&self) -> Arc<dyn Store> {
            Arc::new(
                SqliteStore::open(&self.path, crate::api::events::payloads())
                    .expect("the database opens again"),
            )
        }
    }

    conformance_tests!(async { Some(TempSqlite::new()) });
}
