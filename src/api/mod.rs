//! The REST API under `/api/v1`: one file per resource, plus the authentication, idempotency and
//! OpenAPI modules.

pub mod account;
pub mod analytics;
pub mod docs;
pub mod etag;
pub mod health;
pub mod ideas;
pub mod idempotency;
pub mod middleware;
pub mod openapi;
pub mod posts;
pub mod query;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The authenticated `/api/v1` routes.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/posts", get(posts::list_posts).post(posts::create_post))
        .route(
            "/posts/{id}",
            get(posts::get_post)
                .put(posts::update_post)
                .delete(posts::delete_post),
        )
        .route("/posts/{id}/analytics", get(analytics::post_analytics))
        .route("/ideas", get(ideas::list_ideas).post(ideas::create_idea))
        .route(
            "/ideas/{id}",
            get(ideas::get_idea)
                .put(ideas::update_idea)
                .delete(ideas::delete_idea),
        )
        .route("/ideas/{id}/convert", post(ideas::convert_idea))
        .route("/analytics", get(analytics::account_analytics))
        .route("/profile", get(account::profile))
        .route("/keys/current", get(account::current_key))
        // Layers run outside-in from the last added: authentication, then idempotency.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotency,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            middleware::authenticate,
        ))
        // After the layers, so without a key.
        .route("/openapi.json", get(openapi::serve))
}
