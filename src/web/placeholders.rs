//! Analytics: a section this server does not offer yet, saying so plainly.

use askama::Template;
use axum::response::Response;

use super::render::{ok, Shell};
use super::session::CurrentUser;
use super::WebError;

#[derive(Template)]
#[template(path = "placeholder.html")]
struct Placeholder {
    shell: Shell,
    title: &'static str,
    message: &'static str,
}

/// Analytics: not built yet.
pub async fn analytics(current: CurrentUser) -> Result<Response, WebError> {
    ok(&Placeholder {
        shell: Shell::new(&current, "analytics"),
        title: "Analytics",
        message: "Analytics are not available on this server yet. No numbers are shown here \
                  until real ones are collected.",
    })
}
