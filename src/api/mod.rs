//! The REST API under `/api/v1`: one file per resource, plus the authentication, idempotency and
//! OpenAPI modules.

pub mod account;
pub mod analytics;
pub mod auth;
pub mod conditional;
pub mod docs;
pub mod error;
pub mod etag;
pub mod events;
pub mod health;
pub mod ideas;
pub mod idempotency;
pub mod json_body;
pub mod middleware;
pub mod openapi;
pub mod posts;
pub mod publishing;
pub mod query;
pub mod webhooks;

use axum::handler::Handler;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

use crate::AppState;

/// The authenticated `/api/v1` routes.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/posts",
            get(posts::list_posts).merge(idempotent_post(&state, posts::create_post)),
        )
        .route(
            "/posts/{id}",
            get(posts::get_post)
                .put(posts::update_post)
                .delete(posts::delete_post),
        )
        .route(
            "/posts/{id}/publish",
            idempotent_post(&state, publishing::publish_post),
        )
        .route("/posts/{id}/analytics", get(analytics::post_analytics))
        .route(
            "/ideas",
            get(ideas::list_ideas).merge(idempotent_post(&state, ideas::create_idea)),
        )
        .route(
            "/ideas/{id}",
            get(ideas::get_idea)
                .put(ideas::update_idea)
                .delete(ideas::delete_idea),
        )
        .route(
            "/ideas/{id}/convert",
            idempotent_post(&state, ideas::convert_idea),
        )
        .route(
            "/webhooks",
            get(webhooks::list_webhooks).merge(idempotent_post(&state, webhooks::create_webhook)),
        )
        .route(
            "/webhooks/{id}",
            get(webhooks::get_webhook)
                .put(webhooks::update_webhook)
                .delete(webhooks::delete_webhook),
        )
        .route(
            "/webhooks/{id}/test",
            idempotent_post(&state, webhooks::test_webhook),
        )
        .route("/webhooks/{id}/deliveries", get(webhooks::list_deliveries))
        .route(
            "/webhooks/{id}/deliveries/{deliveryId}/resend",
            idempotent_post(&state, webhooks::resend_delivery),
        )
        .route("/analytics", get(analytics::account_analytics))
        .route("/profile", get(account::profile))
        .route("/keys/current", get(account::current_key))
        // Inside authentication: a 304 counts against the rate limit like a 200.
        .route_layer(axum::middleware::from_fn(conditional::conditional_get))
        // Authentication wraps every route above, so it runs before a POST's idempotency layer.
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            middleware::authenticate,
        ))
        // After the layers, so without a key.
        .route("/openapi.json", get(openapi::serve))
}

/// `POST` to `handler` behind the `Idempotency-Key` layer. Only the creates take the header, so
/// only they pass through it: a read does not pay for a layer that would let it through
/// untouched, and a method the path does not have is 405 whatever headers it carries (the layer
/// wraps the handler, not the path's "method not allowed" answer).
fn idempotent_post<H, T>(state: &AppState, handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    post(handler.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        idempotency::idempotency,
    )))
}
