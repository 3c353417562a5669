//! The stylesheet and the script, compiled into the binary: no build step, no CDN.

use axum::http::header;
use axum::response::IntoResponse;

const STYLESHEET: &str = include_str!("../../assets/app.css");
const SCRIPT: &str = include_str!("../../assets/app.js");
/// Short enough that an upgrade shows within the hour; long enough to spare repeat requests.
const CACHE: &str = "public, max-age=3600";

/// `/assets/app.css`.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        STYLESHEET,
    )
}

/// `/assets/app.js`: the Copy button and the character counter.
pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        SCRIPT,
    )
}
