//! A cookie-keeping HTTP client for the web pages, and helpers to get signed in.

use linkedgrow::admin;
use linkedgrow::domain::Plan;
use linkedgrow::store::User;
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};

use crate::helpers::TestApp;

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery";

/// A browser stand-in: keeps cookies, does not follow redirects (so tests see them).
#[derive(Clone)]
pub struct WebClient {
    pub client: reqwest::Client,
    base: String,
}

impl WebClient {
    /// A client with an empty cookie jar.
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.address)
    }

    /// A client with an empty cookie jar for the server at `base` (`http://host:port`).
    pub fn at(base: &str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
        }
    }

    /// The same client, cookies included, talking to the server at `base` (another instance).
    pub fn on(&self, base: &str) -> Self {
        Self {
            client: self.client.clone(),
            base: base.to_owned(),
        }
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// GET `path`, expecting 200; returns the HTML.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.unwrap()
    }

    /// The CSRF token of the first form on `path`.
    pub async fn csrf(&self, path: &str) -> String {
        csrf_in(&self.page(path).await)
    }

    /// POST a form to `path`.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Signs in; panics unless it worked.
    pub async fn sign_in(&self, email: &str, password: &str) {
        let csrf = self.csrf("/login").await;
        let response = self
            .post(
                "/login",
                &[("csrf", &csrf), ("email", email), ("password", password)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in failed");
        assert_eq!(location(&response), "/posts");
    }
}

/// The value of the first `name="csrf"` input.
pub fn csrf_in(html: &str) -> String {
    field_in(html, "csrf")
}

/// The value of the first input named `name`.
pub fn field_in(html: &str, name: &str) -> String {
    let needle = format!(r#"name="{name}" value=""#);
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} field in {html}"))
        + needle.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

/// The `Location` of a redirect.
pub fn location(response: &Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

/// Every `Set-Cookie` header of a response.
pub fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// A user on `plan` who can sign in with [`PASSWORD`].
pub async fn user_with_password(app: &TestApp, plan: Plan) -> User {
    let user = app.create_user(plan).await;
    admin::set_password(app.store.as_ref(), &user.email, PASSWORD, app.now_ms())
        .await
        .unwrap();
    user
}

/// A signed-in client of a new user on `plan`.
pub async fn signed_in(app: &TestApp, plan: Plan) -> (WebClient, User) {
    let user = user_with_password(app, plan).await;
    let web = WebClient::new(app);
    web.sign_in(&user.email, PASSWORD).await;
    (web, user)
}

/// Submits the sign-in form, whatever the outcome.
pub async fn try_sign_in(web: &WebClient, email: &str, password: &str) -> reqwest::Response {
    let csrf = web.csrf("/login").await;
    web.post(
        "/login",
        &[("csrf", &csrf), ("email", email), ("password", password)],
    )
    .await
}
