//! `/docs`: the human-readable reference, Swagger UI rendering `/api/v1/openapi.json` in the
//! browser. Its JavaScript and CSS are compiled into the binary (utoipa-swagger-ui's `vendored`
//! feature) and served from here: nothing is fetched from a CDN, so offline installs work.

use axum::Router;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::AppState;

/// Where the reference is served.
pub const DOCS_PATH: &str = "/docs";

/// The routes under [`DOCS_PATH`].
pub fn router() -> Router<AppState> {
    let config = Config::new(["/api/v1/openapi.json"])
        // Swagger UI would otherwise send the document to an online validator for a badge.
        .validator_url("none")
        .try_it_out_enabled(true)
        .persist_authorization(false)
        .display_operation_id(true)
        .show_extensions(true)
        .show_common_extensions(true)
        .display_request_duration(true);
    SwaggerUi::new(DOCS_PATH).config(config).into()
}
