//! The command line: `serve`, `migrate`, `users …`, `keys …`, `linkedin …`.

mod linkedin;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use linkedgrow::admin::{self, KeyView};
use linkedgrow::clock::{Clock, SystemClock};
use linkedgrow::config::{Config, DatabaseArgs, DatabaseUrl, LogFormat};
use linkedgrow::domain::{KeyId, Plan, Scope, Scopes};
use linkedgrow::store::{Store, StoreError};
use linkedgrow::AppState;
use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use tracing_subscriber::EnvFilter;

/// The LinkedGrow API server and its administration.
#[derive(Debug, Parser)]
#[command(name = "linkedgrow", version, about)]
pub struct Cli {
    #[command(flatten)]
    database: DatabaseArgs,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (creating the database if there is none).
    Serve(ServeArgs),
    /// Create the database if there is none and bring its schema up to date, then exit.
    Migrate,
    /// Copy a single-machine installation (SQLite) into an empty PostgreSQL database, checking
    /// every table's row count, then exit.
    MigrateToPostgres {
        /// The SQLite database to copy: sqlite://PATH.
        #[arg(long, value_name = "SQLITE_URL")]
        from: DatabaseUrl,
        /// The PostgreSQL database to fill: postgres://USER:PASSWORD@HOST/DATABASE.
        #[arg(long, value_name = "POSTGRES_URL")]
        to: DatabaseUrl,
    },
    /// Manage users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Connect a LinkedIn member, see the connection, sync analytics.
    Linkedin(linkedin::LinkedInArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    config: Config,
    /// On an empty database, create a demo Business user and print an API key with every scope.
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// Create a user.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// free, pro or business (API access needs business).
        #[arg(long, value_parser = parse_plan)]
        plan: Plan,
    },
    /// Change a user's plan; below business, the user's keys stop working until an upgrade.
    SetPlan {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_plan)]
        plan: Plan,
    },
    /// Set a user's timezone (an IANA name such as Europe/Berlin).
    SetTimezone {
        #[arg(long)]
        email: String,
        #[arg(long)]
        timezone: String,
    },
    /// Set a user's web sign-in password, read from the first line of standard input; signs
    /// out every web session of theirs.
    SetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create a key and print it (only now, never again).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Comma-separated, from: posts:read posts:write posts:delete ideas:read ideas:write analytics:read profile:read
        #[arg(long, value_parser = parse_scopes)]
        scopes: Scopes,
    },
    /// List a user's active keys (never their secrets).
    List {
        #[arg(long)]
        email: String,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key; the server refuses it from the next request on.
    Revoke {
        /// The key's id (key_…), as `keys list` shows it.
        id: String,
    },
}

fn parse_plan(s: &str) -> Result<Plan, String> {
    s.parse()
}

fn parse_scopes(s: &str) -> Result<Scopes, String> {
    Scopes::parse_list(s)
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // The MCP SDK logs each stateless request's start (with the client's own description of
    // itself) and end at INFO, and the tools' arguments (posts' text) at DEBUG: it speaks at
    // WARN and above unless RUST_LOG asks for more.
    let default_level = if matches!(cli.command, Command::Serve(_)) {
        "info,rmcp=warn"
    } else {
        "error"
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match &cli.command {
        // The request span (with its request id) rides along in each line's `span` object.
        Command::Serve(args) if args.config.log_format == LogFormat::Json => log.json().init(),
        _ => log
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }

    let clock = SystemClock;
    let database = cli.database.resolve()?;
    match cli.command {
        Command::Serve(args) => serve(database, args).await,
        Command::Migrate => {
            linkedgrow::open_store(&database).await?;
            println!("the database {} is ready", database.location());
            Ok(())
        }
        Command::MigrateToPostgres { from, to } => migrate_to_postgres(&from, &to).await,
        Command::Users(command) => {
            let store = open_existing_store(&database).await?;
            users(store.as_ref(), command, clock.now().timestamp_millis()).await
        }
        Command::Keys(command) => {
            let store = open_existing_store(&database).await?;
            keys(store.as_ref(), command, clock.now().timestamp_millis()).await
        }
        Command::Linkedin(args) => linkedin::run(database, args).await,
    }
}

async fn migrate_to_postgres(from: &DatabaseUrl, to: &DatabaseUrl) -> anyhow::Result<()> {
    let DatabaseUrl::Sqlite(path) = from else {
        anyhow::bail!("--from must name an SQLite database: sqlite://PATH");
    };
    let DatabaseUrl::Postgres(url) = to else {
        anyhow::bail!(
            "--to must name a PostgreSQL database: postgres://USER:PASSWORD@HOST/DATABASE"
        );
    };
    let report = linkedgrow::store::copy::sqlite_to_postgres(path, url).await?;
    for (table, rows) in &report {
        println!("{table:<24} {rows:>10} rows");
    }
    println!(
        "copied {} into {}; every table's row count matches",
        from.location(),
        to.location()
    );
    if let Some(key_file) = from.key_file().filter(|f| f.is_file()) {
        println!(
            "LinkedIn tokens and webhook secrets were sealed with the key in {}: set \
             LINKEDGROW_ENCRYPTION_KEY to its contents on every instance",
            key_file.display()
        );
    }
    Ok(())
}

/// Opens the database for an admin command, which never creates one.
async fn open_existing_store(database: &DatabaseUrl) -> anyhow::Result<Arc<dyn Store>> {
    linkedgrow::open_existing_store(database).await
}

async fn serve(database: DatabaseUrl, args: ServeArgs) -> anyhow::Result<()> {
    let config = Config {
        database,
        ..args.config
    };
    // Before anything opens files: each connection holds one.
    linkedgrow::server::raise_open_files_limit();
    let state = AppState::from_config(&config, Arc::new(SystemClock)).await?;
    let shutdown = shutdown_signal()?;
    // The publisher, the analytics sync, webhook delivery and the queue gauges stop with the
    // server.
    let (stop, stopped) = tokio::sync::watch::channel(());
    let when_stopped = |mut rx: tokio::sync::watch::Receiver<()>| async move {
        let _ = rx.changed().await;
    };
    tokio::spawn(state.publisher.clone().run(when_stopped(stopped.clone())));
    tokio::spawn(state.publisher.clone().run_analytics(
        std::time::Duration::from_secs(config.publishing.analytics_sync_seconds.max(60)),
        when_stopped(stopped.clone()),
    ));
    if state.metrics_address.is_some() {
        tokio::spawn(linkedgrow::telemetry::watch_queues(
            state.store.clone(),
            state.clock.clone(),
            state.webhooks.first_delay_ms(),
            when_stopped(stopped.clone()),
        ));
    }
    tokio::spawn(state.webhooks.clone().run(when_stopped(stopped)));
    let listener = linkedgrow::server::bind(config.listen)
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    println!("LinkedGrow API listening on http://{address}");
    println!("Database: {}", config.database.location());
    if let Some(metrics) = state.metrics_address {
        println!("Metrics: http://{metrics}/metrics");
    }
    if let (Some(url), Some(redis)) = (&config.redis_url, &state.redis) {
        println!("Redis: {url:?} (rate limits, sign-in throttling, one-time forms)");
        // Says so in the log, once, when it does not answer yet; the server starts anyway
        // and answers 503 until it does.
        let _ = redis.ping().await;
    }
    first_run_help(&state, address, args.demo).await?;
    tracing::info!(%address, "serving");
    linkedgrow::serve(listener, state.clone(), shutdown).await?;
    // No new work is claimed from here on; what is under way gets a little longer to finish,
    // and what is still unfinished then is handed back to the other instances.
    let _ = stop.send(());
    tokio::join!(
        state.publisher.hand_back(HAND_BACK_GRACE),
        state.webhooks.hand_back(HAND_BACK_GRACE)
    );
    tracing::info!("stopped");
    Ok(())
}

/// How long a stopping server waits for a LinkedIn request or a webhook delivery under way
/// before it hands the work back.
const HAND_BACK_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// The demo account `serve --demo` creates.
const DEMO_EMAIL: &str = "demo@example.com";

/// On an empty database, tells a newcomer how to get a key (or, with `--demo`, makes one).
async fn first_run_help(state: &AppState, address: SocketAddr, demo: bool) -> anyhow::Result<()> {
    let store = state.store.as_ref();
    let empty = store.count_users().await? == 0;
    if demo && empty {
        let now = state.clock.now().timestamp_millis();
        let user = admin::create_user(store, DEMO_EMAIL, "Demo User", Plan::Business, now).await?;
        let all: Scopes = Scope::ALL.into_iter().collect();
        let (_, secret) = admin::create_key(store, &user, "Demo key", all, now).await?;
        // A password too, so the web app is usable from the same start.
        let password = Alphanumeric.sample_string(&mut OsRng, 16);
        admin::set_password(store, &user.email, &password, now).await?;
        println!(
            "\nCreated the demo user {email} (Business plan) and an API key with every scope.\n\
             Both are shown only this once:\n\n    API key:  {secret}\n    password: {password}\n\n\
             Try the API:\n    curl -H \"Authorization: Bearer {secret}\" http://{address}/api/v1/posts\n\
             Or open http://{address}/ and sign in as {email} with that password.\n",
            email = user.email
        );
    } else if demo {
        println!("--demo: the database already has users, so no demo key was made (keys are shown only once).");
    } else if empty {
        println!(
            "\nThe database has no users yet. Open http://{address}/ in a browser to create the owner\n\
             account, then get an API key from Settings > API. Or, in another terminal:\n    \
             linkedgrow users create --email you@example.com --name \"Your Name\" --plan business\n    \
             linkedgrow keys create --email you@example.com --name \"My script\" --scopes posts:read,posts:write\n\
             or restart with `serve --demo`.\n"
        );
    }
    Ok(())
}

/// Resolves at the first SIGTERM or Ctrl-C. The handlers are installed here, before the
/// server announces itself, so a signal sent right after start-up is never lost.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
        tracing::info!("shutting down; letting in-flight requests finish");
    })
}

async fn users(store: &dyn Store, command: UsersCommand, now: i64) -> anyhow::Result<()> {
    match command {
        UsersCommand::Create { email, name, plan } => {
            let user = admin::create_user(store, &email, &name, plan, now).await?;
            println!(
                "created user {} ({}, {} plan)",
                user.id,
                user.email,
                user.plan.as_str()
            );
        }
        UsersCommand::SetPlan { email, plan } => {
            let user = admin::set_plan(store, &email, plan).await?;
            println!("{} is now on the {} plan", user.email, user.plan.as_str());
        }
        UsersCommand::SetTimezone { email, timezone } => {
            let user = admin::set_timezone(store, &email, &timezone).await?;
            println!("{}'s timezone is now {}", user.email, user.timezone);
        }
        UsersCommand::SetPassword { email } => {
            let password = read_password_line()?;
            let (user, ended) = admin::set_password(store, &email, &password, now).await?;
            let sessions = if ended == 1 { "session" } else { "sessions" };
            println!(
                "{} can now sign in to the web app with the new password; \
                 {ended} web {sessions} signed out",
                user.email
            );
        }
    }
    Ok(())
}

/// The password from the first line of standard input, without its line ending; a terminal
/// echoes it, so pipe it in (`printf '%s' "$PASSWORD" | linkedgrow users set-password …`).
fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

async fn keys(store: &dyn Store, command: KeysCommand, now: i64) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create {
            email,
            name,
            scopes,
        } => {
            let user = admin::find_user(store, &email).await?;
            let (_, secret) = admin::create_key(store, &user, &name, scopes, now).await?;
            // Only the key on stdout, so scripts can capture it.
            println!("{secret}");
        }
        KeysCommand::List { email, json } => {
            let user = admin::find_user(store, &email).await?;
            let keys = store.list_keys(&user.id).await?;
            let active: Vec<KeyView> = keys
                .iter()
                .filter(|key| key.revoked_at.is_none())
                .map(KeyView::from)
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&active)?);
            } else {
                println!(
                    "{:<22} {:<24} {:<12} {:<21} {:<21} SCOPES",
                    "ID", "NAME", "PREFIX", "CREATED", "LAST USED"
                );
                for key in &active {
                    println!(
                        "{:<22} {:<24} {:<12} {:<21} {:<21} {}",
                        key.id,
                        key.name,
                        key.prefix,
                        key.created_at,
                        key.last_used_at.as_deref().unwrap_or("never"),
                        key.scopes.join(",")
                    );
                }
            }
        }
        KeysCommand::Revoke { id } => {
            let id = KeyId::from(id);
            let key = match store.revoke_key(&id, now).await {
                Ok(key) => key,
                Err(StoreError::NotFound(_)) => anyhow::bail!("no API key with id {id}"),
                Err(err) => return Err(err.into()),
            };
            // Revoking keeps the first revocation's time, so an earlier one shows here.
            match key.revoked_at {
                Some(at) if at != now => println!(
                    "{} ({}) was already revoked on {}; nothing changed",
                    key.id,
                    key.name,
                    linkedgrow::domain::time::rfc3339(at)
                ),
                _ => println!("revoked {} ({})", key.id, key.name),
            }
        }
    }
    Ok(())
}
