//! What the PostgreSQL area files share: reading typed ids, plans, posts and ideas from rows,
//! and telling "gone" from "changed" after a guarded write touched nothing.

use std::error::Error;

use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::Row;

use crate::domain::idea::IdeaFields;
use crate::domain::post::{PostFields, PostStatus};
use crate::domain::{DeliveryId, EventId, KeyId, Plan, PostId, UserId, WebhookId};
use crate::store::publishing::Failure;
use crate::store::{Idea, Post, StoreError, StoreResult};

/// The typed ids are stored as their text, so they read back like strings. (They bind as
/// `&id.as_str()`: writing `ToSql` would need the driver's buffer type, a dependency of its own.)
macro_rules! id_from_sql {
    ($($name:ident),*) => {$(
        impl<'a> FromSql<'a> for $name {
            fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
                String::from_sql(ty, raw).map($name::from)
            }

            fn accepts(ty: &Type) -> bool {
                <String as FromSql>::accepts(ty)
            }
        }
    )*};
}

id_from_sql!(UserId, PostId, KeyId, WebhookId, EventId, DeliveryId);

/// A stored value the code cannot read: the schema and the code disagree.
pub(super) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Other(anyhow::anyhow!("unreadable stored {what}: {value:?}"))
}

/// A stored plan name.
pub(super) fn plan_from_sql(name: &str) -> StoreResult<Plan> {
    name.parse().map_err(|_: String| corrupt("plan", name))
}

/// The columns [`post_from_row`] reads, in its order.
pub(super) const POST_COLUMNS: &str = "id, content, status, scheduled_at, published_at, \
     created_at, updated_at, version, linkedin_urn, failure_code, failure_message, failure_at";

/// How many columns [`POST_COLUMNS`] names: what a query selects after them starts here.
pub(super) const POST_COLUMN_COUNT: usize = 12;

/// A post from a row that starts with [`POST_COLUMNS`].
pub(super) fn post_from_row(row: &Row) -> StoreResult<Post> {
    let status: &str = row.try_get(2)?;
    let status = PostStatus::parse(status).ok_or_else(|| corrupt("post status", status))?;
    let failure = match (
        row.try_get::<_, Option<String>>(9)?,
        row.try_get::<_, Option<String>>(10)?,
        row.try_get::<_, Option<i64>>(11)?,
    ) {
        (Some(code), Some(message), Some(at)) => Some(Failure { code, message, at }),
        _ => None,
    };
    Ok(Post {
        id: row.try_get(0)?,
        fields: PostFields {
            content: row.try_get(1)?,
            status,
            scheduled_at: row.try_get(3)?,
        },
        published_at: row.try_get(4)?,
        created_at: row.try_get(5)?,
        updated_at: row.try_get(6)?,
        version: row.try_get(7)?,
        linkedin_urn: row.try_get(8)?,
        failure,
    })
}

/// One of the user's posts, if it exists.
pub(super) async fn find_post(
    client: &impl GenericClient,
    user_id: &UserId,
    id: &PostId,
) -> StoreResult<Option<Post>> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {POST_COLUMNS} FROM posts WHERE user_id = $1 AND id = $2"
        ))
        .await?;
    client
        .query_opt(&statement, &[&user_id.as_str(), &id.as_str()])
        .await?
        .as_ref()
        .map(post_from_row)
        .transpose()
}

/// The items and the total of a list read in one statement: every row carries the total at
/// column `total_at`, and an empty page is one row whose item columns are all NULL.
pub(super) fn page_and_total<T>(
    rows: &[Row],
    total_at: usize,
    read: impl Fn(&Row) -> StoreResult<T>,
) -> StoreResult<(Vec<T>, u64)> {
    let total = match rows.first() {
        Some(row) => row.try_get::<_, i64>(total_at)?.max(0) as u64,
        None => 0,
    };
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        if row.try_get::<_, Option<&str>>(0)?.is_some() {
            items.push(read(row)?);
        }
    }
    Ok((items, total))
}

/// The columns [`idea_from_row`] reads, in its order.
pub(super) const IDEA_COLUMNS: &str =
    "id, content, notes, tags, post_id, created_at, updated_at, version";

/// How many columns [`IDEA_COLUMNS`] names.
pub(super) const IDEA_COLUMN_COUNT: usize = 8;

/// An idea from a row that starts with [`IDEA_COLUMNS`]; its tags are a JSON array (text).
pub(super) fn idea_from_row(row: &Row) -> StoreResult<Idea> {
    let tags: &str = row.try_get(3)?;
    let tags: Vec<String> = serde_json::from_str(tags).map_err(|_| corrupt("idea tags", tags))?;
    Ok(Idea {
        id: row.try_get(0)?,
        fields: IdeaFields {
            content: row.try_get(1)?,
            notes: row.try_get(2)?,
            tags,
        },
        post_id: row.try_get(4)?,
        created_at: row.try_get(5)?,
        updated_at: row.try_get(6)?,
        version: row.try_get(7)?,
    })
}

/// One of the user's ideas, if it exists.
pub(super) async fn find_idea(
    client: &impl GenericClient,
    user_id: &UserId,
    id: &str,
) -> StoreResult<Option<Idea>> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {IDEA_COLUMNS} FROM ideas WHERE user_id = $1 AND id = $2"
        ))
        .await?;
    client
        .query_opt(&statement, &[&user_id.as_str(), &id])
        .await?
        .as_ref()
        .map(idea_from_row)
        .transpose()
}

/// After a guarded change touched no row: either the record (`what`, a row of `table`) is gone
/// or it changed since it was read.
pub(super) async fn missing_or_changed(
    client: &impl GenericClient,
    table: &'static str,
    what: &'static str,
    user_id: &UserId,
    id: &str,
) -> StoreError {
    let exists = async {
        let statement = client
            .prepare_cached(&format!(
                "SELECT 1 FROM {table} WHERE user_id = $1 AND id = $2"
            ))
            .await?;
        client
            .query_opt(&statement, &[&user_id.as_str(), &id])
            .await
            .map(|row| row.is_some())
    };
    match exists.await {
        Ok(true) => StoreError::Conflict(format!("the {what} changed since it was read")),
        Ok(false) => StoreError::NotFound(what),
        Err(err) => err.into(),
    }
}

/// Ends a transaction by the outcome of its work: commits on success, rolls back (and waits
/// for it) on an error. A dropped transaction only queues its `ROLLBACK` on the connection, and
/// until that is sent its locks stay held, so error paths roll back explicitly.
pub(super) async fn finish<T>(tx: Transaction<'_>, outcome: StoreResult<T>) -> StoreResult<T> {
    match outcome {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(err) => {
            // The error that ended the work says more than a failed rollback would.
            tx.rollback().await.ok();
            Err(err)
        }
    }
}
