//! The store conformance suite against PostgreSQL: each test in a schema of its own, created
//! and dropped by the test. The server is `LINKEDGROW_TEST_POSTGRES_URL`, by default the local
//! one (`postgres://postgres@127.0.0.1:5432/test`); when none answers, each test says so and
//! passes without checking anything (`scripts/test` makes sure one answers).

use std::sync::Arc;

use tokio_postgres::NoTls;

use super::PostgresStore;
use crate::store::conformance::{conformance_tests, TestDatabase};
use crate::store::Store;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The test server's URL.
pub fn server_url() -> String {
    std::env::var("LINKEDGROW_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// A fresh schema on the test server, dropped when the test ends.
pub struct TempPostgres {
    schema: String,
    store: Arc<dyn Store>,
    /// Opened beside `store` with a pool of its own, as a second instance would.
    second: Arc<dyn Store>,
}

impl TempPostgres {
    /// A migrated store in a new schema, or `None` (with a notice) when no server answers.
    pub async fn new() -> Option<Self> {
        let base = server_url();
        let Ok((client, connection)) = tokio_postgres::connect(&base, NoTls).await else {
            eprintln!("notice: no PostgreSQL server answers at {base}; PostgreSQL test skipped");
            return None;
        };
        tokio::spawn(connection);
        let schema = format!("lg_test_{}", uuid::Uuid::new_v4().simple());
        client
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("a test schema");
        let url = with_search_path(&base, &schema);
        let store = Arc::new(
            PostgresStore::open(&url, crate::api::events::payloads())
                .await
                .expect("the PostgreSQL store opens"),
        );
        let second = Arc::new(
            PostgresStore::open_existing(&url, crate::api::events::payloads())
                .await
                .expect("the PostgreSQL store opens again"),
        );
        Some(Self {
            schema,
            store,
            second,
        })
    }
}

/// `base` with every connection's search path set to `schema`, and named after it, so that the
/// teardown can end the connections a test left behind.
pub fn with_search_path(base: &str, schema: &str) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options=-csearch_path%3D{schema}&application_name={schema}")
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        drop_schema(self.schema.clone());
    }
}

/// Drops `schema` and everything in it, on a connection and runtime of its own: the test's
/// runtime may already be gone.
pub(super) fn drop_schema(schema: String) {
    let base = server_url();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            if let Ok((client, connection)) = tokio_postgres::connect(&base, NoTls).await {
                tokio::spawn(connection);
                // The test's own connections may still hold locks: a transaction dropped
                // without commit is rolled back only once its runtime runs again, and this
                // thread blocks that runtime. End them first, or DROP SCHEMA waits forever.
                let _ = client
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                         WHERE application_name = $1 AND pid <> pg_backend_pid()",
                        &[&schema],
                    )
                    .await;
                let _ = client
                    .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                    .await;
            }
        });
    })
    .join()
    .ok();
}

impl TestDatabase for TempPostgres {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    fn second_handle(&self) -> Arc<dyn Store> {
        self.second.clone()
    }
}

conformance_tests!(TempPostgres::new());

/// Instances starting together against a new database migrate it once: the advisory lock makes
/// the others wait, then find nothing left to apply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_at_once_migrate_once() {
    let base = server_url();
    let Ok((client, connection)) = tokio_postgres::connect(&base, NoTls).await else {
        eprintln!("notice: no PostgreSQL server answers at {base}; PostgreSQL test skipped");
        return;
    };
    tokio::spawn(connection);
    let schema = format!("lg_test_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    let url = with_search_path(&base, &schema);
    let open = || PostgresStore::open(&url, crate::api::events::payloads());
    let (a, b, c) = tokio::join!(open(), open(), open());
    let opened = [a.is_ok(), b.is_ok(), c.is_ok()];
    let applied: i64 = client
        .query_one(
            &format!("SELECT count(*) FROM {schema}.schema_migrations"),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    drop((a, b, c));
    drop_schema(schema);
    assert_eq!(opened, [true; 3], "every instance starts");
    assert_eq!(
        applied,
        super::migrate::latest(),
        "each migration applied once"
    );
}
