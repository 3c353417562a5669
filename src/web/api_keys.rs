//! Settings › API: create, list and revoke API keys.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::admin::{self, parse_key_name};
use crate::domain::{KeyId, Plan, Scope, Scopes};
use crate::store::KeyRecord;
use crate::AppState;

use super::render::{local_time, ok, page, sentence, Shell, WebForm};
use super::session::{random_token, CurrentUser};
use super::WebError;

/// One scope checkbox.
struct ScopeChoice {
    name: &'static str,
    description: &'static str,
    checked: bool,
}

fn scope_choices(selected: Scopes) -> Vec<ScopeChoice> {
    Scope::ALL
        .into_iter()
        .map(|scope| ScopeChoice {
            name: scope.as_str(),
            description: scope.description(),
            checked: selected.contains(scope),
        })
        .collect()
}

/// One active key as the list shows it.
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    scopes: Vec<&'static str>,
    created: String,
    last_used: String,
}

#[derive(Default)]
struct KeyErrors {
    name: Option<String>,
    scopes: Option<String>,
}

#[derive(Template)]
#[template(path = "settings_api.html")]
struct ApiPage {
    shell: Shell,
    form_id: String,
    business: bool,
    plan: &'static str,
    notice: Option<&'static str>,
    name: String,
    scopes: Vec<ScopeChoice>,
    errors: KeyErrors,
    keys: Vec<KeyRow>,
}

#[derive(Template)]
#[template(path = "key_created.html")]
struct CreatedPage {
    shell: Shell,
    name: String,
    scopes: Vec<&'static str>,
    secret: String,
}

#[derive(Template)]
#[template(path = "key_revoke.html")]
struct RevokePage {
    shell: Shell,
    key: KeyRow,
}

async fn api_page(
    app: &AppState,
    current: &CurrentUser,
    notice: Option<&'static str>,
    name: String,
    selected: Scopes,
    errors: KeyErrors,
) -> Result<ApiPage, WebError> {
    let tz = current.timezone();
    let keys = app
        .store
        .list_keys(&current.user.id)
        .await?
        .iter()
        .filter(|key| key.revoked_at.is_none())
        .map(|key| key_row(key, tz))
        .collect();
    Ok(ApiPage {
        shell: Shell::new(current, "api"),
        form_id: random_token(),
        business: current.user.plan == Plan::Business,
        plan: current.user.plan.as_str(),
        notice,
        name,
        scopes: scope_choices(selected),
        errors,
        keys,
    })
}

fn key_row(key: &KeyRecord, tz: chrono_tz::Tz) -> KeyRow {
    KeyRow {
        id: key.id.to_string(),
        name: key.name.clone(),
        prefix: key.prefix.clone(),
        scopes: key.scopes.names(),
        created: local_time(key.created_at, tz),
        last_used: key
            .last_used_at
            .map(|at| local_time(at, tz))
            .unwrap_or_else(|| "Never".into()),
    }
}

/// `?revoked=1` after a revocation, `?resubmitted=1` after a create form came again.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApiQuery {
    revoked: Option<String>,
    resubmitted: Option<String>,
}

/// Settings › API: the create form and the active keys.
pub async fn list_keys(
    State(app): State<AppState>,
    current: CurrentUser,
    Query(query): Query<ApiQuery>,
) -> Result<Response, WebError> {
    let notice = if query.revoked.is_some() {
        Some("The key was revoked. Requests with it are refused from now on.")
    } else if query.resubmitted.is_some() {
        Some(
            "That form was already used: its key was created then and is not shown again. \
             If you did not copy it, revoke it below and create a new one.",
        )
    } else {
        None
    };
    let api = api_page(
        &app,
        &current,
        notice,
        String::new(),
        Scopes::default(),
        KeyErrors::default(),
    )
    .await?;
    ok(&api)
}

/// The create-key form; `scope` repeats, once per ticked box.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CreateKeyForm {
    csrf: String,
    /// The form's one-time id, so that re-sending it (a reload) creates nothing.
    form_id: String,
    name: String,
    scope: Vec<String>,
}

/// Creates a key and shows its secret on this response only (never stored, never redirected
/// to, never cached).
pub async fn create_key(
    State(app): State<AppState>,
    current: CurrentUser,
    WebForm(form): WebForm<CreateKeyForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    if current.user.plan != Plan::Business {
        return Err(WebError::PlanRequired);
    }
    if form.form_id.len() != 43 {
        return Err(WebError::BadRequest("the form has no id".into()));
    }
    let scopes = form
        .scope
        .iter()
        .map(|name| name.parse::<Scope>())
        .collect::<Result<Scopes, _>>()
        .map_err(WebError::BadRequest)?;
    let name = parse_key_name(&form.name);
    let scopes_error = scopes
        .is_empty()
        .then(|| "Select at least one scope.".to_owned());
    let (Ok(name), None) = (&name, &scopes_error) else {
        let errors = KeyErrors {
            name: name.err().map(|e| sentence(&e)),
            scopes: scopes_error,
        };
        let again = api_page(&app, &current, None, form.name, scopes, errors).await?;
        return page(StatusCode::UNPROCESSABLE_ENTITY, &again);
    };
    let now = app.clock.now().timestamp_millis();
    if !app.web.submitted.claim(&form.form_id, now).await? {
        return Ok(Redirect::to("/settings/api?resubmitted=1").into_response());
    }
    let (record, secret) = admin::create_key(app.store.as_ref(), &current.user, name, scopes, now)
        .await
        .map_err(WebError::Internal)?;
    let created = CreatedPage {
        shell: Shell::new(&current, "api"),
        name: record.name,
        scopes: record.scopes.names(),
        secret,
    };
    page(StatusCode::CREATED, &created)
}

async fn own_key(app: &AppState, current: &CurrentUser, id: &KeyId) -> Result<KeyRecord, WebError> {
    let key = app.store.key_by_id(id).await?;
    // Another user's key, or one already revoked, is "not found" for this user.
    if key.user_id != current.user.id || key.revoked_at.is_some() {
        return Err(WebError::NotFound);
    }
    Ok(key)
}

/// The confirmation step before revoking.
pub async fn confirm_revoke(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<KeyId>,
) -> Result<Response, WebError> {
    let key = own_key(&app, &current, &id).await?;
    ok(&RevokePage {
        shell: Shell::new(&current, "api"),
        key: key_row(&key, current.timezone()),
    })
}

/// The revoke form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevokeForm {
    csrf: String,
}

/// Revokes the key; the API refuses it from the next request on.
pub async fn revoke_key(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<KeyId>,
    WebForm(form): WebForm<RevokeForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    let key = own_key(&app, &current, &id).await?;
    let now = app.clock.now().timestamp_millis();
    app.store.revoke_key(&key.id, now).await?;
    Ok(Redirect::to("/settings/api?revoked=1").into_response())
}
