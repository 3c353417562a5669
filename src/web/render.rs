//! Turning a template into a response, and what every signed-in page shares.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::TimeZone;

use super::session::CurrentUser;
use super::WebError;

/// What the app layout needs: who is signed in, the sign-out form's token, where we are.
#[derive(Debug, Clone)]
pub struct Shell {
    pub user_name: String,
    pub user_email: String,
    pub csrf: String,
    /// The highlighted sidebar entry: `posts`, `ideas`, `analytics`, `api`, `webhooks`,
    /// `linkedin` or `profile`.
    pub section: &'static str,
}

impl Shell {
    /// The layout for `current`, with `section` highlighted.
    pub fn new(current: &CurrentUser, section: &'static str) -> Self {
        Self {
            user_name: current.user.name.clone(),
            user_email: current.user.email.clone(),
            csrf: current.session.csrf_token.clone(),
            section,
        }
    }

    /// Whether a Settings page is showing.
    pub fn in_settings(&self) -> bool {
        matches!(self.section, "api" | "webhooks" | "linkedin" | "profile")
    }
}

/// A rendered page with `status`. Pages hold personal data (and one holds a new key), so
/// nothing is kept in any cache.
pub fn page(status: StatusCode, template: &impl Template) -> Result<Response, WebError> {
    let mut response = (status, Html(template.render()?)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A rendered page with 200.
pub fn ok(template: &impl Template) -> Result<Response, WebError> {
    page(StatusCode::OK, template)
}

/// Unix milliseconds as a readable local time, e.g. `5 Jan 2026, 10:00`.
pub fn local_time(ms: i64, tz: chrono_tz::Tz) -> String {
    match tz.timestamp_millis_opt(ms).single() {
        Some(at) => at.format("%-d %b %Y, %H:%M").to_string(),
        None => String::new(),
    }
}

/// An error message as a sentence: "the key name cannot be empty" → "The key name cannot be
/// empty."
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// A submitted form (`application/x-www-form-urlencoded`, repeated names allowed for
/// checkboxes) whose rejections are HTML error pages.
#[derive(Debug, Clone)]
pub struct WebForm<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for WebForm<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, WebError> {
        axum_extra::extract::Form::<T>::from_request(req, state)
            .await
            .map(|axum_extra::extract::Form(value)| Self(value))
            .map_err(|rejection| WebError::BadRequest(rejection.to_string()))
    }
}
