//! tokio-postgres + deadpool-postgres against sqlx, on the statements the PostgreSQL backend
//! runs most: the API-key lookup of every request, a post by id, a page of posts with its
//! total, and the insert of a post in a transaction.
//!
//! Both clients run the same SQL text on the same data with a pool of the same size, in the
//! same process and runtime; the two alternate run by run so that what else the machine is
//! doing falls on both alike. Reported per client and operation: throughput, latency (p50,
//! p99) and the CPU time this process spent per operation (user + system, from getrusage),
//! which is what the client costs when the application and the database share a small machine.
//!
//! Settings (environment):
//!   BENCH_POSTGRES_URL   the database (default postgres://postgres@127.0.0.1:5432/test)
//!   BENCH_OPS            operations per concurrent run (default 50000)
//!   BENCH_LATENCY_OPS    operations per one-task run (default 5000)
//!   BENCH_ROUNDS         rounds, each running every client once per case (default 5)
//!   BENCH_TASKS          concurrent tasks (default 32)
//!   BENCH_POOL           connections per pool (default 8)
//!   BENCH_SQLX_PING      1 to also run sqlx with its default test_before_acquire (a ping
//!                        before every checkout), as a third client

use std::error::Error;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::Row as _;
use tokio_postgres::NoTls;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

const SCHEMA: &str = "bench_pg_clients";
const USERS: usize = 1_000;
const KEYS: usize = 10_000;
const POSTS_PER_USER: usize = 50;
const PAGE: i64 = 20;

// The statements, as the backend writes them (src/store/postgres/keys.rs, posts.rs, rows.rs).
const AUTH: &str = "SELECT k.id, k.user_id, k.scopes, u.plan, k.last_used_at, k.revoked_at
     FROM api_keys k JOIN users u ON u.id = k.user_id
     WHERE k.hash = $1";
const POST_COLUMNS: &str = "id, content, status, scheduled_at, published_at, \
     created_at, updated_at, version, linkedin_urn, failure_code, failure_message, failure_at";

fn get_sql() -> String {
    format!("SELECT {POST_COLUMNS} FROM posts WHERE user_id = $1 AND id = $2")
}

fn page_sql() -> String {
    format!(
        "WITH total AS (
             SELECT COALESCE(SUM(n), 0)::bigint AS n FROM post_counts
             WHERE user_id = $1 AND ($2::text IS NULL OR status = $2)),
         page AS (
             SELECT {POST_COLUMNS}, seq FROM posts
             WHERE user_id = $1 AND ($2::text IS NULL OR status = $2)
             ORDER BY seq DESC LIMIT $3 OFFSET $4)
         SELECT page.*, total.n FROM total LEFT JOIN page ON TRUE
         ORDER BY page.seq DESC"
    )
}

fn insert_sql() -> String {
    format!(
        "INSERT INTO posts (id, user_id, content, status, scheduled_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         RETURNING {POST_COLUMNS}"
    )
}

/// The tables the statements touch, as migrations/postgres/0001_core.sql makes them.
const SCHEMA_SQL: &str = "
CREATE TABLE users (
    id TEXT PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL,
    plan TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'business')),
    timezone TEXT NOT NULL DEFAULT 'UTC', created_at BIGINT NOT NULL);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL, prefix TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL, last_used_at BIGINT, revoked_at BIGINT);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);
CREATE TABLE posts (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, content TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'published', 'failed')),
    scheduled_at BIGINT, published_at BIGINT, created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL, version BIGINT NOT NULL DEFAULT 1, linkedin_urn TEXT,
    failure_code TEXT, failure_message TEXT, failure_at BIGINT, due_at BIGINT, claim TEXT,
    in_doubt BOOLEAN NOT NULL DEFAULT FALSE, retry_since BIGINT);
CREATE INDEX posts_user_seq ON posts (user_id, seq);
CREATE INDEX posts_user_status_seq ON posts (user_id, status, seq);
CREATE INDEX posts_user_published ON posts (user_id, published_at) WHERE published_at IS NOT NULL;
CREATE INDEX posts_due ON posts (due_at) WHERE status = 'scheduled';
CREATE TABLE post_counts (
    user_id TEXT NOT NULL, status TEXT NOT NULL, n BIGINT NOT NULL,
    PRIMARY KEY (user_id, status));
CREATE FUNCTION posts_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE post_counts SET n = n - 1 WHERE user_id = OLD.user_id AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO post_counts (user_id, status, n) VALUES (NEW.user_id, NEW.status, 1)
            ON CONFLICT (user_id, status) DO UPDATE SET n = post_counts.n + 1;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER posts_count_insert_delete AFTER INSERT OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_count();
CREATE FUNCTION posts_due_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'scheduled' THEN NEW.due_at := NEW.scheduled_at; END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER posts_due_insert BEFORE INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_due_insert();
";

/// Rows made with generate_series: 1,000 users, 10,000 keys (hashes of 64 hex digits, as
/// SHA-256 gives), 50 posts a user of about 400 characters in every status.
fn seed_sql() -> String {
    format!(
        "INSERT INTO users (id, email, name, plan, created_at)
             SELECT 'usr_' || lpad(i::text, 6, '0'), 'user' || i || '@example.com', 'User ' || i,
                    (ARRAY['free', 'pro', 'business'])[1 + i % 3], 1700000000000 + i
             FROM generate_series(1, {USERS}) AS i;
         INSERT INTO api_keys (id, user_id, name, prefix, hash, scopes, created_at, last_used_at)
             SELECT 'key_' || lpad(i::text, 6, '0'), 'usr_' || lpad((1 + i % {USERS})::text, 6, '0'),
                    'key ' || i, 'lg_' || left(md5(i::text), 8),
                    md5(i::text) || md5('k' || i::text), 'posts:read posts:write',
                    1700000000000 + i, CASE WHEN i % 2 = 0 THEN 1700000500000 + i END
             FROM generate_series(1, {KEYS}) AS i;
         INSERT INTO posts (id, user_id, content, status, scheduled_at, published_at,
                            created_at, updated_at, linkedin_urn)
             SELECT 'pst_' || lpad(i::text, 8, '0'), 'usr_' || lpad((1 + i % {USERS})::text, 6, '0'),
                    repeat('A post about growing on LinkedIn, number ' || i || '. ', 8),
                    s.status,
                    CASE WHEN s.status = 'scheduled' THEN 1800000000000 + i END,
                    CASE WHEN s.status = 'published' THEN 1700000900000 + i END,
                    1700000000000 + i, 1700000000000 + i,
                    CASE WHEN s.status = 'published' THEN 'urn:li:share:' || i END
             FROM generate_series(1, {}) AS i,
                  LATERAL (SELECT (ARRAY['draft', 'scheduled', 'published', 'failed'])[1 + i % 4]
                           AS status) AS s;
         ANALYZE;",
        USERS * POSTS_PER_USER
    )
}

/// What the runs draw from: the same for both clients, in the same order.
struct Data {
    hashes: Vec<String>,
    posts: Vec<(String, String)>, // (user_id, id)
    users: Vec<String>,
    content: String,
    /// Distinguishes the posts each run inserts.
    run: AtomicU64,
}

/// A decoded post: both clients turn every column into Rust values, as the backend does.
#[allow(dead_code)]
struct Post {
    id: String,
    content: String,
    status: String,
    scheduled_at: Option<i64>,
    published_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    version: i64,
    linkedin_urn: Option<String>,
    failure_code: Option<String>,
    failure_message: Option<String>,
    failure_at: Option<i64>,
}

#[allow(dead_code)]
struct KeyAuth {
    key_id: String,
    user_id: String,
    scopes: String,
    plan: String,
    last_used_at: Option<i64>,
    revoked: bool,
}

fn post_from_tp(row: &tokio_postgres::Row) -> Result<Post> {
    Ok(Post {
        id: row.try_get(0)?,
        content: row.try_get(1)?,
        status: row.try_get(2)?,
        scheduled_at: row.try_get(3)?,
        published_at: row.try_get(4)?,
        created_at: row.try_get(5)?,
        updated_at: row.try_get(6)?,
        version: row.try_get(7)?,
        linkedin_urn: row.try_get(8)?,
        failure_code: row.try_get(9)?,
        failure_message: row.try_get(10)?,
        failure_at: row.try_get(11)?,
    })
}

fn post_from_sqlx(row: &PgRow) -> Result<Post> {
    Ok(Post {
        id: row.try_get(0)?,
        content: row.try_get(1)?,
        status: row.try_get(2)?,
        scheduled_at: row.try_get(3)?,
        published_at: row.try_get(4)?,
        created_at: row.try_get(5)?,
        updated_at: row.try_get(6)?,
        version: row.try_get(7)?,
        linkedin_urn: row.try_get(8)?,
        failure_code: row.try_get(9)?,
        failure_message: row.try_get(10)?,
        failure_at: row.try_get(11)?,
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Auth,
    Get,
    Page,
    Insert,
}

impl Op {
    const ALL: [Op; 4] = [Op::Auth, Op::Get, Op::Page, Op::Insert];

    fn name(self) -> &'static str {
        match self {
            Op::Auth => "auth lookup",
            Op::Get => "post by id",
            Op::Page => "page of 20 + total",
            Op::Insert => "insert in tx",
        }
    }
}

/// The statements' text, built once so that neither client pays for `format!` per call.
struct Sql {
    get: String,
    page: String,
    insert: String,
}

enum Client {
    TokioPostgres(Pool),
    Sqlx(PgPool),
}

/// A cheap, fixed pseudo-random spread of indexes, the same for every client.
fn pick(i: u64, n: usize) -> usize {
    let mut x = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x % n as u64) as usize
}

const STATUSES: [Option<&str>; 3] = [None, Some("published"), Some("draft")];

async fn run_op(client: &Client, sql: &Sql, data: &Data, op: Op, run: u64, i: u64) -> Result<()> {
    match (client, op) {
        (Client::TokioPostgres(pool), Op::Auth) => {
            let hash = data.hashes[pick(i, data.hashes.len())].as_str();
            let client = pool.get().await?;
            let statement = client.prepare_cached(AUTH).await?;
            let row = client.query_opt(&statement, &[&hash]).await?.ok_or("no key")?;
            black_box(KeyAuth {
                key_id: row.try_get(0)?,
                user_id: row.try_get(1)?,
                scopes: row.try_get(2)?,
                plan: row.try_get(3)?,
                last_used_at: row.try_get(4)?,
                revoked: row.try_get::<_, Option<i64>>(5)?.is_some(),
            });
        }
        (Client::Sqlx(pool), Op::Auth) => {
            let hash = data.hashes[pick(i, data.hashes.len())].as_str();
            let row = sqlx::query(AUTH).bind(hash).fetch_optional(pool).await?.ok_or("no key")?;
            black_box(KeyAuth {
                key_id: row.try_get(0)?,
                user_id: row.try_get(1)?,
                scopes: row.try_get(2)?,
                plan: row.try_get(3)?,
                last_used_at: row.try_get(4)?,
                revoked: row.try_get::<Option<i64>, _>(5)?.is_some(),
            });
        }
        (Client::TokioPostgres(pool), Op::Get) => {
            let (user_id, id) = &data.posts[pick(i, data.posts.len())];
            let client = pool.get().await?;
            let statement = client.prepare_cached(&sql.get).await?;
            let row = client
                .query_opt(&statement, &[&user_id.as_str(), &id.as_str()])
                .await?
                .ok_or("no post")?;
            black_box(post_from_tp(&row)?);
        }
        (Client::Sqlx(pool), Op::Get) => {
            let (user_id, id) = &data.posts[pick(i, data.posts.len())];
            let row = sqlx::query(&sql.get)
                .bind(user_id.as_str())
                .bind(id.as_str())
                .fetch_optional(pool)
                .await?
                .ok_or("no post")?;
            black_box(post_from_sqlx(&row)?);
        }
        (Client::TokioPostgres(pool), Op::Page) => {
            let user_id = data.users[pick(i, data.users.len())].as_str();
            let status = STATUSES[i as usize % STATUSES.len()];
            let client = pool.get().await?;
            let statement = client.prepare_cached(&sql.page).await?;
            let rows = client
                .query(&statement, &[&user_id, &status, &PAGE, &0i64])
                .await?;
            let total: i64 = rows.first().ok_or("no total")?.try_get(13)?;
            let mut posts = Vec::with_capacity(rows.len());
            for row in &rows {
                if row.try_get::<_, Option<&str>>(0)?.is_some() {
                    posts.push(post_from_tp(row)?);
                }
            }
            black_box((posts, total));
        }
        (Client::Sqlx(pool), Op::Page) => {
            let user_id = data.users[pick(i, data.users.len())].as_str();
            let status = STATUSES[i as usize % STATUSES.len()];
            let rows = sqlx::query(&sql.page)
                .bind(user_id)
                .bind(status)
                .bind(PAGE)
                .bind(0i64)
                .fetch_all(pool)
                .await?;
            let total: i64 = rows.first().ok_or("no total")?.try_get(13)?;
            let mut posts = Vec::with_capacity(rows.len());
            for row in &rows {
                if row.try_get::<Option<&str>, _>(0)?.is_some() {
                    posts.push(post_from_sqlx(row)?);
                }
            }
            black_box((posts, total));
        }
        (Client::TokioPostgres(pool), Op::Insert) => {
            let user_id = data.users[pick(i, data.users.len())].as_str();
            let id = format!("bch_{run:04}_{i:08}");
            let now = 1_760_000_000_000i64 + i as i64;
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let statement = tx.prepare_cached(&sql.insert).await?;
            let row = tx
                .query_one(
                    &statement,
                    &[&id.as_str(), &user_id, &data.content.as_str(), &"draft", &None::<i64>, &now],
                )
                .await?;
            let post = post_from_tp(&row)?;
            tx.commit().await?;
            black_box(post);
        }
        (Client::Sqlx(pool), Op::Insert) => {
            let user_id = data.users[pick(i, data.users.len())].as_str();
            let id = format!("bch_{run:04}_{i:08}");
            let now = 1_760_000_000_000i64 + i as i64;
            let mut tx = pool.begin().await?;
            let row = sqlx::query(&sql.insert)
                .bind(id.as_str())
                .bind(user_id)
                .bind(data.content.as_str())
                .bind("draft")
                .bind(None::<i64>)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            let post = post_from_sqlx(&row)?;
            tx.commit().await?;
            black_box(post);
        }
    }
    Ok(())
}

/// CPU time of this whole process (all threads, user + system) so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

struct Sample {
    ops_per_s: f64,
    p50_us: f64,
    p99_us: f64,
    cpu_us_per_op: f64,
}

/// `ops` operations over `tasks` tasks, each taking the next index until none are left.
async fn measure(
    client: &Arc<Client>,
    sql: &Arc<Sql>,
    data: &Arc<Data>,
    op: Op,
    tasks: usize,
    ops: u64,
) -> Result<Sample> {
    let run = data.run.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    let cpu_started = cpu_time();
    let next = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::with_capacity(tasks);
    for _ in 0..tasks {
        let (client, sql, data, next) = (client.clone(), sql.clone(), data.clone(), next.clone());
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity((ops as usize / tasks) + 1);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= ops {
                    break;
                }
                let t = Instant::now();
                run_op(&client, &sql, &data, op, run, i).await?;
                latencies.push(t.elapsed().as_nanos() as u64);
            }
            Ok::<_, Box<dyn Error + Send + Sync>>(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(ops as usize);
    for handle in handles {
        latencies.extend(handle.await??);
    }
    let elapsed = started.elapsed();
    let cpu = cpu_time() - cpu_started;
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Ok(Sample {
        ops_per_s: ops as f64 / elapsed.as_secs_f64(),
        p50_us: at(0.50) as f64 / 1e3,
        p99_us: at(0.99) as f64 / 1e3,
        cpu_us_per_op: cpu.as_secs_f64() * 1e6 / ops as f64,
    })
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let url = std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let ops: u64 = env_or("BENCH_OPS", 50_000);
    let latency_ops: u64 = env_or("BENCH_LATENCY_OPS", 5_000);
    let rounds: usize = env_or("BENCH_ROUNDS", 5);
    let tasks: usize = env_or("BENCH_TASKS", 32);
    let pool_size: usize = env_or("BENCH_POOL", 8);
    let with_ping = env_or("BENCH_SQLX_PING", 0u8) == 1;

    // Setup on a connection of its own.
    let (setup, connection) = tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(connection);
    setup
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}; SET search_path = {SCHEMA};"
        ))
        .await?;
    let outcome = bench(&url, &setup, ops, latency_ops, rounds, tasks, pool_size, with_ping).await;
    setup.batch_execute(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")).await?;
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn bench(
    url: &str,
    setup: &tokio_postgres::Client,
    ops: u64,
    latency_ops: u64,
    rounds: usize,
    tasks: usize,
    pool_size: usize,
    with_ping: bool,
) -> Result<()> {
    let seeding = Instant::now();
    setup.batch_execute(SCHEMA_SQL).await?;
    setup.batch_execute(&seed_sql()).await?;
    let column = |rows: Vec<tokio_postgres::Row>| -> Vec<String> {
        rows.iter().map(|r| r.get::<_, String>(0)).collect()
    };
    let data = Arc::new(Data {
        hashes: column(setup.query("SELECT hash FROM api_keys ORDER BY seq", &[]).await?),
        users: column(setup.query("SELECT id FROM users ORDER BY id", &[]).await?),
        posts: setup
            .query("SELECT user_id, id FROM posts ORDER BY seq", &[])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect(),
        content: "A new post about growing on LinkedIn. ".repeat(10),
        run: AtomicU64::new(1),
    });
    eprintln!(
        "seeded {} users, {} keys, {} posts in {:.1} s",
        data.users.len(),
        data.hashes.len(),
        data.posts.len(),
        seeding.elapsed().as_secs_f64()
    );

    // The pools: the backend's deadpool settings; sqlx without a ping before every checkout,
    // which is what deadpool's RecyclingMethod::Fast does too.
    let mut tp_config: tokio_postgres::Config = url.parse()?;
    tp_config.options(&format!("-c search_path={SCHEMA}"));
    let manager = Manager::from_config(
        tp_config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let tp = Pool::builder(manager).max_size(pool_size).build()?;
    let sqlx_options: PgConnectOptions = url.parse::<PgConnectOptions>()?.options([("search_path", SCHEMA)]);
    let sqlx_pool = |ping: bool| {
        PgPoolOptions::new()
            .max_connections(pool_size as u32)
            .min_connections(pool_size as u32)
            .test_before_acquire(ping)
            .connect_with(sqlx_options.clone())
    };
    let mut clients: Vec<(&str, Arc<Client>)> = vec![
        ("tokio-postgres", Arc::new(Client::TokioPostgres(tp))),
        ("sqlx", Arc::new(Client::Sqlx(sqlx_pool(false).await?))),
    ];
    if with_ping {
        clients.push(("sqlx+ping", Arc::new(Client::Sqlx(sqlx_pool(true).await?))));
    }
    let sql = Arc::new(Sql {
        get: get_sql(),
        page: page_sql(),
        insert: insert_sql(),
    });

    // The posts a run inserted are deleted after it, so that every run sees the same table.
    let clean = || async {
        setup.batch_execute("DELETE FROM posts WHERE id LIKE 'bch\\_%'").await?;
        setup.batch_execute("VACUUM ANALYZE posts, post_counts").await
    };

    // Warm-up: connections opened, statements prepared on every connection.
    for (_, client) in &clients {
        for op in Op::ALL {
            measure(client, &sql, &data, op, tasks, 2_000).await?;
        }
        clean().await?;
    }

    let load_before = loadavg();
    let started = Instant::now();
    let modes = [(tasks, ops), (1, latency_ops)];
    // results[mode][op][client] = samples, one per round.
    let mut results: Vec<Vec<Vec<Vec<Sample>>>> = modes
        .iter()
        .map(|_| Op::ALL.iter().map(|_| clients.iter().map(|_| Vec::new()).collect()).collect())
        .collect();
    for round in 0..rounds {
        for (m, &(tasks, ops)) in modes.iter().enumerate() {
            for (o, &op) in Op::ALL.iter().enumerate() {
                // A B, then B A: neither client always goes first.
                let mut order: Vec<usize> = (0..clients.len()).collect();
                if round % 2 == 1 {
                    order.reverse();
                }
                for c in order {
                    let s = measure(&clients[c].1, &sql, &data, op, tasks, ops).await?;
                    eprintln!(
                        "round {} {:>2} task(s) {:<18} {:<14} {:>8.0} ops/s  p50 {:>7.0} µs  p99 {:>7.0} µs  cpu {:>5.1} µs/op  (load {})",
                        round + 1,
                        tasks,
                        op.name(),
                        clients[c].0,
                        s.ops_per_s,
                        s.p50_us,
                        s.p99_us,
                        s.cpu_us_per_op,
                        loadavg()
                    );
                    results[m][o][c].push(s);
                    if op == Op::Insert {
                        clean().await?;
                    }
                }
            }
        }
    }

    println!();
    println!(
        "tokio-postgres 0.7 + deadpool-postgres 0.14 vs sqlx 0.8; pool {pool_size}; {rounds} rounds, medians"
    );
    println!(
        "load average before {load_before}, after {}; {:.0} s of runs",
        loadavg(),
        started.elapsed().as_secs_f64()
    );
    for (m, &(tasks, ops)) in modes.iter().enumerate() {
        println!();
        println!("{tasks} task(s), {ops} operations per run");
        println!(
            "| operation | client | ops/s | p50 µs | p99 µs | client CPU µs/op |"
        );
        println!("|---|---|---:|---:|---:|---:|");
        for (o, &op) in Op::ALL.iter().enumerate() {
            let mut medians = Vec::new();
            for (c, (name, _)) in clients.iter().enumerate() {
                let samples = &results[m][o][c];
                let ops_s = median(samples.iter().map(|s| s.ops_per_s).collect());
                let p50 = median(samples.iter().map(|s| s.p50_us).collect());
                let p99 = median(samples.iter().map(|s| s.p99_us).collect());
                let cpu = median(samples.iter().map(|s| s.cpu_us_per_op).collect());
                println!("| {} | {name} | {ops_s:.0} | {p50:.0} | {p99:.0} | {cpu:.1} |", op.name());
                medians.push((ops_s, p50, cpu));
            }
            let (a, b) = (medians[0], medians[1]);
            println!(
                "| {} | tokio-postgres / sqlx | {:.2} | {:.2} | | {:.2} |",
                op.name(),
                a.0 / b.0,
                a.1 / b.1,
                a.2 / b.2
            );
        }
    }
    Ok(())
}
