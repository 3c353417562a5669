//! The test harness: a real server on an ephemeral port with a fresh database per test.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use linkedgrow::admin;
use linkedgrow::auth::{Scope, Scopes};
use linkedgrow::clock::{Clock, ManualClock};
use linkedgrow::config::{Config, DatabaseUrl};
use linkedgrow::store::{Plan, Store, User};
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
    pub db_path: PathBuf,
    pub dir: TempDir,
}

/// Options for [`spawn_app_with`].
pub struct Options {
    pub per_minute: u32,
    pub per_hour: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            per_minute: 60,
            per_hour: 1_000,
        }
    }
}

/// A server with the default limits.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// A server with the given options.
pub async fn spawn_app_with(options: Options) -> TestApp {
    spawn_app_configured(|config| {
        config.rate_limit_per_minute = options.per_minute;
        config.rate_limit_per_hour = options.per_hour;
    })
    .await
}

/// A server that believes `X-Forwarded-Proto` / `X-Forwarded-For` (as behind a proxy).
pub async fn spawn_app_trusting_proxy() -> TestApp {
    spawn_app_configured(|config| config.trust_proxy = true).await
}

/// A server whose configuration `configure` changes from the defaults.
pub async fn spawn_app_configured(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("linkedgrow.db");
    let mut config = Config::new(DatabaseUrl::Sqlite(db_path.clone()));
    configure(&mut config);
    let clock = Arc::new(ManualClock::new(start_time()));
    let state = AppState::from_config(&config, clock.clone()).unwrap();
    let store = state.store.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(linkedgrow::serve(listener, state, std::future::pending()));
    TestApp {
        address,
        client: reqwest::Client::new(),
        clock,
        store,
        db_path,
        dir,
    }
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
        let email = format!("{}\u{40}example.com", linkedgrow::auth::random_id("user"));
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
        (record.id, secret)
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
        let response = self
            .request(Method::POST, "/api/v1/ideas", key)
            .json(&body)
            .send()
            .await
            .unwrap();
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
            .mark_published(&user_id, &id, self.now_ms())
            .await
            .unwrap();
        id
    }

    /// The owner of `key`.
    pub async fn user_of(&self, key: &str) -> String {
        self.store
            .key_for_auth(&linkedgrow::auth::hash_key(key))
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
        let mut request = self.request(method, path, key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// Creates a post with `content` and returns its JSON.
    pub async fn create_post(&self, key: &str, content: &str) -> Value {
        let response = self
            .request(Method::POST, "/api/v1/posts", key)
            .json(&serde_json::json!({ "content": content }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
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
