//! The operator's settings for webhook delivery: flags of `serve` or `LINKEDGROW_WEBHOOK_*`
//! environment variables.

use std::time::Duration;

use clap::Args;

use super::schedule::{RetrySchedule, DEFAULT_RETRY_SCHEDULE};

/// Seconds a receiver has to answer by default.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 15;

/// Webhook delivery settings.
#[derive(Clone, Debug, Args)]
pub struct WebhookConfig {
    /// Seconds to wait before each delivery attempt, the first one included, comma separated.
    #[arg(
        long = "webhook-retry-schedule",
        env = "LINKEDGROW_WEBHOOK_RETRY_SCHEDULE",
        default_value = DEFAULT_RETRY_SCHEDULE
    )]
    pub retry_schedule: RetrySchedule,
    /// For development and tests only: allow webhook urls over plain http and to private or
    /// loopback addresses (this machine, the local network, cloud metadata services).
    #[arg(
        long = "webhook-allow-private",
        env = "LINKEDGROW_WEBHOOK_ALLOW_PRIVATE"
    )]
    pub allow_private: bool,
    /// Seconds a receiver has to answer one delivery (1 to 300).
    #[arg(
        long = "webhook-timeout-seconds",
        env = "LINKEDGROW_WEBHOOK_TIMEOUT_SECONDS",
        default_value_t = DEFAULT_TIMEOUT_SECONDS,
        value_parser = clap::value_parser!(u64).range(1..=300)
    )]
    pub timeout_seconds: u64,
}

impl WebhookConfig {
    /// How long a receiver has to answer.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds)
    }
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            retry_schedule: RetrySchedule::default(),
            allow_private: false,
            timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use clap::Parser;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        webhooks: WebhookConfig,
    }

    fn parse(args: &[&str]) -> Result<WebhookConfig, clap::Error> {
        let command = <Flags as clap::CommandFactory>::command().mut_args(|arg| arg.env(None));
        let matches = command.try_get_matches_from([&["linkedgrow"], args].concat())?;
        Ok(<Flags as clap::FromArgMatches>::from_arg_matches(&matches)?.webhooks)
    }

    #[test]
    fn the_flags_defaults_are_the_default() {
        let parsed = parse(&[]).unwrap();
        let default = WebhookConfig::default();
        assert_eq!(parsed.retry_schedule, default.retry_schedule);
        assert_eq!(parsed.allow_private, default.allow_private);
        assert_eq!(parsed.timeout(), Duration::from_secs(15));
    }

    #[test]
    fn the_flags_set_each_setting() {
        let parsed = parse(&[
            "--webhook-retry-schedule",
            "0, 1,1,1",
            "--webhook-allow-private",
            "--webhook-timeout-seconds",
            "2",
        ])
        .unwrap();
        assert_eq!(parsed.retry_schedule.to_string(), "0,1,1,1");
        assert!(parsed.allow_private);
        assert_eq!(parsed.timeout_seconds, 2);
    }

    #[test]
    fn bad_values_are_refused_with_the_reason() {
        let error = parse(&["--webhook-retry-schedule", "0,soon"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("\"soon\" in the retry schedule is not a whole number of seconds"),
            "{error}"
        );
        assert!(parse(&["--webhook-timeout-seconds", "0"]).is_err());
    }
}
