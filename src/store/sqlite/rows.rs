//! What the area files share: reading stored names back, and two patterns of guarded writes.

use rusqlite::types::{FromSql, FromSqlResult, ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, Params, Row, ToSql};

use crate::domain::{DeliveryId, EventId, KeyId, Plan, PostId, UserId, WebhookId};
use crate::store::StoreError;

/// The typed ids are stored as their text, so they bind and read like strings.
macro_rules! id_sql {
    ($($name:ident),*) => {$(
        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                String::column_result(value).map($name::from)
            }
        }
    )*};
}

id_sql!(UserId, PostId, KeyId, WebhookId, EventId, DeliveryId);

/// A stored plan name.
pub(super) fn plan_from_sql(s: &str) -> rusqlite::Result<Plan> {
    s.parse().map_err(|e: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

/// Runs a write with `RETURNING` and gives its one row, stepping the statement to its end.
///
/// `query_row` stops at the first row and leaves the commit to the statement's reset, and SQLite
/// runs its automatic WAL checkpoint only when a step reaches the end: with `query_row` the WAL
/// grew without bound under a stream of creates and every read got slower.
pub(super) fn write_returning<T>(
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

/// After a guarded change touched no row: either the record (`what`, a row of `table`) is gone
/// or it changed since it was read.
pub(super) fn missing_or_changed(
    conn: &Connection,
    table: &'static str,
    what: &'static str,
    user_id: &UserId,
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
