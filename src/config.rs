//! One typed configuration, read from flags or `LINKEDGROW_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// How long clients may take and how many may be connected.
    pub connections: ConnectionLimits,
}

/// How long a client may take over each part of a request, how many clients may be connected at
/// once, and how long a shutdown waits for them: without these, a client that sends slowly or
/// not at all holds a socket and a file descriptor for as long as it likes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From accepting a connection, or from the first byte of a later request on it, until its
    /// request line and headers are complete.
    pub header_timeout: Duration,
    /// From the end of the headers until the whole body has been read, however steadily it
    /// trickles in.
    pub body_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// After a shutdown signal, how long in-flight requests may take before every connection
    /// still open is closed.
    pub shutdown_timeout: Duration,
    /// Connections served at once; further ones wait in the listen queue. `None`: the open-file
    /// limit less a reserve for the database and the log.
    pub max_connections: Option<usize>,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(75),
            shutdown_timeout: Duration::from_secs(20),
            max_connections: None,
        }
    }
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
            connections: ConnectionLimits::default(),
        }
    }

    /// Checks the limits an operator set.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.rate_limit_per_minute == 0 || self.rate_limit_per_hour == 0 {
            bail!("rate limits must be at least 1 request");
        }
        let limits = &self.connections;
        if [
            limits.header_timeout,
            limits.body_timeout,
            limits.idle_timeout,
        ]
        .contains(&Duration::ZERO)
        {
            bail!("the header, body and idle timeouts must be at least 1 second");
        }
        if limits.max_connections == Some(0) {
            bail!("the connection limit must be at least 1");
        }
        Ok(())
    }
}
