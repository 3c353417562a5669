//! `linkedgrow migrate-to-postgres`: copies a single-machine installation (an SQLite file) into
//! an empty PostgreSQL database, table by table, in one transaction, and checks that every
//! table holds as many rows afterwards as it did before.
//!
//! The PostgreSQL schema is made by its own migrations first; the copy then reads each of its
//! tables' columns from PostgreSQL's catalogue and the same-named column from SQLite, converting
//! by the PostgreSQL type (SQLite keeps flags as 0/1 integers; PostgreSQL as booleans). A column
//! the SQLite schema does not have needs an entry in [`derived_column`], so a table or column
//! added to one schema but not the other fails the copy instead of losing data silently.

use std::path::Path;
use std::pin::pin;

use anyhow::{bail, Context};
use rusqlite::types::Value;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls};

use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;

/// Every table, parents before the tables that refer to them.
const TABLES: &[&str] = &[
    "users",
    "api_keys",
    "posts",
    "post_counts",
    "ideas",
    "post_metrics",
    "idempotency_keys",
    "user_passwords",
    "sessions",
    "server_secrets",
    "linkedin_accounts",
    "linkedin_oauth_states",
    "webhooks",
    "webhook_events",
    "webhook_messages",
    "webhook_deliveries",
];

/// How many rows each table holds after the copy (the same in both databases).
pub type CopyReport = Vec<(&'static str, i64)>;

/// The SQLite expression for a PostgreSQL column that SQLite does not keep as such.
fn derived_column(table: &str, column: &str) -> Option<&'static str> {
    match (table, column) {
        ("api_keys", "seq") => Some("rowid"),
        // SQLite's dispatcher keeps a cursor; PostgreSQL marks each event fanned out.
        ("webhook_events", "dispatched_at") => Some(
            "CASE WHEN seq <= (SELECT last_event FROM webhook_dispatch WHERE id = 1) \
             THEN created_at END",
        ),
        _ => None,
    }
}

/// Copies the SQLite database at `from` into the PostgreSQL database `to`, which must hold no
/// LinkedGrow data yet (its schema is created if missing).
pub async fn sqlite_to_postgres(from: &Path, to: &str) -> anyhow::Result<CopyReport> {
    if !from.is_file() {
        bail!("no SQLite database at {}", from.display());
    }
    // Brings the file's schema up to date, as `serve` would, so both schemas are the newest.
    drop(SqliteStore::open(from, crate::api::events::payloads())?);
    drop(PostgresStore::open(to, crate::api::events::payloads()).await?);
    let source = rusqlite::Connection::open_with_flags(
        from,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let (mut target, connection) = tokio_postgres::connect(to, NoTls)
        .await
        .context("cannot connect to PostgreSQL")?;
    let connection = tokio::spawn(connection);

    check_tables(&target).await?;
    let tx = target.transaction().await?;
    refuse_non_empty(&tx).await?;
    // The posts' triggers keep `post_counts` and a new post's due time: the copy brings both
    // as they are, so the triggers stay out of it (user triggers only; foreign keys still hold).
    tx.batch_execute("ALTER TABLE posts DISABLE TRIGGER USER")
        .await?;
    let mut report = Vec::new();
    for &table in TABLES {
        let copied = copy_table(&source, &tx, table)
            .await
            .with_context(|| format!("cannot copy the table {table}"))?;
        let stored: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await?
            .get(0);
        if stored != copied {
            bail!("the table {table} has {copied} rows in SQLite but {stored} in PostgreSQL");
        }
        report.push((table, copied));
    }
    tx.batch_execute("ALTER TABLE posts ENABLE TRIGGER USER")
        .await?;
    restart_identities(&tx).await?;
    tx.commit().await?;
    drop(target);
    let _ = connection.await;
    Ok(report)
}

/// The copy knows every table of the PostgreSQL schema.
async fn check_tables(client: &Client) -> anyhow::Result<()> {
    let rows = client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
               AND table_name <> 'schema_migrations'",
            &[],
        )
        .await?;
    for row in rows {
        let name: String = row.get(0);
        if !TABLES.contains(&name.as_str()) {
            bail!("the copy does not know the PostgreSQL table {name}");
        }
    }
    Ok(())
}

async fn refuse_non_empty(client: &tokio_postgres::Transaction<'_>) -> anyhow::Result<()> {
    for &table in TABLES {
        let any: bool = client
            .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[])
            .await?
            .get(0);
        if any {
            bail!(
                "the PostgreSQL database already holds data (the table {table} is not empty); \
                 migrate-to-postgres copies into an empty database only"
            );
        }
    }
    Ok(())
}

/// One PostgreSQL column: its name and type.
struct Column {
    name: String,
    kind: Type,
}

async fn columns(
    client: &tokio_postgres::Transaction<'_>,
    table: &str,
) -> anyhow::Result<Vec<Column>> {
    let rows = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1
             ORDER BY ordinal_position",
            &[&table],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let name: String = row.get(0);
            let data_type: String = row.get(1);
            let kind = match data_type.as_str() {
                "bigint" => Type::INT8,
                "integer" => Type::INT4,
                "boolean" => Type::BOOL,
                "text" => Type::TEXT,
                "bytea" => Type::BYTEA,
                other => {
                    bail!("the column {table}.{name} has a type the copy does not know: {other}")
                }
            };
            Ok(Column { name, kind })
        })
        .collect()
}

/// Streams one table from SQLite into PostgreSQL with `COPY … FROM STDIN (BINARY)`; the number
/// of rows read.
async fn copy_table(
    source: &rusqlite::Connection,
    target: &tokio_postgres::Transaction<'_>,
    table: &str,
) -> anyhow::Result<i64> {
    let columns = columns(target, table).await?;
    let select: Vec<String> = columns
        .iter()
        .map(|c| derived_column(table, &c.name).map_or_else(|| c.name.clone(), str::to_owned))
        .collect();
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let types: Vec<Type> = columns.iter().map(|c| c.kind.clone()).collect();
    let sink = target
        .copy_in(&format!(
            "COPY {table} ({}) FROM STDIN (FORMAT binary)",
            names.join(", ")
        ))
        .await?;
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
    let mut statement = source.prepare(&format!("SELECT {} FROM {table}", select.join(", ")))?;
    let mut rows = statement.query([])?;
    let mut count = 0;
    while let Some(row) = rows.next()? {
        let mut values: Vec<Box<dyn ToSql + Sync + Send>> = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            values.push(convert(
                row.get::<_, Value>(i)?,
                &column.kind,
                table,
                &column.name,
            )?);
        }
        let refs: Vec<&(dyn ToSql + Sync)> = values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect();
        writer.as_mut().write(&refs).await?;
        count += 1;
    }
    writer.finish().await?;
    Ok(count)
}

/// An SQLite value as the PostgreSQL column's type wants it.
fn convert(
    value: Value,
    kind: &Type,
    table: &str,
    column: &str,
) -> anyhow::Result<Box<dyn ToSql + Sync + Send>> {
    Ok(match (value, kind) {
        (Value::Null, k) if *k == Type::INT8 => Box::new(None::<i64>),
        (Value::Null, k) if *k == Type::INT4 => Box::new(None::<i32>),
        (Value::Null, k) if *k == Type::BOOL => Box::new(None::<bool>),
        (Value::Null, k) if *k == Type::TEXT => Box::new(None::<String>),
        (Value::Null, _) => Box::new(None::<Vec<u8>>),
        (Value::Integer(n), k) if *k == Type::INT8 => Box::new(n),
        (Value::Integer(n), k) if *k == Type::INT4 => Box::new(
            i32::try_from(n).with_context(|| format!("{table}.{column} = {n} is too large"))?,
        ),
        (Value::Integer(n), k) if *k == Type::BOOL => Box::new(n != 0),
        (Value::Text(s), k) if *k == Type::TEXT => Box::new(s),
        (Value::Blob(b), k) if *k == Type::BYTEA => Box::new(b),
        (Value::Text(s), k) if *k == Type::BYTEA => Box::new(s.into_bytes()),
        (value, kind) => bail!("{table}.{column}: cannot store {value:?} as {kind}"),
    })
}

/// Makes each identity column continue after the largest copied value.
async fn restart_identities(tx: &tokio_postgres::Transaction<'_>) -> anyhow::Result<()> {
    let identities = tx
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND is_identity = 'YES'",
            &[],
        )
        .await?;
    for row in identities {
        let (table, column): (String, String) = (row.get(0), row.get(1));
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(max({column}), 0) + 1, false)
                 FROM {table}"
            ),
            &[&table, &column],
        )
        .await?;
    }
    Ok(())
}
