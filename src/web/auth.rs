//! First run (the owner account), signing in and signing out.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::admin::{parse_email, parse_user_name};
use crate::domain::{Plan, UserId};
use crate::password::{parse_new_password, BUSY_RETRY_AFTER_SECS};
use crate::store::{StoreError, User};
use crate::AppState;

use super::render::{page, WebForm};
use super::session::{
    check_form_token, form_token, removal, start_session, ClientInfo, CurrentUser, FORM_COOKIE,
    SESSION_COOKIE,
};
use super::throttle::Refusal;
use super::WebError;

/// The one message for every failed sign-in, so it reveals no account.
const WRONG_CREDENTIALS: &str = "That email and password do not match an account.";

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    csrf: String,
    email: String,
    name: String,
    errors: SetupErrors,
}

#[derive(Default)]
struct SetupErrors {
    email: Option<String>,
    name: Option<String>,
    password: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    email: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

/// `/`: the first-run form on an empty database, else the app (or the sign-in page).
pub async fn home(
    State(app): State<AppState>,
    jar: CookieJar,
    client: ClientInfo,
    current: Result<CurrentUser, WebError>,
) -> Result<Response, WebError> {
    if app.store.count_users().await? > 0 {
        return match current {
            Ok(_) => Ok(Redirect::to("/posts").into_response()),
            Err(_) => Ok(Redirect::to("/login").into_response()),
        };
    }
    let (jar, csrf) = form_token(&app, jar, &client);
    let setup = SetupPage {
        csrf,
        email: String::new(),
        name: String::new(),
        errors: SetupErrors::default(),
    };
    Ok((jar, page(StatusCode::OK, &setup)?).into_response())
}

/// The first-run form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetupForm {
    csrf: String,
    email: String,
    name: String,
    password: String,
}

/// Creates the owner account (Business plan) if there is no user yet.
pub async fn create_owner(
    State(app): State<AppState>,
    jar: CookieJar,
    WebForm(form): WebForm<SetupForm>,
) -> Result<Response, WebError> {
    check_form_token(&app, &jar, &form.csrf)?;
    if app.store.count_users().await? > 0 {
        return Err(WebError::AlreadySetUp);
    }
    let email = parse_email(&form.email);
    let name = parse_user_name(&form.name);
    let password = parse_new_password(&form.password);
    let (Ok(email), Ok(name), Ok(password)) = (&email, &name, &password) else {
        let again = SetupPage {
            csrf: form.csrf,
            email: form.email,
            name: form.name,
            errors: SetupErrors {
                email: email.err(),
                name: name.err(),
                password: password.err(),
            },
        };
        return page(StatusCode::UNPROCESSABLE_ENTITY, &again);
    };
    let owner = User {
        id: UserId::generate(),
        email: email.clone(),
        name: name.clone(),
        plan: Plan::Business,
        timezone: "UTC".into(),
        created_at: app.clock.now().timestamp_millis(),
    };
    let hash = app.web.passwords.hash(password.clone()).await?;
    match app.store.create_owner(&owner, &hash).await {
        Ok(()) => Ok(Redirect::to("/login?created=1").into_response()),
        // Another request created the owner between our check and our insert.
        Err(StoreError::Conflict(_)) => Err(WebError::AlreadySetUp),
        Err(err) => Err(err.into()),
    }
}

/// The `?created=1` and `?signed_out=1` notices.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    created: Option<String>,
    signed_out: Option<String>,
}

/// The sign-in page (or the first-run form's place, before there is any user).
pub async fn login_page(
    State(app): State<AppState>,
    jar: CookieJar,
    client: ClientInfo,
    query: axum::extract::Query<LoginQuery>,
) -> Result<Response, WebError> {
    if app.store.count_users().await? == 0 {
        return Ok(Redirect::to("/").into_response());
    }
    let notice = if query.created.is_some() {
        Some("Your account is ready. Sign in to continue.")
    } else if query.signed_out.is_some() {
        Some("You have signed out.")
    } else {
        None
    };
    let (jar, csrf) = form_token(&app, jar, &client);
    let login = LoginPage {
        csrf,
        email: String::new(),
        notice,
        error: None,
    };
    Ok((jar, page(StatusCode::OK, &login)?).into_response())
}

/// The sign-in form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    csrf: String,
    email: String,
    password: String,
}

/// Checks the password (unless this account or address must wait) and starts a session.
pub async fn sign_in(
    State(app): State<AppState>,
    jar: CookieJar,
    client: ClientInfo,
    WebForm(form): WebForm<LoginForm>,
) -> Result<Response, WebError> {
    check_form_token(&app, &jar, &form.csrf)?;
    let now = app.clock.now().timestamp_millis();
    let throttle = &app.web.throttle;
    let refuse = |status: StatusCode, error: String| {
        let again = LoginPage {
            csrf: form.csrf.clone(),
            email: form.email.clone(),
            notice: None,
            error: Some(error),
        };
        page(status, &again)
    };
    let wait = |seconds: u64, error: String| {
        let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, error)?;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        Ok::<_, WebError>(response)
    };
    // Counted before the password is checked, so simultaneous guesses cannot overdraw the
    // budget; anything short of a success below counts as a failure.
    let attempt = match throttle.reserve(&form.email, &client.address, now).await {
        Ok(attempt) => attempt,
        // Fail closed: without the shared counts, no password is checked.
        Err(Refusal::Unavailable(err)) => return Err(err.into()),
        Err(Refusal::Wait(seconds)) => {
            let error = format!(
                "Too many failed attempts. Wait {} before trying again.",
                human_wait(seconds)
            );
            return wait(seconds, error);
        }
    };
    let user = match app.store.user_by_email(form.email.trim()).await {
        Ok(user) => Some(user),
        Err(StoreError::NotFound(_)) => None,
        Err(err) => return Err(err.into()),
    };
    let hash = match &user {
        Some(user) => app.store.password_hash(&user.id).await?,
        None => None,
    };
    let Ok(verified) = app.web.passwords.verify(form.password.clone(), hash).await else {
        attempt.not_checked().await;
        let error =
            "The server is busy checking other sign-ins. Wait a few seconds, then try again.";
        return wait(BUSY_RETRY_AFTER_SECS, error.into());
    };
    let Some(user) = user.filter(|_| verified) else {
        attempt.failed().await;
        return refuse(StatusCode::UNAUTHORIZED, WRONG_CREDENTIALS.into());
    };
    attempt.succeeded().await;
    let session = start_session(&app, &user, &client).await?;
    let jar = jar.remove(removal(FORM_COOKIE)).add(session);
    Ok((jar, Redirect::to("/posts")).into_response())
}

/// "30 seconds", "2 minutes".
fn human_wait(seconds: u64) -> String {
    match seconds {
        0..=1 => "a second".into(),
        2..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

/// The sign-out form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignOutForm {
    csrf: String,
}

/// Ends the session on the server and drops the cookie.
pub async fn sign_out(
    State(app): State<AppState>,
    current: CurrentUser,
    jar: CookieJar,
    WebForm(form): WebForm<SignOutForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    app.store
        .delete_session(&current.session.token_hash)
        .await?;
    let jar = jar.remove(removal(SESSION_COOKIE));
    Ok((jar, Redirect::to("/login?signed_out=1")).into_response())
}
