//! Several real `linkedgrow serve` processes on one PostgreSQL database (a schema of the test's
//! own on the local server, dropped afterwards) and one Redis (a `redis-server` the test starts
//! on a spare port), with the LinkedIn stand-in: what an operator runs behind a load balancer.
//!
//! Without a PostgreSQL server or the `redis-server` program, [`Cluster::start`] prints a notice
//! and gives `None`, and the test passes without checking anything; `scripts/test` makes sure
//! both are there. (`instances.rs` is the same for one SQLite file.)

use std::process::{Child, Command, Stdio};

use tokio_postgres::NoTls;

use crate::linkedin_fake::FakeLinkedIn;
use crate::redis_server::RedisServer;

/// The key every instance seals secrets with (32 bytes, base64), as operators share one.
pub const ENCRYPTION_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The PostgreSQL server tests use: `LINKEDGROW_TEST_POSTGRES_URL`, else the local one.
pub fn postgres_server() -> String {
    std::env::var("LINKEDGROW_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A schema of the test's own, dropped when it ends.
pub struct PgSchema {
    name: String,
    /// The database URL whose connections all work in this schema.
    pub url: String,
}

impl PgSchema {
    /// A fresh schema, or `None` with a notice when no PostgreSQL server answers.
    pub async fn create() -> Option<Self> {
        let server = postgres_server();
        let Ok((client, connection)) = tokio_postgres::connect(&server, NoTls).await else {
            eprintln!("notice: no PostgreSQL server answers at {server}; test skipped");
            return None;
        };
        tokio::spawn(connection);
        let name = format!("lg_it_{}", uuid_like());
        client
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .unwrap();
        let url = format!("{server}?options=-csearch_path%3D{name}");
        Some(Self { name, url })
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let status = Command::new("psql")
            .arg(postgres_server())
            .args([
                "-qc",
                &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("note: the test schema {} was left behind", self.name);
        }
    }
}

fn uuid_like() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric
        .sample_string(&mut rand::thread_rng(), 16)
        .to_lowercase()
}

/// One running instance.
pub struct Instance {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
}

impl Instance {
    /// Asks the process to stop (SIGTERM), as a service manager does, and waits for it to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap()
    }

    /// Kills the process at once, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Instances on one database and one Redis.
pub struct Cluster {
    pub schema: PgSchema,
    pub redis: RedisServer,
    pub fake: FakeLinkedIn,
    pub instances: Vec<Instance>,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Cluster {
    /// `n` instances with the default limits, or `None` (with a notice) when PostgreSQL or
    /// Redis is missing.
    pub async fn start(n: usize) -> Option<Self> {
        Self::start_with(n, &[]).await
    }

    /// `n` instances whose rate limits are out of the way, for tests whose own requests would
    /// otherwise run into them (a 429 would hide what they look for).
    pub async fn start_unlimited(n: usize) -> Option<Self> {
        Self::start_with(
            n,
            &[
                ("LINKEDGROW_RATE_LIMIT_PER_MINUTE", "1000000"),
                ("LINKEDGROW_RATE_LIMIT_PER_HOUR", "1000000"),
            ],
        )
        .await
    }

    /// `n` instances with more environment variables.
    pub async fn start_with(n: usize, env: &[(&str, &str)]) -> Option<Self> {
        let schema = PgSchema::create().await?;
        let redis = RedisServer::start("a test of several instances").await?;
        let fake = FakeLinkedIn::start().await;
        let mut cluster = Self {
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            schema,
            redis,
            fake,
            instances: Vec::new(),
            dir: tempfile::tempdir().unwrap(),
        };
        cluster.cli(&["migrate"]);
        for _ in 0..n {
            let instance = cluster.spawn();
            cluster.instances.push(instance);
        }
        Some(cluster)
    }

    /// `linkedgrow` with every instance's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_linkedgrow"));
        command
            .args(args)
            .env("LINKEDGROW_DATABASE_URL", &self.schema.url)
            .env("LINKEDGROW_REDIS_URL", self.redis.url())
            .env("LINKEDGROW_ENCRYPTION_KEY", ENCRYPTION_KEY)
            .env("LINKEDGROW_LINKEDIN_API_URL", self.fake.url())
            .env("LINKEDGROW_LINKEDIN_AUTH_URL", self.fake.url())
            .env_remove("RUST_LOG")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs a CLI command, which must succeed; its standard output.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = self.command(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Starts one more instance on an ephemeral port (its log in the cluster's directory).
    pub fn spawn(&self) -> Instance {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("servers.log"))
            .unwrap();
        let mut child = self
            .command(&["serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let address = crate::helpers::listening_address(&mut child);
        Instance { child, address }
    }

    /// The servers' log so far, for a failing assertion's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("servers.log")).unwrap_or_default()
    }

    /// A Business user and a key with `scopes`, made by the CLI: (email, key).
    pub fn user_with_key(&self, name: &str, scopes: &str) -> (String, String) {
        let email = format!("{name}\u{40}example.com");
        self.cli(&[
            "users", "create", "--email", &email, "--name", name, "--plan", "business",
        ]);
        let key = self
            .cli(&[
                "keys", "create", "--email", &email, "--name", "cluster", "--scopes", scopes,
            ])
            .trim()
            .to_owned();
        (email, key)
    }
}
