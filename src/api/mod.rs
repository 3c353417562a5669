//! The REST API under `/api/v1`: one file per resource, plus the authentication middleware.

pub mod health;
pub mod middleware;
pub mod posts;
pub mod query;

use axum::routing::get;
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
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            middleware::authenticate,
        ))
}
