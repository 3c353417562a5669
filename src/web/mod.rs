//! The web app: server-rendered pages for people, beside the API for programs.
//!
//! Pages are askama templates (escaped by default) under `templates/`; the stylesheet and the
//! one small script are compiled into the binary. Signed-in pages use a server-side session
//! (see [`session`]); every form that changes something carries a CSRF token.

mod analytics;
mod api_keys;
mod assets;
mod auth;
mod error;
pub mod form_tokens;
mod ideas;
mod linkedin;
pub mod once;
mod posts;
mod profile;
mod render;
pub mod session;
pub mod throttle;
mod webhooks;

use std::sync::Arc;

use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::password::PasswordWork;
use crate::AppState;

pub use error::WebError;

/// What the web app keeps beside the store.
#[derive(Clone)]
pub struct WebState {
    /// Failed sign-ins per account and per client address (in memory or in Redis).
    pub throttle: Arc<throttle::LoginThrottle>,
    /// Password hashing and checking, a few at a time.
    pub passwords: Arc<PasswordWork>,
    /// Signs and checks the signed-out forms' CSRF cookie.
    pub form_tokens: form_tokens::FormTokens,
    /// Forms that must take effect once (creating a key, adding a webhook).
    pub submitted: Arc<once::SubmittedForms>,
    /// Whether `X-Forwarded-Proto` / `X-Forwarded-For` come from a trusted proxy.
    pub trust_proxy: bool,
}

impl WebState {
    /// Fresh state kept in this process's memory; `trust_proxy` as configured, form tokens
    /// signed with the server secret.
    pub fn new(trust_proxy: bool, form_tokens: form_tokens::FormTokens) -> Self {
        Self {
            form_tokens,
            throttle: Arc::new(throttle::LoginThrottle::default()),
            passwords: Arc::new(PasswordWork::per_core()),
            submitted: Arc::new(once::SubmittedForms::default()),
            trust_proxy,
        }
    }

    /// As [`WebState::new`], with sign-in counts and submitted form ids kept in `redis`, shared
    /// by every instance that uses it.
    pub fn shared(
        trust_proxy: bool,
        form_tokens: form_tokens::FormTokens,
        redis: crate::shared::Redis,
    ) -> Self {
        Self {
            throttle: Arc::new(throttle::LoginThrottle::shared(redis.clone())),
            submitted: Arc::new(once::SubmittedForms::shared(redis)),
            ..Self::new(trust_proxy, form_tokens)
        }
    }
}

/// The pages, at `/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(auth::home))
        .route("/setup", axum::routing::post(auth::create_owner))
        .route("/login", get(auth::login_page).post(auth::sign_in))
        .route("/logout", axum::routing::post(auth::sign_out))
        .route("/settings", get(|| async { Redirect::to("/settings/api") }))
        .route(
            "/settings/api",
            get(api_keys::list_keys).post(api_keys::create_key),
        )
        .route(
            "/settings/api/{id}/revoke",
            get(api_keys::confirm_revoke).post(api_keys::revoke_key),
        )
        .route(
            "/settings/webhooks",
            get(webhooks::list_webhooks).post(webhooks::create_webhook),
        )
        .route("/settings/webhooks/{id}", get(webhooks::show_webhook))
        .route(
            "/settings/webhooks/{id}/test",
            axum::routing::post(webhooks::send_test_event),
        )
        .route(
            "/settings/webhooks/{id}/deliveries/{delivery}/resend",
            axum::routing::post(webhooks::resend_delivery),
        )
        .route(
            "/settings/webhooks/{id}/disable",
            axum::routing::post(webhooks::disable_webhook),
        )
        .route(
            "/settings/webhooks/{id}/enable",
            axum::routing::post(webhooks::enable_webhook),
        )
        .route(
            "/settings/webhooks/{id}/delete",
            get(webhooks::confirm_delete).post(webhooks::delete_webhook),
        )
        .route("/settings/linkedin", get(linkedin::linkedin_page))
        .route(
            "/settings/linkedin/connect",
            axum::routing::post(linkedin::connect),
        )
        .route("/settings/linkedin/callback", get(linkedin::callback))
        .route(
            "/settings/linkedin/disconnect",
            axum::routing::post(linkedin::disconnect),
        )
        .route(
            "/settings/profile",
            get(profile::edit_profile).post(profile::update_profile),
        )
        .route(
            "/settings/password",
            axum::routing::post(profile::change_password),
        )
        .route("/posts", get(posts::list_posts).post(posts::create_post))
        .route("/posts/new", get(posts::new_post))
        .route(
            "/posts/{id}",
            get(posts::edit_post).post(posts::update_post),
        )
        .route(
            "/posts/{id}/delete",
            get(posts::confirm_delete).post(posts::delete_post),
        )
        .route(
            "/posts/{id}/publish",
            axum::routing::post(posts::publish_post),
        )
        .route("/posts/{id}/analytics", get(analytics::show_post_analytics))
        .route("/ideas", get(ideas::list_ideas).post(ideas::create_idea))
        .route("/ideas/new", get(ideas::new_idea))
        .route(
            "/ideas/{id}",
            get(ideas::edit_idea).post(ideas::update_idea),
        )
        .route(
            "/ideas/{id}/delete",
            get(ideas::confirm_delete).post(ideas::delete_idea),
        )
        .route(
            "/ideas/{id}/convert",
            axum::routing::post(ideas::convert_idea),
        )
        .route("/analytics", get(analytics::show_analytics))
        .route("/assets/app.css", get(assets::stylesheet))
        .route("/assets/app.js", get(assets::script))
        .method_not_allowed_fallback(|| async { WebError::MethodNotAllowed })
}

/// The policy: nothing but this origin's own script, styles and forms; no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// The policy of a page whose forms may also lead to `origin`: browsers hold the redirect
/// that answers a form to `form-action` too, so Settings › LinkedIn's Connect form, answered
/// with a redirect to LinkedIn's consent page, needs LinkedIn's origin there.
fn policy_with_form_action(origin: &str) -> Option<HeaderValue> {
    let extended = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'",
        &format!("form-action 'self' {origin}"),
    );
    HeaderValue::from_str(&extended).ok()
}

/// Security headers on every response (pages, assets, API and errors alike).
pub fn with_security_headers(router: Router<AppState>) -> Router<AppState> {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    router.layer(
        ServiceBuilder::new()
            .layer(set(
                header::CONTENT_SECURITY_POLICY,
                CONTENT_SECURITY_POLICY,
            ))
            .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .layer(set(header::X_FRAME_OPTIONS, "DENY"))
            .layer(set(header::REFERRER_POLICY, "same-origin"))
            .layer(set(
                HeaderName::from_static("cross-origin-opener-policy"),
                "same-origin",
            )),
    )
}
