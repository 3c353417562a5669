//! Settings › LinkedIn: connect the member posts are published as (OAuth 2.0, authorization
//! code), see the connection, disconnect.
//!
//! The `state` of the round trip is random, stored only as a hash bound to the session that
//! started it, good for ten minutes and for one callback: a callback with another session's, a
//! reused or an expired state connects nothing.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::publisher::connection::ConnectionStatus;
use crate::AppState;

use super::render::{local_time, ok, Shell, WebForm};
use super::session::{hash_token, random_token, CurrentUser};
use super::WebError;

/// How long a started connection may take to come back.
const STATE_LIFETIME_MS: i64 = 10 * 60_000;

#[derive(Template)]
#[template(path = "settings_linkedin.html")]
struct LinkedInPage {
    shell: Shell,
    status: ConnectionStatus,
    expires: String,
    configured: bool,
    notice: Option<&'static str>,
    problem: Option<&'static str>,
}

/// What the page says after a round trip: `?connected=1`, `?disconnected=1`, `?problem=…`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    connected: Option<String>,
    disconnected: Option<String>,
    problem: Option<String>,
}

/// The plain words for each way a connection can fail.
fn problem_text(code: &str) -> &'static str {
    match code {
        "denied" => "LinkedIn did not connect: the permission was not granted. Nothing changed.",
        "state" => {
            "That LinkedIn answer does not belong to this browser session, was used already or \
             came too late. Nothing changed; connect again."
        }
        "cannot_post" => {
            "LinkedIn did not grant permission to post (w_member_social): the LinkedIn app needs \
             the \"Share on LinkedIn\" product. Nothing changed."
        }
        "not_configured" => "Connecting LinkedIn is not set up on this server.",
        _ => "LinkedIn could not be reached or refused the connection. Nothing changed; try again.",
    }
}

/// Settings › LinkedIn.
pub async fn linkedin_page(
    State(app): State<AppState>,
    current: CurrentUser,
    Query(query): Query<PageQuery>,
) -> Result<Response, WebError> {
    let account = app.store.linkedin_account(&current.user.id).await?;
    let now = app.clock.now().timestamp_millis();
    let status = ConnectionStatus::of(account.as_ref(), now);
    let expires = status
        .token_expires_at
        .map(|at| local_time(at, current.timezone()))
        .unwrap_or_else(|| "not known".into());
    let notice = if query.connected.is_some() {
        Some("LinkedIn is connected: scheduled posts will be published as this member.")
    } else if query.disconnected.is_some() {
        Some("LinkedIn is disconnected; its token is deleted.")
    } else {
        None
    };
    let configured = app.publisher.oauth_configured();
    let mut response = ok(&LinkedInPage {
        shell: Shell::new(&current, "linkedin"),
        status,
        expires,
        configured,
        notice,
        problem: query.problem.as_deref().map(problem_text),
    })?;
    // Only this page's forms may lead to LinkedIn (Connect is answered with a redirect there).
    let policy = configured
        .then(|| app.publisher.authorization_origin())
        .flatten()
        .and_then(|origin| super::policy_with_form_action(&origin));
    if let Some(policy) = policy {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(response)
}

/// A form that carries only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

impl CsrfForm {
    /// The token sent.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// *Connect LinkedIn*: off to LinkedIn's consent page with a fresh state.
pub async fn connect(
    State(app): State<AppState>,
    current: CurrentUser,
    WebForm(form): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    if !app.publisher.oauth_configured() {
        return Ok(back_with_problem("not_configured"));
    }
    let state = random_token();
    let expires_at = app.clock.now().timestamp_millis() + STATE_LIFETIME_MS;
    app.store
        .save_oauth_state(
            &hash_token(&state),
            &current.session.token_hash,
            &current.user.id,
            expires_at,
        )
        .await?;
    Ok(Redirect::to(&app.publisher.authorization_url(&state)).into_response())
}

/// What LinkedIn sends back to the redirect URL.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The end of the round trip: check the state, exchange the code, store the member.
pub async fn callback(
    State(app): State<AppState>,
    current: CurrentUser,
    Query(callback): Query<Callback>,
) -> Result<Response, WebError> {
    let now = app.clock.now().timestamp_millis();
    let taken = match callback.state.as_deref() {
        Some(state) => app.store.take_oauth_state(&hash_token(state), now).await?,
        None => None,
    };
    let bound = taken.is_some_and(|(session_hash, user_id)| {
        session_hash == current.session.token_hash && user_id == current.user.id
    });
    if !bound {
        return Ok(back_with_problem("state"));
    }
    if callback.error.is_some() {
        return Ok(back_with_problem("denied"));
    }
    let Some(code) = callback.code else {
        return Ok(back_with_problem("linkedin"));
    };
    let grant = match app.publisher.exchange_code(&code).await {
        Ok(grant) => grant,
        Err(err) => {
            tracing::warn!(error = %err, "LinkedIn refused an authorization code");
            return Ok(back_with_problem("linkedin"));
        }
    };
    let connected = app
        .publisher
        .connect_member(
            &current.user.id,
            &grant.access_token,
            Some(grant.expires_in),
            &grant.scopes,
        )
        .await;
    match connected {
        Ok(_) => Ok(Redirect::to("/settings/linkedin?connected=1").into_response()),
        Err(crate::publisher::connection::ConnectError::CannotPost) => {
            Ok(back_with_problem("cannot_post"))
        }
        Err(err) => {
            tracing::warn!(error = %err, "a LinkedIn member could not be connected");
            Ok(back_with_problem("linkedin"))
        }
    }
}

/// *Disconnect*: the token is deleted.
pub async fn disconnect(
    State(app): State<AppState>,
    current: CurrentUser,
    WebForm(form): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    let now = app.clock.now().timestamp_millis();
    app.store
        .delete_linkedin_account(&current.user.id, now)
        .await?;
    Ok(Redirect::to("/settings/linkedin?disconnected=1").into_response())
}

fn back_with_problem(code: &str) -> Response {
    Redirect::to(&format!("/settings/linkedin?problem={code}")).into_response()
}
