//! The test harness: a real server on an ephemeral port with a fresh database per test.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use linkedgrow::admin;
use linkedgrow::clock::{Clock, ManualClock};
use linkedgrow::config::{Config, DatabaseUrl};
use linkedgrow::domain::{Plan, PostId, UserId};
use linkedgrow::domain::{Scope, Scopes};
use linkedgrow::publisher::PublishingConfig;
use linkedgrow::store::{Store, User};
use linkedgrow::AppState;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use tempfile::TempDir;

/// Where the test clock starts.
pub fn start_time() -> DateTime<Utc> {
    "2026-01-05T09:00:00Z".parse().unwrap()
}

/// A running server and what a test needs to poke at it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub store: Arc<dyn Store>,
    /// The web app's in-memory state (the throttle, the password-work figures).
    pub web: linkedgrow::web::WebState,
    /// The publisher; its loops do not run in tests, which call `tick` with the test clock.
    pub publisher: Arc<linkedgrow::publisher::Publisher>,
    /// Webhook delivery; its loop runs only in tests that start it (`start_webhook_delivery`).
    pub webhooks: Arc<linkedgrow::webhooks::Webhooks>,
    /// Where `GET /metrics` answers, when the test's configuration asks for metrics.
    pub metrics_address: Option<std::net::SocketAddr>,
    pub db_path: PathBuf,
    pub dir: TempDir,
}

/// The address a `linkedgrow serve` child (spawned with piped standard output) says it listens
/// on, from the first line it prints. Read byte by byte: a buffered reader could swallow the lines
/// after the first (the demo key), and a test waiting for them would hang.
pub fn listening_address(child: &mut std::process::Child) -> String {
    let mut first = String::new();
    let stdout = child.stdout.as_mut().unwrap();
    let mut byte = [0u8; 1];
    while std::io::Read::read(stdout, &mut byte).unwrap() == 1 && byte[0] != b'\n' {
        first.push(byte[0] as char);
    }
    let address = first.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(address.starts_with("http://127.0.0.1:"), "{first}");
    address
}

/// A server with the default configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A server whose configuration `configure` changes first (the database is the test's own).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn(|config, _| configure(config)).await
}

/// A server that publishes to the stand-in LinkedIn at `linkedin`.
pub async fn spawn_app_publishing_to(linkedin: &str) -> TestApp {
    spawn(|config, address| config.publishing = linkedin_settings(linkedin, address)).await
}

/// Publishing settings that point at the stand-in LinkedIn at `linkedin`, for a server at
/// `public_url`.
pub fn linkedin_settings(linkedin: &str, public_url: &str) -> PublishingConfig {
    PublishingConfig {
        linkedin_client_id: Some(crate::linkedin_fake::CLIENT_ID.into()),
        linkedin_client_secret: Some(crate::linkedin_fake::CLIENT_SECRET.into()),
        public_url: Some(public_url.into()),
        linkedin_auth_url: linkedin.into(),
        linkedin_api_url: linkedin.into(),
        ..PublishingConfig::default()
    }
}

/// A server on an ephemeral port whose configuration `configure` changes first, knowing the
/// server's address.
async fn spawn(configure: impl FnOnce(&mut Config, &str)) -> TestApp {
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("linkedgrow.db");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let mut config = Config::new(DatabaseUrl::Sqlite(db_path.clone()));
    configure(&mut config, &address);
    let clock = Arc::new(ManualClock::new(start_time()));
    let state = AppState::from_config(&config, clock.clone()).await.unwrap();
    let store = state.store.clone();
    let web = state.web.clone();
    let publisher = state.publisher.clone();
    let webhooks = state.webhooks.clone();
    let metrics_address = state.metrics_address;
    tokio::spawn(linkedgrow::serve(listener, state, std::future::pending()));
    TestApp {
        address,
        client: reqwest::Client::new(),
        clock,
        store,
        web,
        publisher,
        webhooks,
        metrics_address,
        db_path,
        dir,
    }
}

/// A server that believes `X-Forwarded-Proto` / `X-Forwarded-For` (as behind a proxy).
pub async fn spawn_app_trusting_proxy() -> TestApp {
    spawn_app_with(|config| config.trust_proxy = true).await
}

/// The server's log goes to the test output only when `TEST_LOG` is set (to a filter such as
/// `debug`, or anything for `info`): quiet by default, one variable away when a test fails.
fn init_logs() {
    static INIT: std::sync::Once = std::sync::Once::new();
    let Ok(filter) = std::env::var("TEST_LOG") else {
        return;
    };
    INIT.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_new(&filter)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .init();
    });
}

impl TestApp {
    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The database URL, for running the CLI against the same file.
    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.db_path.display())
    }

    /// Unix milliseconds of the test clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// A user with a fresh email on `plan`.
    pub async fn create_user(&self, plan: Plan) -> User {
        let email = format!("{}\u{40}example.com", linkedgrow::keys::random_id("user"));
        admin::create_user(
            self.store.as_ref(),
            &email,
            "Test User",
            plan,
            self.now_ms(),
        )
        .await
        .unwrap()
    }

    /// A key for `user` with `scopes`; returns (key id, secret).
    pub async fn create_key(&self, user: &User, scopes: &[Scope]) -> (String, String) {
        let scopes: Scopes = scopes.iter().copied().collect();
        let (record, secret) =
            admin::create_key(self.store.as_ref(), user, "test key", scopes, self.now_ms())
                .await
                .unwrap();
        (record.id.into(), secret)
    }

    /// A new Business user and a key with every scope.
    pub async fn full_key(&self) -> String {
        let user = self.create_user(Plan::Business).await;
        self.create_key(&user, &Scope::ALL).await.1
    }

    /// A request with `key` as bearer token.
    pub fn request(&self, method: Method, path: &str, key: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    /// Creates an idea with `body` and returns its JSON.
    pub async fn create_idea(&self, key: &str, body: Value) -> Value {
        let response = self.as_key(key).post_json("/api/v1/ideas", &body).await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    /// Creates a post and marks it published now, as the publisher would; returns its id.
    pub async fn published_post(&self, key: &str, content: &str) -> String {
        let id = self.create_post(key, content).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let user_id = self.user_of(key).await;
        self.store
            .mark_published(&user_id, &PostId::from(id.as_str()), self.now_ms())
            .await
            .unwrap();
        id
    }

    /// The owner of `key`.
    pub async fn user_of(&self, key: &str) -> UserId {
        self.store
            .key_for_auth(&linkedgrow::keys::hash_key(key))
            .await
            .unwrap()
            .unwrap()
            .user_id
    }

    /// Sends `method path` with `key` and an optional JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> Response {
        self.as_key(key).send(method, path, body.as_ref()).await
    }

    /// Creates a post with `content` and returns its JSON.
    pub async fn create_post(&self, key: &str, content: &str) -> Value {
        let body = serde_json::json!({ "content": content });
        let response = self.as_key(key).post_json("/api/v1/posts", &body).await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }
}

/// Requests that all carry one API key: `app.as_key(&key).get("/api/v1/posts")`.
pub struct KeyClient<'a> {
    app: &'a TestApp,
    key: &'a str,
}

impl TestApp {
    /// A client sending every request with `key` as its bearer token.
    pub fn as_key<'a>(&'a self, key: &'a str) -> KeyClient<'a> {
        KeyClient { app: self, key }
    }
}

impl KeyClient<'_> {
    /// `GET path`.
    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put_json(&self, path: &str, body: &Value) -> Response {
        self.send(Method::PUT, path, Some(body)).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path, None).await
    }

    /// Any method, with an optional JSON body.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        let mut request = self.app.request(method, path, self.key);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }
}

/// Asserts the documented error envelope with `status` and `code`; returns the message.
pub async fn assert_error(response: Response, status: u16, code: &str) -> String {
    assert_eq!(response.status(), status, "status of {}", response.url());
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "errors are JSON"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "body: {body}");
    let message = body["error"]["message"]
        .as_str()
        .expect("a message")
        .to_owned();
    assert!(!message.is_empty());
    assert_eq!(body.as_object().unwrap().len(), 1, "only `error`: {body}");
    message
}
