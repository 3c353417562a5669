//! Settings › Profile: name, timezone, and the password.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::admin::{parse_timezone, parse_user_name};
use crate::password::parse_new_password;
use crate::AppState;

use super::render::{ok, page, Shell, WebForm};
use super::session::{ClientInfo, CurrentUser};
use super::throttle::Refusal;
use super::WebError;

#[derive(Default)]
struct ProfileErrors {
    name: Option<String>,
    timezone: Option<String>,
    current_password: Option<String>,
    new_password: Option<String>,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    shell: Shell,
    notice: Option<&'static str>,
    email: String,
    plan: &'static str,
    name: String,
    timezone: String,
    timezones: Vec<&'static str>,
    errors: ProfileErrors,
}

fn profile_page(
    current: &CurrentUser,
    notice: Option<&'static str>,
    name: String,
    timezone: String,
    errors: ProfileErrors,
) -> ProfilePage {
    ProfilePage {
        shell: Shell::new(current, "profile"),
        notice,
        email: current.user.email.clone(),
        plan: current.user.plan.as_str(),
        name,
        timezone,
        timezones: chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect(),
        errors,
    }
}

/// `?saved=profile` or `?saved=password` after a change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileQuery {
    saved: Option<String>,
}

/// The profile and password forms.
pub async fn edit_profile(
    current: CurrentUser,
    Query(query): Query<ProfileQuery>,
) -> Result<Response, WebError> {
    let notice = match query.saved.as_deref() {
        Some("profile") => Some("Your profile was saved."),
        Some("password") => {
            Some("Your password was changed. Every other session of yours was signed out.")
        }
        _ => None,
    };
    let (name, timezone) = (current.user.name.clone(), current.user.timezone.clone());
    ok(&profile_page(
        &current,
        notice,
        name,
        timezone,
        ProfileErrors::default(),
    ))
}

/// The profile form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    csrf: String,
    name: String,
    timezone: String,
}

/// Saves the name and timezone.
pub async fn update_profile(
    State(app): State<AppState>,
    current: CurrentUser,
    WebForm(form): WebForm<ProfileForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    let name = parse_user_name(&form.name);
    let timezone = parse_timezone(&form.timezone);
    let (Ok(name), Ok(timezone)) = (&name, &timezone) else {
        let errors = ProfileErrors {
            name: name.err(),
            timezone: timezone
                .err()
                .map(|_| "Choose a timezone from the list.".into()),
            ..Default::default()
        };
        let again = profile_page(&current, None, form.name, form.timezone, errors);
        return page(StatusCode::UNPROCESSABLE_ENTITY, &again);
    };
    app.store
        .update_profile(&current.user.id, name, timezone.name())
        .await?;
    Ok(Redirect::to("/settings/profile?saved=profile").into_response())
}

/// The password form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

/// Changes the password after checking the current one, and signs out every other session.
pub async fn change_password(
    State(app): State<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    WebForm(form): WebForm<PasswordForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    let now = app.clock.now().timestamp_millis();
    let throttle = &app.web.throttle;
    let email = &current.user.email;
    // A stolen session must not become a way to guess the password quickly.
    let current_error = match throttle.reserve(email, &client.address, now).await {
        Err(Refusal::Unavailable(err)) => return Err(err.into()),
        Err(Refusal::Wait(_)) => {
            Some("Too many wrong passwords. Wait a few minutes, then try again.".to_owned())
        }
        Ok(attempt) => {
            let hash = app.store.password_hash(&current.user.id).await?;
            let password = form.current_password.clone();
            match app.web.passwords.verify(password, hash).await {
                Ok(true) => {
                    attempt.succeeded().await;
                    None
                }
                Ok(false) => {
                    attempt.failed().await;
                    Some("That is not your current password.".to_owned())
                }
                Err(busy) => {
                    attempt.not_checked().await;
                    return Err(busy.into());
                }
            }
        }
    };
    let new_password = parse_new_password(&form.new_password);
    let (None, Ok(new_password)) = (&current_error, &new_password) else {
        let errors = ProfileErrors {
            current_password: current_error,
            new_password: new_password
                .err()
                .map(|e| format!("Choose another password: {e}.")),
            ..Default::default()
        };
        let (name, timezone) = (current.user.name.clone(), current.user.timezone.clone());
        let again = profile_page(&current, None, name, timezone, errors);
        return page(StatusCode::UNPROCESSABLE_ENTITY, &again);
    };
    let hash = app.web.passwords.hash(new_password.clone()).await?;
    app.store.set_password(&current.user.id, &hash, now).await?;
    app.store
        .delete_other_sessions(&current.user.id, &current.session.token_hash)
        .await?;
    Ok(Redirect::to("/settings/profile?saved=password").into_response())
}
