//! One typed configuration, read from flags or `LINKEDGROW_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::bail;

/// Where the data lives, parsed from `LINKEDGROW_DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file: `sqlite://./data/linkedgrow.db` or `sqlite:///var/lib/linkedgrow/db.sqlite`.
    Sqlite(PathBuf),
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(format!(
                    "the database URL {url:?} names no file; use sqlite://./data/linkedgrow.db"
                ));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Err("PostgreSQL is not supported yet; use sqlite://PATH".into());
        }
        Err(format!(
            "unsupported database URL {url:?}; expected sqlite://PATH"
        ))
    }
}

/// Everything the server needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the data lives.
    pub database: DatabaseUrl,
    /// The address the HTTP server binds.
    pub listen: SocketAddr,
    /// Requests a key may make in any rolling 60 seconds.
    pub rate_limit_per_minute: u32,
    /// Requests a key may make in any rolling 3,600 seconds.
    pub rate_limit_per_hour: u32,
    /// Whether a reverse proxy in front sets `X-Forwarded-Proto` and `X-Forwarded-For`; only
    /// then are they believed (for the `Secure` cookie flag and the client address).
    pub trust_proxy: bool,
}

impl Config {
    /// A configuration with the documented defaults for everything but the database.
    pub fn new(database: DatabaseUrl) -> Self {
        Self {
            database,
            listen: "127.0.0.1:8080".parse().expect("valid default address"),
            rate_limit_per_minute: 60,
            rate_limit_per_hour: 1_000,
            trust_proxy: false,
        }
    }

    /// Checks the limits an operator set.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.rate_limit_per_minute == 0 || self.rate_limit_per_hour == 0 {
            bail!("rate limits must be at least 1 request");
        }
        Ok(())
    }
}
