//! What can go wrong on a page, shown as an HTML page (the API keeps its JSON envelope).

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::password::{Busy, HashError, BUSY_RETRY_AFTER_SECS};
use crate::store::StoreError;

/// Every way a page request can fail.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No valid session: off to the sign-in page.
    #[error("sign in required")]
    SignInRequired,
    /// The form's CSRF token is missing or wrong.
    #[error("invalid CSRF token")]
    Csrf,
    /// No such page or record (for this user).
    #[error("not found")]
    NotFound,
    /// The route exists, but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The user's plan does not include API access (keys, webhooks).
    #[error("API access requires the Business plan")]
    PlanRequired,
    /// The first-run form after the owner exists.
    #[error("the owner account already exists")]
    AlreadySetUp,
    /// The server has as much password work under way as it takes.
    #[error("too many password checks at once")]
    Busy,
    /// Redis, which instances share sign-in counts and form ids through, does not answer.
    #[error(transparent)]
    Unavailable(#[from] crate::shared::Unavailable),
    /// The request is malformed in a way no form of ours produces.
    #[error("{0}")]
    BadRequest(String),
    /// Something broke; the cause is logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for WebError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(_) => Self::NotFound,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<Busy> for WebError {
    fn from(_: Busy) -> Self {
        Self::Busy
    }
}

impl From<HashError> for WebError {
    fn from(err: HashError) -> Self {
        match err {
            HashError::Busy(_) => Self::Busy,
            HashError::Failed(err) => Self::Internal(err),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(err: askama::Error) -> Self {
        Self::Internal(err.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: &'static str,
    message: &'static str,
    link: &'static str,
    link_text: &'static str,
}

impl WebError {
    fn page(&self) -> (StatusCode, ErrorPage) {
        let page = |title, message, link, link_text| ErrorPage {
            title,
            message,
            link,
            link_text,
        };
        match self {
            Self::SignInRequired => unreachable!("redirected before rendering"),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                page(
                    "This form could not be accepted",
                    "It was missing its security token, or the token has expired (for example \
                     after you signed out in another tab). Nothing was changed. Go back, reload \
                     the page and try again.",
                    "/",
                    "Back to LinkedGrow",
                ),
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                page(
                    "Page not found",
                    "There is nothing at this address, or it belongs to another account.",
                    "/",
                    "Back to LinkedGrow",
                ),
            ),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                page(
                    "That does not work here",
                    "This address does not accept that kind of request.",
                    "/",
                    "Back to LinkedGrow",
                ),
            ),
            Self::PlanRequired => (
                StatusCode::FORBIDDEN,
                page(
                    "API access needs the Business plan",
                    "API keys and webhooks are available only on the Business plan. Nothing \
                     was changed.",
                    "/settings/api",
                    "Back to Settings › API",
                ),
            ),
            Self::AlreadySetUp => (
                StatusCode::CONFLICT,
                page(
                    "LinkedGrow is already set up",
                    "The owner account exists, so no other can be created this way.",
                    "/login",
                    "Sign in",
                ),
            ),
            Self::Busy => (
                StatusCode::TOO_MANY_REQUESTS,
                page(
                    "The server is busy",
                    "Too many passwords are being checked right now. Nothing was changed. Wait \
                     a few seconds, then try again.",
                    "/",
                    "Back to LinkedGrow",
                ),
            ),
            Self::Unavailable(cause) => {
                tracing::warn!(error = %cause, "a page could not be served");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    page(
                        "Temporarily unavailable",
                        "The server cannot reach a service it needs right now. Nothing was \
                         changed. Wait a few seconds, then try again.",
                        "/",
                        "Back to LinkedGrow",
                    ),
                )
            }
            Self::BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                page(
                    "Bad request",
                    "The request could not be understood. Go back, reload the page and try again.",
                    "/",
                    "Back to LinkedGrow",
                ),
            ),
            Self::Internal(cause) => {
                // The cause goes to the log, inside the request's span (so with its id).
                tracing::error!(error = ?cause, "internal error on a page");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    page(
                        "Something went wrong",
                        "The server could not finish this request. Nothing you typed was shown \
                         to anyone; please try again.",
                        "/",
                        "Back to LinkedGrow",
                    ),
                )
            }
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let Self::SignInRequired = self {
            return Redirect::to("/login").into_response();
        }
        let retry_after = match self {
            Self::Busy => Some(BUSY_RETRY_AFTER_SECS),
            Self::Unavailable(_) => Some(crate::shared::RETRY_AFTER_SECS),
            _ => None,
        };
        let (status, page) = self.page();
        let body = page.render().unwrap_or_else(|_| page.message.to_owned());
        let mut response = (status, axum::response::Html(body)).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
