//! Several real `linkedgrow serve` processes sharing one SQLite file and one Redis, as
//! instances behind a load balancer would; each is killed when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use linkedgrow::admin;
use linkedgrow::config::DatabaseUrl;
use linkedgrow::domain::{Plan, Scope, Scopes};
use linkedgrow::store::{Store, User};

use crate::web_client::PASSWORD;

/// One running server process.
pub struct Instance {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
}

impl Instance {
    /// The absolute URL of `path` on this instance.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The shared database, the instances' environment, and a store on the same file for the test.
pub struct Fleet {
    pub dir: tempfile::TempDir,
    pub database_url: String,
    pub store: Arc<dyn Store>,
    env: Vec<(String, String)>,
}

impl Fleet {
    /// A fresh database; instances get `env` (such as `LINKEDGROW_REDIS_URL`).
    pub async fn new(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path: PathBuf = dir.path().join("linkedgrow.db");
        let database_url = format!("sqlite://{}", path.display());
        let store = linkedgrow::open_store(&DatabaseUrl::Sqlite(path))
            .await
            .unwrap();
        let env = env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        Self {
            dir,
            database_url,
            store,
            env,
        }
    }

    /// `linkedgrow` with `args` against the shared database.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_linkedgrow"));
        command
            .args(args)
            .env("LINKEDGROW_DATABASE_URL", &self.database_url)
            // The key file beside the database is shared, as instances share one key.
            .env_remove("LINKEDGROW_ENCRYPTION_KEY")
            .env_remove("LINKEDGROW_REDIS_URL")
            .env_remove("RUST_LOG");
        command
    }

    /// Runs an admin command to its end; panics unless it succeeded.
    pub async fn run(&self, args: &[&str]) -> String {
        let output = tokio::process::Command::from(self.command(args))
            .output()
            .await
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Starts `serve` on an ephemeral port and waits for the line that names its address.
    pub fn start(&self) -> Instance {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("servers.log"))
            .unwrap();
        let mut child = self
            .command(&["serve", "--listen", "127.0.0.1:0"])
            .envs(self.env.iter().map(|(n, v)| (n.as_str(), v.as_str())))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let address = crate::helpers::listening_address(&mut child);
        Instance { child, address }
    }

    /// A Business user who can sign in with [`PASSWORD`].
    pub async fn user(&self) -> User {
        let email = format!("{}\u{40}example.com", linkedgrow::keys::random_id("user"));
        let now = chrono::Utc::now().timestamp_millis();
        let store = self.store.as_ref();
        let user = admin::create_user(store, &email, "Ada", Plan::Business, now)
            .await
            .unwrap();
        admin::set_password(store, &email, PASSWORD, now)
            .await
            .unwrap();
        user
    }

    /// A key of `user` with `posts:read`; returns (key id, secret).
    pub async fn key(&self, user: &User) -> (String, String) {
        let scopes: Scopes = [Scope::PostsRead].into_iter().collect();
        let now = chrono::Utc::now().timestamp_millis();
        let (record, secret) = admin::create_key(self.store.as_ref(), user, "k", scopes, now)
            .await
            .unwrap();
        (record.id.into(), secret)
    }
}
