//! The SQLite store: one writer connection, a small pool of readers, WAL mode.
//!
//! Calls run on the calling task's thread rather than through `spawn_blocking`: a point read
//! takes a few microseconds, less than a thread hop costs, and WAL lets readers run beside the
//! writer. Durability: `synchronous = NORMAL` in WAL mode makes every committed transaction
//! reach the operating system before the call returns, so an acknowledged write survives the
//! server being killed (SIGKILL); only a power loss can drop the last commits before a checkpoint.

use std::path::Path;

use anyhow::Context;
use async_trait::async_trait;
use parking_lot::Mutex;
use rusqlite::{params, Connection, OptionalExtension, Params, Row};
use rusqlite_migration::{Migrations, M};

use crate::auth::{Scope, Scopes};
use crate::domain::analytics::Metrics;
use crate::domain::idea::IdeaFields;
use crate::domain::post::{PostFields, PostStatus};
use crate::store::*;

/// Readers kept open for reuse; more are opened under load and the extra ones closed.
const IDLE_READERS: usize = 8;

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    path: std::path::PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/sqlite/0001_init.sql")),
        M::up(include_str!(
            "../../migrations/sqlite/0002_ideas_analytics.sql"
        )),
        M::up(include_str!("../../migrations/sqlite/0003_web.sql")),
        M::up(include_str!(
            "../../migrations/sqlite/0004_server_secrets.sql"
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
    /// Opens (creating if needed) the database at `path` and applies the embedded migrations.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the directory {}", dir.display()))?;
        }
        let mut writer = open_connection(path)?;
        writer
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .context("cannot switch the SQLite database to WAL mode")?;
        migrations()
            .to_latest(&mut writer)
            .context("cannot apply the database migrations")?;
        Ok(Self {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
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

fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

fn plan_from_sql(s: &str) -> rusqlite::Result<Plan> {
    s.parse().map_err(|e: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

fn scopes_from_sql(s: &str) -> rusqlite::Result<Scopes> {
    s.split(' ')
        .map(|name| name.parse::<Scope>())
        .collect::<Result<Scopes, _>>()
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
        })
}

fn scopes_to_sql(scopes: Scopes) -> String {
    scopes.names().join(" ")
}

const USER_COLUMNS: &str = "id, email, name, plan, timezone, created_at";

fn user_from_row(row: &Row) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        email: row.get(1)?,
        name: row.get(2)?,
        plan: plan_from_sql(&row.get::<_, String>(3)?)?,
        timezone: row.get(4)?,
        created_at: row.get(5)?,
    })
}

const KEY_COLUMNS: &str = "id, user_id, name, prefix, scopes, created_at, last_used_at, revoked_at";

fn key_from_row(row: &Row) -> rusqlite::Result<KeyRecord> {
    Ok(KeyRecord {
        id: row.get(0)?,
        user_id: row.get(1)?,
        name: row.get(2)?,
        prefix: row.get(3)?,
        scopes: scopes_from_sql(&row.get::<_, String>(4)?)?,
        created_at: row.get(5)?,
        last_used_at: row.get(6)?,
        revoked_at: row.get(7)?,
    })
}

const POST_COLUMNS: &str =
    "id, content, status, scheduled_at, published_at, created_at, updated_at, version";

fn post_from_row(row: &Row) -> rusqlite::Result<Post> {
    let status: String = row.get(2)?;
    let status = PostStatus::parse(&status).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            2,
            rusqlite::types::Type::Text,
            format!("unknown post status {status:?}").into(),
        )
    })?;
    Ok(Post {
        id: row.get(0)?,
        fields: PostFields {
            content: row.get(1)?,
            status,
            scheduled_at: row.get(3)?,
        },
        published_at: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
        version: row.get(7)?,
    })
}

fn find_post(conn: &Connection, user_id: &str, id: &str) -> rusqlite::Result<Option<Post>> {
    conn.prepare_cached(&format!(
        "SELECT {POST_COLUMNS} FROM posts WHERE user_id = ?1 AND id = ?2"
    ))?
    .query_row(params![user_id, id], post_from_row)
    .optional()
}

/// Runs a write with `RETURNING` and gives its one row, stepping the statement to its end.
///
/// `query_row` stops at the first row and leaves the commit to the statement's reset, and SQLite
/// runs its automatic WAL checkpoint only when a step reaches the end: with `query_row` the WAL
/// grew without bound under a stream of creates and every read got slower.
fn write_returning<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    f: impl FnOnce(&Row) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let first = match rows.next()? {
        Some(row) => Some(f(row)?),
        None => None,
    };
    while rows.next()?.is_some() {}
    Ok(first)
}

/// Inserts a post and gives it back as stored; shared by creating and converting an idea.
fn insert_post_row(
    conn: &Connection,
    user_id: &str,
    id: &str,
    fields: &PostFields,
    now: i64,
) -> rusqlite::Result<Post> {
    write_returning(
        conn,
        &format!(
            "INSERT INTO posts (id, user_id, content, status, scheduled_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             RETURNING {POST_COLUMNS}"
        ),
        params![
            id,
            user_id,
            fields.content,
            fields.status.as_str(),
            fields.scheduled_at,
            now
        ],
        post_from_row,
    )?
    .ok_or(rusqlite::Error::QueryReturnedNoRows)
}

/// After a guarded change touched no row: either the record (`what`, a row of `table`) is gone
/// or it changed since it was read.
fn missing_or_changed(
    conn: &Connection,
    table: &'static str,
    what: &'static str,
    user_id: &str,
    id: &str,
) -> StoreError {
    let exists = conn
        .prepare_cached(&format!(
            "SELECT 1 FROM {table} WHERE user_id = ?1 AND id = ?2"
        ))
        .and_then(|mut statement| statement.exists(params![user_id, id]));
    match exists {
        Ok(true) => StoreError::Conflict(format!("the {what} changed since it was read")),
        Ok(false) => StoreError::NotFound(what),
        Err(err) => err.into(),
    }
}

const IDEA_COLUMNS: &str = "id, content, notes, tags, post_id, created_at, updated_at, version";

fn idea_from_row(row: &Row) -> rusqlite::Result<Idea> {
    let tags: String = row.get(3)?;
    let tags: Vec<String> = serde_json::from_str(&tags).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e.into())
    })?;
    Ok(Idea {
        id: row.get(0)?,
        fields: IdeaFields {
            content: row.get(1)?,
            notes: row.get(2)?,
            tags,
        },
        post_id: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
        version: row.get(7)?,
    })
}

fn tags_to_sql(tags: &[String]) -> String {
    serde_json::to_string(tags).expect("a list of strings serializes")
}

fn find_idea(conn: &Connection, user_id: &str, id: &str) -> rusqlite::Result<Option<Idea>> {
    conn.prepare_cached(&format!(
        "SELECT {IDEA_COLUMNS} FROM ideas WHERE user_id = ?1 AND id = ?2"
    ))?
    .query_row(params![user_id, id], idea_from_row)
    .optional()
}

fn metric(row: &Row, index: usize) -> rusqlite::Result<u64> {
    Ok(row.get::<_, i64>(index)?.max(0) as u64)
}

fn day_from_sql(raw: &str) -> rusqlite::Result<chrono::NaiveDate> {
    raw.parse().map_err(|e: chrono::ParseError| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

fn day_to_sql(day: chrono::NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())))
    }

    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let result = self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO users (id, email, name, plan, timezone, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                user.id,
                user.email,
                user.name,
                user.plan.as_str(),
                user.timezone,
                user.created_at
            ])
        });
        match result {
            Err(StoreError::Other(err))
                if err
                    .downcast_ref::<rusqlite::Error>()
                    .is_some_and(is_unique_violation) =>
            {
                Err(StoreError::Conflict(format!(
                    "a user with the email {} already exists",
                    user.email
                )))
            }
            other => other.map(drop),
        }
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<User> {
        self.read(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE email = ?1"
            ))?
            .query_row([email], user_from_row)
            .optional()
        })?
        .ok_or(StoreError::NotFound("user"))
    }

    async fn user_by_id(&self, user_id: &str) -> StoreResult<User> {
        self.read(|conn| {
            conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
                .query_row([user_id], user_from_row)
                .optional()
        })?
        .ok_or(StoreError::NotFound("user"))
    }

    async fn update_profile(&self, user_id: &str, name: &str, timezone: &str) -> StoreResult<()> {
        let changed = self.write(|conn| {
            conn.prepare_cached("UPDATE users SET name = ?2, timezone = ?3 WHERE id = ?1")?
                .execute(params![user_id, name, timezone])
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    async fn set_plan(&self, user_id: &str, plan: Plan) -> StoreResult<()> {
        let changed = self.write(|conn| {
            conn.prepare_cached("UPDATE users SET plan = ?1 WHERE id = ?2")?
                .execute(params![plan.as_str(), user_id])
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    async fn count_users(&self) -> StoreResult<u64> {
        self.read(|conn| conn.query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0)))
    }

    async fn insert_key(&self, key: &NewKey) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO api_keys (id, user_id, name, prefix, hash, scopes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                key.id,
                key.user_id,
                key.name,
                key.prefix,
                key.hash,
                scopes_to_sql(key.scopes),
                key.created_at
            ])
        })?;
        Ok(())
    }

    /// Always read from the database, in a read transaction of its own: a revocation or plan
    /// change committed by anyone (this server, the CLI, another instance) counts from the
    /// next request. A remembered answer saved too little to be worth proving exact.
    async fn key_for_auth(&self, hash: &str) -> StoreResult<Option<KeyAuth>> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT k.id, k.user_id, k.scopes, u.plan, k.last_used_at, k.revoked_at
                 FROM api_keys k JOIN users u ON u.id = k.user_id
                 WHERE k.hash = ?1",
            )?
            .query_row([hash], |row| {
                Ok(KeyAuth {
                    key_id: row.get(0)?,
                    user_id: row.get(1)?,
                    scopes: scopes_from_sql(&row.get::<_, String>(2)?)?,
                    plan: plan_from_sql(&row.get::<_, String>(3)?)?,
                    last_used_at: row.get(4)?,
                    revoked: row.get::<_, Option<i64>>(5)?.is_some(),
                })
            })
            .optional()
        })
    }

    async fn touch_key(&self, key_id: &str, now: i64, unless_since: i64) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached(
                "UPDATE api_keys SET last_used_at = ?2
                 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
            )?
            .execute(params![key_id, now, unless_since])
        })?;
        Ok(())
    }

    async fn list_keys(&self, user_id: &str) -> StoreResult<Vec<KeyRecord>> {
        self.read(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM api_keys WHERE user_id = ?1 ORDER BY created_at, rowid"
            ))?
            .query_map([user_id], key_from_row)?
            .collect()
        })
    }

    async fn key_by_id(&self, key_id: &str) -> StoreResult<KeyRecord> {
        self.read(|conn| {
            conn.prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1"))?
                .query_row([key_id], key_from_row)
                .optional()
        })?
        .ok_or(StoreError::NotFound("API key"))
    }

    async fn revoke_key(&self, key_id: &str, now: i64) -> StoreResult<KeyRecord> {
        self.write(|conn| {
            write_returning(
                conn,
                &format!(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1
                     RETURNING {KEY_COLUMNS}"
                ),
                params![key_id, now],
                key_from_row,
            )
        })?
        .ok_or(StoreError::NotFound("API key"))
    }

    async fn insert_post(
        &self,
        user_id: &str,
        id: &str,
        fields: &PostFields,
        now: i64,
    ) -> StoreResult<Post> {
        self.write(|conn| insert_post_row(conn, user_id, id, fields, now))
    }

    async fn get_post(&self, user_id: &str, id: &str) -> StoreResult<Post> {
        self.read(|conn| find_post(conn, user_id, id))?
            .ok_or(StoreError::NotFound("post"))
    }

    async fn list_posts(
        &self,
        user_id: &str,
        status: Option<PostStatus>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<PostPage> {
        let status = status.map(PostStatus::as_str);
        self.read(|conn| {
            // One read transaction, so the page and the total come from the same snapshot.
            let tx = conn.unchecked_transaction()?;
            let posts = tx
                .prepare_cached(&format!(
                    "SELECT {POST_COLUMNS} FROM posts
                     WHERE user_id = ?1 AND (?2 IS NULL OR status = ?2)
                     ORDER BY seq DESC LIMIT ?3 OFFSET ?4"
                ))?
                .query_map(params![user_id, status, limit, offset], post_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 = tx
                .prepare_cached(
                    "SELECT COALESCE(SUM(n), 0) FROM post_counts
                     WHERE user_id = ?1 AND (?2 IS NULL OR status = ?2)",
                )?
                .query_row(params![user_id, status], |row| row.get(0))?;
            tx.commit()?;
            Ok(PostPage {
                posts,
                total: total.max(0) as u64,
            })
        })
    }

    async fn update_post(
        &self,
        user_id: &str,
        id: &str,
        version: i64,
        fields: &PostFields,
        now: i64,
    ) -> StoreResult<Post> {
        let conn = self.writer.lock();
        let updated = write_returning(
            &conn,
            &format!(
                "UPDATE posts SET content = ?4, status = ?5, scheduled_at = ?6,
                    updated_at = ?7, version = version + 1
                 WHERE user_id = ?1 AND id = ?2 AND version = ?3 AND status <> 'published'
                 RETURNING {POST_COLUMNS}"
            ),
            params![
                user_id,
                id,
                version,
                fields.content,
                fields.status.as_str(),
                fields.scheduled_at,
                now
            ],
            post_from_row,
        )?;
        updated.ok_or_else(|| missing_or_changed(&conn, "posts", "post", user_id, id))
    }

    async fn delete_post(&self, user_id: &str, id: &str, version: Option<i64>) -> StoreResult<()> {
        let conn = self.writer.lock();
        let deleted = conn
            .prepare_cached(
                "DELETE FROM posts WHERE user_id = ?1 AND id = ?2 AND (?3 IS NULL OR version = ?3)",
            )?
            .execute(params![user_id, id, version])?;
        if deleted == 0 {
            return Err(missing_or_changed(&conn, "posts", "post", user_id, id));
        }
        Ok(())
    }

    async fn mark_published(&self, user_id: &str, id: &str, now: i64) -> StoreResult<Post> {
        self.write(|conn| {
            write_returning(
                conn,
                &format!(
                    "UPDATE posts SET status = 'published', scheduled_at = NULL, published_at = ?3,
                        updated_at = ?3, version = version + 1
                     WHERE user_id = ?1 AND id = ?2
                     RETURNING {POST_COLUMNS}"
                ),
                params![user_id, id, now],
                post_from_row,
            )
        })?
        .ok_or(StoreError::NotFound("post"))
    }

    async fn insert_idea(
        &self,
        user_id: &str,
        id: &str,
        fields: &IdeaFields,
        now: i64,
    ) -> StoreResult<Idea> {
        self.write(|conn| {
            write_returning(
                conn,
                &format!(
                    "INSERT INTO ideas (id, user_id, content, notes, tags, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                     RETURNING {IDEA_COLUMNS}"
                ),
                params![
                    id,
                    user_id,
                    fields.content,
                    fields.notes,
                    tags_to_sql(&fields.tags),
                    now
                ],
                idea_from_row,
            )?
            .ok_or(rusqlite::Error::QueryReturnedNoRows)
        })
    }

    async fn get_idea(&self, user_id: &str, id: &str) -> StoreResult<Idea> {
        self.read(|conn| find_idea(conn, user_id, id))?
            .ok_or(StoreError::NotFound("idea"))
    }

    async fn list_ideas(
        &self,
        user_id: &str,
        tag: Option<&str>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<IdeaPage> {
        self.read(|conn| {
            let tx = conn.unchecked_transaction()?;
            const FILTER: &str = "user_id = ?1 AND (?2 IS NULL OR EXISTS (
                SELECT 1 FROM json_each(ideas.tags) WHERE json_each.value = ?2))";
            let ideas = tx
                .prepare_cached(&format!(
                    "SELECT {IDEA_COLUMNS} FROM ideas WHERE {FILTER}
                     ORDER BY seq DESC LIMIT ?3 OFFSET ?4"
                ))?
                .query_map(params![user_id, tag, limit, offset], idea_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 = tx
                .prepare_cached(&format!("SELECT COUNT(*) FROM ideas WHERE {FILTER}"))?
                .query_row(params![user_id, tag], |row| row.get(0))?;
            tx.commit()?;
            Ok(IdeaPage {
                ideas,
                total: total.max(0) as u64,
            })
        })
    }

    async fn update_idea(
        &self,
        user_id: &str,
        id: &str,
        version: i64,
        fields: &IdeaFields,
        now: i64,
    ) -> StoreResult<Idea> {
        let conn = self.writer.lock();
        let updated = write_returning(
            &conn,
            &format!(
                "UPDATE ideas SET content = ?4, notes = ?5, tags = ?6, updated_at = ?7,
                    version = version + 1
                 WHERE user_id = ?1 AND id = ?2 AND version = ?3
                 RETURNING {IDEA_COLUMNS}"
            ),
            params![
                user_id,
                id,
                version,
                fields.content,
                fields.notes,
                tags_to_sql(&fields.tags),
                now
            ],
            idea_from_row,
        )?;
        updated.ok_or_else(|| missing_or_changed(&conn, "ideas", "idea", user_id, id))
    }

    async fn delete_idea(&self, user_id: &str, id: &str, version: Option<i64>) -> StoreResult<()> {
        let conn = self.writer.lock();
        let deleted = conn
            .prepare_cached(
                "DELETE FROM ideas WHERE user_id = ?1 AND id = ?2 AND (?3 IS NULL OR version = ?3)",
            )?
            .execute(params![user_id, id, version])?;
        if deleted == 0 {
            return Err(missing_or_changed(&conn, "ideas", "idea", user_id, id));
        }
        Ok(())
    }

    async fn convert_idea(
        &self,
        user_id: &str,
        idea_id: &str,
        version: i64,
        post_id: &str,
        post: &PostFields,
        now: i64,
    ) -> StoreResult<(Idea, Post)> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        // The post first: the idea's foreign key needs it to exist.
        let created = insert_post_row(&tx, user_id, post_id, post, now)?;
        let idea = tx
            .prepare_cached(&format!(
                "UPDATE ideas SET post_id = ?4, updated_at = ?5, version = version + 1
                 WHERE user_id = ?1 AND id = ?2 AND version = ?3 AND post_id IS NULL
                 RETURNING {IDEA_COLUMNS}"
            ))?
            .query_row(
                params![user_id, idea_id, version, post_id, now],
                idea_from_row,
            )
            .optional()?;
        let Some(idea) = idea else {
            // Dropping `tx` rolls the post back.
            return Err(match find_idea(&tx, user_id, idea_id)? {
                Some(_) => StoreError::Conflict(
                    "the idea was converted or changed since it was read".into(),
                ),
                None => StoreError::NotFound("idea"),
            });
        };
        tx.commit()?;
        Ok((idea, created))
    }

    async fn record_post_metrics(
        &self,
        user_id: &str,
        post_id: &str,
        day: chrono::NaiveDate,
        metrics: Metrics,
    ) -> StoreResult<()> {
        let conn = self.writer.lock();
        if find_post(&conn, user_id, post_id)?.is_none() {
            return Err(StoreError::NotFound("post"));
        }
        let n = |v: u64| v.min(i64::MAX as u64) as i64;
        conn.prepare_cached(
            "INSERT INTO post_metrics (post_id, user_id, day, impressions, members_reached,
                 reactions, comments, reposts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (post_id, day) DO UPDATE SET impressions = excluded.impressions,
                 members_reached = excluded.members_reached, reactions = excluded.reactions,
                 comments = excluded.comments, reposts = excluded.reposts",
        )?
        .execute(params![
            post_id,
            user_id,
            day_to_sql(day),
            n(metrics.impressions),
            n(metrics.members_reached),
            n(metrics.reactions),
            n(metrics.comments),
            n(metrics.reposts)
        ])?;
        Ok(())
    }

    async fn daily_metrics(
        &self,
        user_id: &str,
        post_id: Option<&str>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> StoreResult<Vec<(chrono::NaiveDate, Metrics)>> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT day, SUM(impressions), SUM(members_reached), SUM(reactions),
                        SUM(comments), SUM(reposts)
                 FROM post_metrics
                 WHERE user_id = ?1 AND (?2 IS NULL OR post_id = ?2) AND day BETWEEN ?3 AND ?4
                 GROUP BY day ORDER BY day",
            )?
            .query_map(
                params![user_id, post_id, day_to_sql(from), day_to_sql(to)],
                |row| {
                    Ok((
                        day_from_sql(&row.get::<_, String>(0)?)?,
                        Metrics {
                            impressions: metric(row, 1)?,
                            members_reached: metric(row, 2)?,
                            reactions: metric(row, 3)?,
                            comments: metric(row, 4)?,
                            reposts: metric(row, 5)?,
                        },
                    ))
                },
            )?
            .collect()
        })
    }

    async fn count_published(
        &self,
        user_id: &str,
        from_ms: i64,
        until_ms: i64,
    ) -> StoreResult<u64> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT COUNT(*) FROM posts
                 WHERE user_id = ?1 AND published_at >= ?2 AND published_at < ?3",
            )?
            .query_row(params![user_id, from_ms, until_ms], |row| metric(row, 0))
        })
    }

    async fn begin_idempotent(
        &self,
        api_key_id: &str,
        idem_key: &str,
        fingerprint: &str,
        now: i64,
        expired_before: i64,
    ) -> StoreResult<IdempotencyBegin> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        tx.prepare_cached("DELETE FROM idempotency_keys WHERE created_at < ?1")?
            .execute([expired_before])?;
        let found = tx
            .prepare_cached(
                "SELECT fingerprint, status, headers, body FROM idempotency_keys
                 WHERE api_key_id = ?1 AND idem_key = ?2",
            )?
            .query_row(params![api_key_id, idem_key], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<u16>>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, Option<Vec<u8>>>(3)?,
                ))
            })
            .optional()?;
        let outcome = match found {
            None => {
                tx.prepare_cached(
                    "INSERT INTO idempotency_keys (api_key_id, idem_key, fingerprint, created_at)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![api_key_id, idem_key, fingerprint, now])?;
                IdempotencyBegin::Started
            }
            Some((stored, _, _, _)) if stored != fingerprint => IdempotencyBegin::Mismatch,
            Some((_, None, _, _)) => IdempotencyBegin::InProgress,
            Some((_, Some(status), headers, body)) => {
                let headers: Vec<(String, String)> =
                    serde_json::from_str(headers.as_deref().unwrap_or("[]"))
                        .map_err(anyhow::Error::from)?;
                IdempotencyBegin::Completed(StoredResponse {
                    status,
                    headers,
                    body: body.unwrap_or_default(),
                })
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    async fn complete_idempotent(
        &self,
        api_key_id: &str,
        idem_key: &str,
        response: &StoredResponse,
    ) -> StoreResult<()> {
        let headers = serde_json::to_string(&response.headers).map_err(anyhow::Error::from)?;
        self.write(|conn| {
            conn.prepare_cached(
                "UPDATE idempotency_keys SET status = ?3, headers = ?4, body = ?5
                 WHERE api_key_id = ?1 AND idem_key = ?2",
            )?
            .execute(params![
                api_key_id,
                idem_key,
                response.status,
                headers,
                response.body
            ])
        })?;
        Ok(())
    }

    async fn release_idempotent(&self, api_key_id: &str, idem_key: &str) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached(
                "DELETE FROM idempotency_keys
                 WHERE api_key_id = ?1 AND idem_key = ?2 AND status IS NULL",
            )?
            .execute(params![api_key_id, idem_key])
        })?;
        Ok(())
    }

    // --- web app: owner account, passwords, sessions ---

    async fn create_owner(&self, user: &User, password_hash: &str) -> StoreResult<()> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            // One conditional INSERT on the single writer: two racing first-run forms cannot
            // both find the table empty.
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO users (id, email, name, plan, timezone, created_at)
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE NOT EXISTS (SELECT 1 FROM users)",
                )?
                .execute(params![
                    user.id,
                    user.email,
                    user.name,
                    user.plan.as_str(),
                    user.timezone,
                    user.created_at
                ])?;
            if inserted == 1 {
                tx.prepare_cached(
                    "INSERT INTO user_passwords (user_id, hash, updated_at) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![user.id, password_hash, user.created_at])?;
            }
            tx.commit()?;
            Ok(inserted)
        })
        .and_then(|inserted| match inserted {
            1 => Ok(()),
            _ => Err(StoreError::Conflict(
                "the owner account already exists".into(),
            )),
        })
    }

    async fn password_hash(&self, user_id: &str) -> StoreResult<Option<String>> {
        self.read(|conn| {
            conn.prepare_cached("SELECT hash FROM user_passwords WHERE user_id = ?1")?
                .query_row([user_id], |row| row.get(0))
                .optional()
        })
    }

    async fn set_password(&self, user_id: &str, password_hash: &str, now: i64) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO user_passwords (user_id, hash, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash,
                    updated_at = excluded.updated_at",
            )?
            .execute(params![user_id, password_hash, now])
        })?;
        Ok(())
    }

    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            tx.prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
                .execute([session.created_at])?;
            tx.prepare_cached(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                session.token_hash,
                session.user_id,
                session.csrf_token,
                session.created_at,
                session.expires_at
            ])?;
            tx.commit()
        })
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(SessionRecord, User)>> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at, s.expires_at,
                        u.id, u.email, u.name, u.plan, u.timezone, u.created_at
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            )?
            .query_row(params![token_hash, now], |row| {
                let session = SessionRecord {
                    token_hash: row.get(0)?,
                    user_id: row.get(1)?,
                    csrf_token: row.get(2)?,
                    created_at: row.get(3)?,
                    expires_at: row.get(4)?,
                };
                let user = User {
                    id: row.get(5)?,
                    email: row.get(6)?,
                    name: row.get(7)?,
                    plan: plan_from_sql(&row.get::<_, String>(8)?)?,
                    timezone: row.get(9)?,
                    created_at: row.get(10)?,
                };
                Ok((session, user))
            })
            .optional()
        })
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
                .execute([token_hash])
        })?;
        Ok(())
    }

    async fn delete_other_sessions(&self, user_id: &str, keep_hash: &str) -> StoreResult<u64> {
        let deleted = self.write(|conn| {
            conn.prepare_cached("DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> ?2")?
                .execute(params![user_id, keep_hash])
        })?;
        Ok(deleted as u64)
    }

    async fn delete_sessions(&self, user_id: &str) -> StoreResult<u64> {
        let deleted = self.write(|conn| {
            conn.prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
                .execute([user_id])
        })?;
        Ok(deleted as u64)
    }

    async fn server_secret(&self, name: &str, fresh: &[u8], now: i64) -> StoreResult<Vec<u8>> {
        self.write(|conn| {
            // Instances starting together on a new database: the first insert wins, and every
            // one of them reads the winner.
            conn.prepare_cached(
                "INSERT INTO server_secrets (name, value, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO NOTHING",
            )?
            .execute(params![name, fresh, now])?;
            conn.prepare_cached("SELECT value FROM server_secrets WHERE name = ?1")?
                .query_row([name], |row| row.get(0))
        })
    }
}
