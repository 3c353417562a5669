//! A stand-in LinkedIn on an ephemeral port that behaves as LinkedIn documents its OAuth pages,
//! token endpoint, userinfo, Posts API and member post analytics: it checks what LinkedIn
//! checks (headers, body shape, tokens, scopes, ownership) and answers in LinkedIn's formats,
//! rather than mirroring what our client happens to send. Tests inject failures, delays and
//! held answers, and read back every request it received.

mod analytics;
mod oauth;
mod posts;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use linkedgrow::linkedin::{ClientConfig, ClientSecret};
use parking_lot::Mutex;
use serde_json::{json, Value};

/// The app credentials the stand-in accepts.
pub const CLIENT_ID: &str = "fake-client-id";
/// The app secret the stand-in accepts.
pub const CLIENT_SECRET: &str = "fake-client-secret-value";
/// Every scope a member can grant here.
pub const ALL_SCOPES: &str = "openid,profile,w_member_social,r_member_postAnalytics";

/// A canned failure, answered in LinkedIn's error format instead of the real answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 401 `INVALID_ACCESS_TOKEN`.
    Unauthorized,
    /// 403 `ACCESS_DENIED`.
    Forbidden,
    /// 429 throttle, with `Retry-After: N` when given.
    TooManyRequests { retry_after: Option<u64> },
    /// 500.
    ServerError,
    /// 503, with `Retry-After: N` when given.
    Unavailable { retry_after: Option<u64> },
}

/// How analytics answers write `metricType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricTypeForm {
    /// The older union object `{"com.linkedin…CreatorPostAnalyticsMetricTypeV1": "IMPRESSION"}`.
    Object,
    /// A plain string, as in newer versions.
    String,
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

/// A post the stand-in accepted.
#[derive(Debug, Clone)]
pub struct FakePost {
    pub urn: String,
    /// The author URN from the body.
    pub author: String,
    /// The commentary exactly as sent ("little" text).
    pub commentary: String,
    /// What LinkedIn would show: escapes resolved, templates rendered, cut at the first
    /// unescaped reserved character.
    pub text: String,
    pub body: Value,
    pub headers: HeaderMap,
    pub deleted: bool,
}

struct Member {
    name: String,
    picture: Option<String>,
}

struct Grant {
    sub: String,
    scopes: Vec<String>,
}

struct Code {
    sub: String,
    redirect_uri: String,
    scope: String,
    used: bool,
}

#[derive(Default)]
struct Fake {
    members: HashMap<String, Member>,
    tokens: HashMap<String, Grant>,
    codes: HashMap<String, Code>,
    signed_in: Option<String>,
    granted_scope: Option<String>,
    retired_versions: HashSet<String>,
    failures: VecDeque<Failure>,
    delay: Option<Duration>,
    holds: usize,
    next_id: u64,
    requests: Vec<Recorded>,
    posts: Vec<FakePost>,
    metrics: HashMap<(String, String), u64>,
    metric_type_form: Option<MetricTypeForm>,
}

type Shared = Arc<Mutex<Fake>>;

/// A running stand-in.
pub struct FakeLinkedIn {
    url: String,
    state: Shared,
}

impl FakeLinkedIn {
    /// Starts the stand-in on 127.0.0.1 with one signed-in member, `member-1`.
    pub async fn start() -> Self {
        let state: Shared = Arc::default();
        let app = Router::new()
            .route("/oauth/v2/authorization", get(oauth::authorization_page))
            .route("/oauth/v2/authorization/decision", post(oauth::decide))
            .route("/oauth/v2/accessToken", post(oauth::access_token))
            .route("/v2/userinfo", get(oauth::userinfo))
            .route("/rest/posts", post(posts::create_post))
            .route("/rest/posts/{urn}", delete(posts::delete_post))
            .route(
                "/rest/memberCreatorPostAnalytics",
                get(analytics::member_creator_post_analytics),
            )
            .layer(axum::middleware::from_fn_with_state(state.clone(), gate))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let fake = Self { url, state };
        fake.sign_in("member-1", "Ada Lovelace");
        fake
    }

    /// The base URL (both the OAuth and the API host).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client configuration pointing at the stand-in with its app credentials.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new(CLIENT_ID, ClientSecret::new(CLIENT_SECRET));
        config.auth_url = self.url.clone();
        config.api_url = self.url.clone();
        config.timeout = Duration::from_secs(5);
        config.connect_timeout = Duration::from_secs(2);
        config
    }

    /// Makes `sub` the member whose browser visits the authorization page.
    pub fn sign_in(&self, sub: &str, name: &str) {
        let mut fake = self.state.lock();
        fake.members.insert(
            sub.to_owned(),
            Member {
                name: name.to_owned(),
                picture: Some(format!("https://media.example/{sub}.jpg")),
            },
        );
        fake.signed_in = Some(sub.to_owned());
    }

    /// A valid token for member `sub` (created if new) with `scopes` (comma-separated).
    pub fn token_for(&self, sub: &str, scopes: &str) -> String {
        let mut fake = self.state.lock();
        fake.members.entry(sub.to_owned()).or_insert(Member {
            name: format!("Member {sub}"),
            picture: None,
        });
        let token = format!("AQ{}", uuid::Uuid::new_v4().simple());
        let grant = Grant {
            sub: sub.to_owned(),
            scopes: scopes.split(',').map(str::to_owned).collect(),
        };
        fake.tokens.insert(token.clone(), grant);
        token
    }

    /// What members grant from now on, instead of what the app asks for.
    pub fn set_granted_scope(&self, scope: &str) {
        self.state.lock().granted_scope = Some(scope.to_owned());
    }

    /// Makes `version` (`YYYYMM`) answer 426 `NONEXISTENT_VERSION`.
    pub fn retire_version(&self, version: &str) {
        self.state
            .lock()
            .retired_versions
            .insert(version.to_owned());
    }

    /// The next `n` API answers are `failure` instead.
    pub fn fail_next(&self, n: usize, failure: Failure) {
        self.state
            .lock()
            .failures
            .extend(std::iter::repeat_n(failure, n));
    }

    /// Every API answer waits `delay` first (until set to `None`).
    pub fn set_delay(&self, delay: Option<Duration>) {
        self.state.lock().delay = delay;
    }

    /// The next `n` accepted posts are recorded and then never answered.
    pub fn hold_next_posts(&self, n: usize) {
        self.state.lock().holds += n;
    }

    /// The count analytics answers for `urn`'s `metric`: per day for DAILY, once for TOTAL.
    pub fn set_metric(&self, urn: &str, metric: &str, count: u64) {
        let key = (urn.to_owned(), metric.to_owned());
        self.state.lock().metrics.insert(key, count);
    }

    /// How analytics answers write `metricType` (the union object by default).
    pub fn set_metric_type_form(&self, form: MetricTypeForm) {
        self.state.lock().metric_type_form = Some(form);
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().requests.clone()
    }

    /// Every post accepted, oldest first, deleted ones included.
    pub fn posts(&self) -> Vec<FakePost> {
        self.state.lock().posts.clone()
    }
}

/// Records each request, then answers an injected failure or waits out the delay. The
/// authorization pages are a browser's, so only the API is affected.
async fn gate(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let page = parts.uri.path().starts_with("/oauth/v2/authorization");
    let (failure, delay) = {
        let mut fake = state.lock();
        fake.requests.push(Recorded {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers.clone(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        });
        match page {
            true => (None, None),
            false => (fake.failures.pop_front(), fake.delay),
        }
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    match failure {
        Some(failure) => failure_response(failure),
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    }
}

fn failure_response(failure: Failure) -> Response {
    let (status, body, retry_after) = match failure {
        Failure::Unauthorized => (
            401,
            json!({"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN",
                   "message": "Invalid access token"}),
            None,
        ),
        Failure::Forbidden => (
            403,
            json!({"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
                   "message": "Not enough permissions to access: partnerApiPostsExternal.CREATE.20261001"}),
            None,
        ),
        Failure::TooManyRequests { retry_after } => (
            429,
            json!({"status": 429, "serviceErrorCode": 101, "code": "TOO_MANY_REQUESTS",
                   "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."}),
            retry_after,
        ),
        Failure::ServerError => (
            500,
            json!({"status": 500, "message": "Internal Server Error"}),
            None,
        ),
        Failure::Unavailable { retry_after } => (
            503,
            json!({"status": 503, "message": "Service Unavailable"}),
            retry_after,
        ),
    };
    let mut response = linkedin_error(status, body);
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(seconds));
    }
    response
}

/// An answer in LinkedIn's JSON error format.
fn linkedin_error(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), Json(body)).into_response()
}

/// A Rest.li error with just `status` and `message` (and `code` when given).
fn restli_error(status: u16, code: Option<&str>, message: &str) -> Response {
    let mut body = json!({"status": status, "message": message});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    linkedin_error(status, body)
}

/// Who sent a request: the token's member and scopes.
struct Caller {
    sub: String,
    scopes: Vec<String>,
}

impl Caller {
    fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The answer instead, when a request does not pass LinkedIn's checks (boxed: it is large).
type Refused = Box<Response>;

/// The caller of a `/rest` request after LinkedIn's header checks: the version (present,
/// `YYYYMM`, not retired), the Rest.li protocol version and the bearer token.
fn check_rest(state: &Shared, headers: &HeaderMap) -> Result<Caller, Refused> {
    let fake = state.lock();
    let Some(version) = header(headers, "linkedin-version") else {
        return Err(Box::new(restli_error(
            400,
            Some("VERSION_MISSING"),
            "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
        )));
    };
    if version.len() != 6 || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Box::new(restli_error(
            400,
            Some("INVALID_VERSION"),
            "Invalid version",
        )));
    }
    if fake.retired_versions.contains(version) {
        return Err(Box::new(restli_error(
            426,
            Some("NONEXISTENT_VERSION"),
            &format!("Requested version {version}01 is not active"),
        )));
    }
    if header(headers, "x-restli-protocol-version") != Some("2.0.0") {
        return Err(Box::new(restli_error(
            400,
            None,
            "This endpoint requires the header X-Restli-Protocol-Version: 2.0.0",
        )));
    }
    bearer(&fake, headers)
}

/// The caller behind the bearer token, or LinkedIn's 401.
fn bearer(fake: &Fake, headers: &HeaderMap) -> Result<Caller, Refused> {
    let token = header(headers, "authorization").and_then(|v| v.strip_prefix("Bearer "));
    match token {
        None | Some("") => Err(Box::new(linkedin_error(
            401,
            json!({"status": 401, "serviceErrorCode": 65604, "code": "EMPTY_ACCESS_TOKEN",
                   "message": "Empty oauth2 access token"}),
        ))),
        Some(token) => match fake.tokens.get(token) {
            Some(grant) => Ok(Caller {
                sub: grant.sub.clone(),
                scopes: grant.scopes.clone(),
            }),
            None => Err(Box::new(failure_response(Failure::Unauthorized))),
        },
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
