//! One typed configuration, read from flags or `LINKEDGROW_*` environment variables; each
//! setting's flag, variable and default are declared once, on the field.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;
use clap::{Args, CommandFactory, FromArgMatches, Parser};

/// Where the data lives, parsed from `LINKEDGROW_DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file: `sqlite:///var/lib/linkedgrow/db.sqlite` or `sqlite://./data/linkedgrow.db`.
    Sqlite(PathBuf),
    /// A PostgreSQL database shared by several instances: `postgres://user:pass@host/db`.
    Postgres(String),
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(format!(
                    "the database URL {url:?} names no file; use sqlite://PATH, \
                     such as sqlite:///var/lib/linkedgrow/db.sqlite"
                ));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        Err(format!(
            "unsupported database URL {url:?}; expected sqlite://PATH or postgres://…"
        ))
    }
}

impl DatabaseUrl {
    /// Where the database is, for messages: an SQLite file as an absolute path (a relative one
    /// says nothing about which directory it was relative to), a PostgreSQL URL without its
    /// password.
    pub fn location(&self) -> String {
        match self {
            Self::Sqlite(path) => std::path::absolute(path)
                .unwrap_or_else(|_| path.clone())
                .display()
                .to_string(),
            Self::Postgres(url) => redact_password(url),
        }
    }

    /// The backend's name, as metrics label it: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Where the key that seals LinkedIn tokens is kept when `LINKEDGROW_ENCRYPTION_KEY` is not
    /// set: beside an SQLite file. With PostgreSQL there is no such place every instance shares,
    /// so the variable is required.
    pub fn key_file(&self) -> Option<PathBuf> {
        match self {
            Self::Sqlite(path) => Some(crate::linkedin::crypto::key_file_for(path)),
            Self::Postgres(_) => None,
        }
    }
}

/// `url` without its password, for messages and logs.
pub fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Where earlier versions kept the data by default, relative to the current directory; still
/// used when it exists there, so their setups keep working.
pub const LEGACY_DATABASE_PATH: &str = "./data/linkedgrow.db";

/// The database's file name in the per-user data directory.
pub const DATABASE_FILE: &str = "linkedgrow.db";

/// The database every command opens: a global flag of the CLI.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// The database: sqlite://PATH, such as sqlite:///var/lib/linkedgrow/db.sqlite [default:
    /// ./data/linkedgrow.db if the current directory has it, else linkedgrow.db in the per-user
    /// data directory, such as ~/.local/share/linkedgrow/]
    #[arg(
        long = "database-url",
        value_name = "DATABASE_URL",
        env = "LINKEDGROW_DATABASE_URL",
        global = true
    )]
    pub url: Option<DatabaseUrl>,
}

impl DatabaseArgs {
    /// The database the flag or the environment names, else the default location (see
    /// [`default_database`]).
    pub fn resolve(self) -> anyhow::Result<DatabaseUrl> {
        if let Some(url) = self.url {
            return Ok(url);
        }
        let data_dir = directories::ProjectDirs::from("", "", "linkedgrow")
            .map(|dirs| dirs.data_dir().to_owned());
        default_database(Path::new(LEGACY_DATABASE_PATH).is_file(), data_dir)
    }
}

/// The default database: [`LEGACY_DATABASE_PATH`] when the current directory has it, else
/// [`DATABASE_FILE`] in `data_dir`, the per-user data directory (`$XDG_DATA_HOME/linkedgrow` or
/// `~/.local/share/linkedgrow` on Linux), which is the same from whichever directory a command
/// runs.
pub fn default_database(
    legacy_exists: bool,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<DatabaseUrl> {
    if legacy_exists {
        return Ok(DatabaseUrl::Sqlite(PathBuf::from(LEGACY_DATABASE_PATH)));
    }
    match data_dir {
        Some(dir) => Ok(DatabaseUrl::Sqlite(dir.join(DATABASE_FILE))),
        None => bail!(
            "no per-user data directory (is HOME set?); \
             name the database with --database-url sqlite://PATH or LINKEDGROW_DATABASE_URL"
        ),
    }
}

/// Everything the server needs to run: each setting's flag, environment variable and default
/// are declared here, and `linkedgrow serve` flattens them into its arguments.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Where the data lives: the CLI sets it from the global `--database-url` (see
    /// [`DatabaseArgs`]).
    #[arg(skip = DatabaseUrl::Sqlite(PathBuf::from(LEGACY_DATABASE_PATH)))]
    pub database: DatabaseUrl,
    /// The address to listen on.
    #[arg(long, env = "LINKEDGROW_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Serve Prometheus metrics at /metrics on this separate address, such as 127.0.0.1:9090
    /// (never on the public one) [default: no metrics].
    #[arg(long, env = "LINKEDGROW_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// The log's format: text for people, json for one JSON object a line.
    #[arg(long, env = "LINKEDGROW_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Requests one key may make in any rolling 60 seconds.
    #[arg(long, env = "LINKEDGROW_RATE_LIMIT_PER_MINUTE", default_value_t = 60)]
    pub rate_limit_per_minute: u32,
    /// Requests one key may make in any rolling hour.
    #[arg(long, env = "LINKEDGROW_RATE_LIMIT_PER_HOUR", default_value_t = 1_000)]
    pub rate_limit_per_hour: u32,
    /// Share rate limits, sign-in throttling and one-time form ids with other instances
    /// through the Redis at this URL, such as redis://10.0.0.5:6379 [default: in this process's
    /// memory, for a single instance].
    #[arg(long, env = "LINKEDGROW_REDIS_URL")]
    pub redis_url: Option<crate::shared::RedisUrl>,
    /// Believe X-Forwarded-Proto and X-Forwarded-For from a reverse proxy in front (set only
    /// when every request comes through one): HTTPS there makes the session cookie Secure.
    #[arg(long, env = "LINKEDGROW_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// LinkedIn's app and addresses, the public URL, the key of tokens at rest.
    #[command(flatten)]
    pub publishing: crate::publisher::PublishingConfig,
    /// How long clients may take and how many may be connected.
    #[command(flatten)]
    pub connections: ConnectionLimits,
    /// Webhook delivery: the retry schedule, the receivers' timeout, private addresses.
    #[command(flatten)]
    pub webhooks: crate::webhooks::settings::WebhookConfig,
}

/// How the log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

/// How long a client may take over each part of a request, how many clients may be connected at
/// once, and how long a shutdown waits for them: without these, a client that sends slowly or
/// not at all holds a socket and a file descriptor for as long as it likes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Args)]
pub struct ConnectionLimits {
    /// Seconds a client has to send a request's line and headers (from accepting a connection,
    /// or from the first byte of a later request on it).
    #[arg(
        long = "header-timeout-secs",
        env = "LINKEDGROW_HEADER_TIMEOUT_SECS",
        default_value = "10",
        value_parser = parse_secs
    )]
    pub header_timeout: Duration,
    /// Seconds a client has to send a request's whole body, however steadily it trickles in.
    #[arg(
        long = "body-timeout-secs",
        env = "LINKEDGROW_BODY_TIMEOUT_SECS",
        default_value = "30",
        value_parser = parse_secs
    )]
    pub body_timeout: Duration,
    /// Seconds a kept-alive connection may wait for its next request.
    #[arg(
        long = "idle-timeout-secs",
        env = "LINKEDGROW_IDLE_TIMEOUT_SECS",
        default_value = "75",
        value_parser = parse_secs
    )]
    pub idle_timeout: Duration,
    /// Seconds in-flight requests get after SIGTERM or Ctrl-C before every connection is closed.
    #[arg(
        long = "shutdown-timeout-secs",
        env = "LINKEDGROW_SHUTDOWN_TIMEOUT_SECS",
        default_value = "20",
        value_parser = parse_secs
    )]
    pub shutdown_timeout: Duration,
    /// Connections served at once; further ones wait in the listen queue [default: the
    /// open-file limit less 64].
    #[arg(long, env = "LINKEDGROW_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
}

/// Whole seconds, as the timeout flags take them.
fn parse_secs(text: &str) -> Result<Duration, String> {
    text.parse::<u64>()
        .map(Duration::from_secs)
        .map_err(|_| format!("{text:?} is not a whole number of seconds"))
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
    /// The defaults the flags declare (not the environment's) for everything but the database.
    pub fn new(database: DatabaseUrl) -> Self {
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            config: Config,
        }
        let command = Defaults::command().mut_args(|arg| arg.env(None));
        let matches = command.get_matches_from(["linkedgrow"]);
        let Defaults { config } =
            Defaults::from_arg_matches(&matches).expect("the defaults are valid settings");
        Self { database, ..config }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_flags_defaults() {
        let database = DatabaseUrl::Sqlite("/srv/linkedgrow.db".into());
        let config = Config::new(database.clone());
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(
            (config.rate_limit_per_minute, config.rate_limit_per_hour),
            (60, 1_000)
        );
        assert!(!config.trust_proxy);
        assert_eq!(config.metrics_listen, None);
        assert_eq!(config.redis_url, None);
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.webhooks.retry_schedule.attempts(), 8);
        assert!(!config.webhooks.allow_private);
        assert_eq!(config.database, database);
    }

    #[test]
    fn the_default_database_is_the_per_user_one_unless_the_directory_has_the_old_one() {
        let data_dir = PathBuf::from("/home/ada/.local/share/linkedgrow");
        assert_eq!(
            default_database(false, Some(data_dir.clone())).unwrap(),
            DatabaseUrl::Sqlite(data_dir.join("linkedgrow.db"))
        );
        assert_eq!(
            default_database(true, Some(data_dir)).unwrap(),
            DatabaseUrl::Sqlite("./data/linkedgrow.db".into())
        );
        assert_eq!(
            default_database(true, None).unwrap(),
            DatabaseUrl::Sqlite("./data/linkedgrow.db".into())
        );
        let message = default_database(false, None).unwrap_err().to_string();
        assert!(message.contains("LINKEDGROW_DATABASE_URL"), "{message}");
    }

    #[test]
    fn a_flag_or_the_environment_wins_over_the_default() {
        let args = DatabaseArgs {
            url: Some("sqlite:///srv/db.sqlite".parse().unwrap()),
        };
        assert_eq!(
            args.resolve().unwrap(),
            DatabaseUrl::Sqlite("/srv/db.sqlite".into())
        );
    }

    #[test]
    fn locations_are_absolute() {
        let url = DatabaseUrl::Sqlite("./data/linkedgrow.db".into());
        let location = url.location();
        assert!(Path::new(&location).is_absolute(), "{location}");
        assert!(location.ends_with("data/linkedgrow.db"));
    }

    #[test]
    fn postgres_urls_are_accepted_and_shown_without_their_password() {
        let url: DatabaseUrl = "postgres://app:s3cret@db.internal:5432/linkedgrow"
            .parse()
            .unwrap();
        assert_eq!(
            url,
            DatabaseUrl::Postgres("postgres://app:s3cret@db.internal:5432/linkedgrow".into())
        );
        assert!(!url.location().contains("s3cret"), "{}", url.location());
        assert_eq!(url.key_file(), None);
        assert!("postgresql://localhost/x".parse::<DatabaseUrl>().is_ok());
    }
}
