//! Ideas and Analytics: sections this server does not offer yet, saying so plainly.

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

/// Ideas: not built yet.
pub async fn ideas(current: CurrentUser) -> Result<Response, WebError> {
    ok(&Placeholder {
        shell: Shell::new(&current, "ideas"),
        title: "Ideas",
        message: "Saving post ideas is not available on this server yet. Nothing is shown here \
                  until it is; your posts are under Posts.",
    })
}
