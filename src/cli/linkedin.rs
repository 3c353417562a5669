//! `linkedgrow linkedin …`: connect a member with a token (for headless setups: LinkedIn's
//! developer portal issues member tokens), see the connection, disconnect, sync analytics.

use std::io::Read;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use linkedgrow::admin;
use linkedgrow::clock::{Clock, SystemClock};
use linkedgrow::config::DatabaseUrl;
use linkedgrow::linkedin::{AccessToken, Scopes};
use linkedgrow::publisher::connection::ConnectionStatus;
use linkedgrow::publisher::{Publisher, PublishingConfig};

/// `linkedin` and its settings.
#[derive(Debug, Args)]
pub struct LinkedInArgs {
    #[command(subcommand)]
    command: LinkedInCommand,
    #[command(flatten)]
    publishing: PublishingConfig,
}

#[derive(Debug, Subcommand)]
enum LinkedInCommand {
    /// Connect a member with an access token (checked with LinkedIn first).
    Connect {
        #[arg(long)]
        email: String,
        /// The member's access token, or `-` to read it from standard input.
        #[arg(long)]
        access_token: String,
        /// Seconds the token is valid for, as LinkedIn said when issuing it.
        #[arg(long)]
        expires_in: Option<u64>,
        /// The scopes the token was issued with, comma-separated.
        #[arg(
            long,
            default_value = "openid,profile,w_member_social,r_member_postAnalytics"
        )]
        scopes: String,
    },
    /// Show whether a member is connected, who, and until when.
    Status {
        #[arg(long)]
        email: String,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Forget the member and delete the token.
    Disconnect {
        #[arg(long)]
        email: String,
    },
    /// Read the user's post figures from LinkedIn now.
    SyncAnalytics {
        #[arg(long)]
        email: String,
    },
}

/// Runs a `linkedin` command against `database`.
pub async fn run(database: DatabaseUrl, args: LinkedInArgs) -> anyhow::Result<()> {
    let store = super::open_existing_store(&database).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let publisher = Publisher::from_config(
        store.clone(),
        clock.clone(),
        &args.publishing,
        database.key_file().as_deref(),
        "http://127.0.0.1:8080",
    )?;
    match args.command {
        LinkedInCommand::Connect {
            email,
            access_token,
            expires_in,
            scopes,
        } => {
            let user = admin::find_user(store.as_ref(), &email).await?;
            let token = AccessToken::new(read_token(&access_token)?);
            let account = publisher
                .connect_member(
                    &user.id,
                    &token,
                    expires_in.map(std::time::Duration::from_secs),
                    &Scopes::parse(&scopes),
                )
                .await
                .context("LinkedIn did not accept the token")?;
            println!(
                "connected {} as the LinkedIn member {}",
                user.email, account.member_name
            );
        }
        LinkedInCommand::Status { email, json } => {
            let user = admin::find_user(store.as_ref(), &email).await?;
            let account = store.linkedin_account(&user.id).await?;
            let status = ConnectionStatus::of(account.as_ref(), clock.now().timestamp_millis());
            print_status(&user.email, &status, json)?;
        }
        LinkedInCommand::Disconnect { email } => {
            let user = admin::find_user(store.as_ref(), &email).await?;
            if store
                .delete_linkedin_account(&user.id, clock.now().timestamp_millis())
                .await?
            {
                println!(
                    "disconnected LinkedIn for {}; the token is deleted",
                    user.email
                );
            } else {
                println!("{} had no LinkedIn connection", user.email);
            }
        }
        LinkedInCommand::SyncAnalytics { email } => {
            let user = admin::find_user(store.as_ref(), &email).await?;
            let report = publisher.sync_analytics(&user.id).await?;
            match report.skipped {
                Some(why) => bail!("not synced: {why}"),
                None => println!("synced the figures of {} posts", report.posts),
            }
        }
    }
    Ok(())
}

/// The token from the flag, or from the first line of standard input for `-` (so that it is
/// not in the shell's history or the process list).
fn read_token(flag: &str) -> anyhow::Result<String> {
    let token = if flag == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the token from standard input")?;
        text.lines().next().unwrap_or_default().trim().to_owned()
    } else {
        flag.trim().to_owned()
    };
    if token.is_empty() {
        bail!("the access token is empty");
    }
    Ok(token)
}

fn print_status(email: &str, status: &ConnectionStatus, json: bool) -> anyhow::Result<()> {
    let expires = status
        .token_expires_at
        .map(linkedgrow::domain::time::rfc3339);
    if json {
        let value = serde_json::json!({
            "connected": status.connected,
            "name": status.name,
            "memberUrn": status.member_urn,
            "tokenExpiresAt": expires,
            "needsReconnect": status.needs_reconnect,
            "analyticsGranted": status.analytics_granted,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    if !status.connected {
        println!("{email}: LinkedIn is not connected");
        return Ok(());
    }
    println!(
        "{email}: connected as {} ({})",
        status.name.as_deref().unwrap_or_default(),
        status.member_urn.as_deref().unwrap_or_default()
    );
    println!(
        "token expires: {}",
        expires.as_deref().unwrap_or("not known")
    );
    if status.needs_reconnect {
        println!("needs reconnecting: yes");
    }
    if !status.analytics_granted {
        println!("analytics: not granted, figures will not sync");
    }
    Ok(())
}
