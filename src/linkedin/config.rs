//! Where LinkedIn is and how the client talks to it.

use std::time::Duration;

use super::secret::ClientSecret;

/// LinkedIn's OAuth host.
pub const DEFAULT_AUTH_URL: &str = "https://www.linkedin.com";
/// LinkedIn's API host.
pub const DEFAULT_API_URL: &str = "https://api.linkedin.com";
/// The `LinkedIn-Version` sent by default. LinkedIn serves each monthly version for at least a
/// year, then answers 426; operators move it forward with `LINKEDGROW_LINKEDIN_VERSION`.
pub const DEFAULT_VERSION: &str = "202610";
/// How long one call may take in all, from connecting to the end of the answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting (TCP and TLS) may take. Shorter than the whole timeout, so that a slow
/// connect ends as a connect error, which proves nothing was sent (see `error.rs`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The client's settings; `Debug` hides the client secret.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL of the OAuth pages and token endpoint, without a trailing slash.
    pub auth_url: String,
    /// Base URL of the REST API, without a trailing slash.
    pub api_url: String,
    /// The `LinkedIn-Version` header, `YYYYMM`.
    pub version: String,
    /// The LinkedIn app's client id.
    pub client_id: String,
    /// The LinkedIn app's client secret.
    pub client_secret: ClientSecret,
    /// The whole-call timeout.
    pub timeout: Duration,
    /// The connect timeout; must be shorter than `timeout`.
    pub connect_timeout: Duration,
}

/// A setting the client cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The version is not `YYYYMM`.
    #[error("the LinkedIn API version must be YYYYMM (for example {DEFAULT_VERSION}), not {0:?}")]
    Version(String),
    /// A base URL does not parse or is not http(s).
    #[error("the LinkedIn URL {0:?} is not an http:// or https:// URL")]
    Url(String),
    /// The connect timeout is not shorter than the whole timeout.
    #[error("the LinkedIn connect timeout must be shorter than the request timeout")]
    Timeouts,
    /// The HTTP client could not be built (its TLS setup failed).
    #[error("could not set up the HTTP client for LinkedIn: {0}")]
    Http(String),
}

impl ClientConfig {
    /// LinkedIn's real hosts, the default version and timeouts, and the app's credentials.
    pub fn new(client_id: impl Into<String>, client_secret: ClientSecret) -> Self {
        Self {
            auth_url: DEFAULT_AUTH_URL.to_owned(),
            api_url: DEFAULT_API_URL.to_owned(),
            version: DEFAULT_VERSION.to_owned(),
            client_id: client_id.into(),
            client_secret,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// Checks the version's form, the URLs and the timeouts.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !is_version(&self.version) {
            return Err(ConfigError::Version(self.version.clone()));
        }
        for base in [&self.auth_url, &self.api_url] {
            let ok = url::Url::parse(base)
                .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
            if !ok {
                return Err(ConfigError::Url(base.clone()));
            }
        }
        if self.connect_timeout >= self.timeout {
            return Err(ConfigError::Timeouts);
        }
        Ok(())
    }
}

/// `YYYYMM` with a month from 01 to 12.
fn is_version(version: &str) -> bool {
    version.len() == 6
        && version.bytes().all(|b| b.is_ascii_digit())
        && matches!(version[4..].parse::<u8>(), Ok(1..=12))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ClientConfig {
        ClientConfig::new("client-id", ClientSecret::new("s3cr3t-value"))
    }

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(config().validate(), Ok(()));
    }

    #[test]
    fn versions_must_be_year_and_month() {
        for bad in [
            "2026", "2026-10", "20261", "202613", "202600", "2026100", "abcdef", "",
        ] {
            let mut config = config();
            config.version = bad.into();
            assert_eq!(config.validate(), Err(ConfigError::Version(bad.into())));
        }
    }

    #[test]
    fn urls_must_be_http() {
        let mut config = config();
        config.api_url = "ftp://example.com".into();
        assert!(matches!(config.validate(), Err(ConfigError::Url(_))));
        config.api_url = "not a url".into();
        assert!(matches!(config.validate(), Err(ConfigError::Url(_))));
    }

    #[test]
    fn the_connect_timeout_must_be_shorter() {
        let mut config = config();
        config.connect_timeout = config.timeout;
        assert_eq!(config.validate(), Err(ConfigError::Timeouts));
    }

    #[test]
    fn debug_hides_the_client_secret() {
        let shown = format!("{:?}", config());
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("client-id"));
    }
}
