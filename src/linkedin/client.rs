//! The HTTP client: one reqwest client (rustls, connection pool) built once and shared, and
//! the plumbing every operation goes through. The operations live in `oauth.rs`, `posts.rs`
//! and `analytics.rs`.

use std::sync::Arc;

use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;

use super::config::{ClientConfig, ConfigError};
use super::error::{self, LinkedInError};
use super::secret::AccessToken;

/// The Rest.li protocol version LinkedIn's `/rest` endpoints require.
pub const RESTLI_PROTOCOL_VERSION: &str = "2.0.0";

/// A LinkedIn client; cheap to clone (the pool and settings are shared).
#[derive(Debug, Clone)]
pub struct LinkedInClient {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
}

impl LinkedInClient {
    /// Validates `config` and builds the HTTP client. Loading TLS roots is the costly part,
    /// so build one client at start-up and clone it, never one per call.
    pub fn new(mut config: ClientConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        trim_slash(&mut config.auth_url);
        trim_slash(&mut config.api_url);
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            // LinkedIn's API does not redirect; following one would send a post a second time.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("linkedgrow/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Http(e.to_string()))?;
        Ok(Self {
            http,
            config: Arc::new(config),
        })
    }

    /// The settings in force.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// A request to the OAuth host.
    pub(crate) fn auth_request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.config.auth_url))
    }

    /// A request to the API host with the member's token and nothing else (`/v2/userinfo`).
    pub(crate) fn api_request(
        &self,
        method: Method,
        path_and_query: &str,
        token: &AccessToken,
    ) -> RequestBuilder {
        // reqwest marks a bearer header sensitive, which keeps it out of its own Debug output.
        self.http
            .request(method, format!("{}{path_and_query}", self.config.api_url))
            .bearer_auth(token.expose())
    }

    /// A request to a versioned Rest.li endpoint under `/rest`.
    pub(crate) fn rest_request(
        &self,
        method: Method,
        path_and_query: &str,
        token: &AccessToken,
    ) -> RequestBuilder {
        self.api_request(method, path_and_query, token)
            .header("LinkedIn-Version", &self.config.version)
            .header("X-Restli-Protocol-Version", RESTLI_PROTOCOL_VERSION)
    }

    /// Sends `request`; a 2xx answer comes back, anything else as a classified error.
    pub(crate) async fn send(
        &self,
        operation: &'static str,
        request: RequestBuilder,
    ) -> Result<Response, LinkedInError> {
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                let error = error::from_transport(e);
                tracing::warn!(
                    operation,
                    code = error.code(),
                    "LinkedIn call failed: {error}"
                );
                return Err(error);
            }
        };
        let status = response.status();
        tracing::debug!(operation, status = status.as_u16(), "LinkedIn answered");
        if status.is_success() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        // The status alone still classifies the answer if its body breaks off.
        let body = response.bytes().await.unwrap_or_default();
        let error = error::from_answer(status, &headers, &body, &self.config.version);
        tracing::warn!(operation, code = error.code(), "LinkedIn refused: {error}");
        Err(error)
    }

    /// Reads a 2xx answer's JSON body.
    pub(crate) async fn json<T: DeserializeOwned>(response: Response) -> Result<T, LinkedInError> {
        let body = response.bytes().await.map_err(error::from_transport)?;
        serde_json::from_slice(&body).map_err(|e| LinkedInError::Unexpected {
            reason: format!("the answer is not the documented JSON: {e}"),
        })
    }
}

fn trim_slash(url: &mut String) {
    while url.ends_with('/') {
        url.pop();
    }
}
