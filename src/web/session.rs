//! Browser sessions and CSRF protection.
//!
//! Signing in creates a random 256-bit token, sent to the browser in an `HttpOnly`,
//! `SameSite=Lax` cookie (`Secure` when the request came over HTTPS); the database keeps only
//! its SHA-256. Each session also has a random CSRF token that every form of that session
//! sends back (synchronizer token). The two forms used before signing in (first run and sign
//! in) use a double-submit token instead: a value in a `SameSite=Strict` cookie that the form
//! must repeat, signed by the server (see [`super::form_tokens`]) so a planted one is refused.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use subtle::ConstantTimeEq;

use crate::store::{SessionRecord, User};
use crate::AppState;

use super::WebError;

/// The session cookie.
pub const SESSION_COOKIE: &str = "lg_session";
/// The double-submit CSRF cookie of the signed-out forms.
pub const FORM_COOKIE: &str = "lg_form";
/// How long a session lasts from sign-in.
pub const SESSION_LIFETIME_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// 43 base62 characters of OS randomness: about 256 bits.
pub fn random_token() -> String {
    Alphanumeric.sample_string(&mut OsRng, 43)
}

/// The stored form of a session token.
pub fn hash_token(token: &str) -> String {
    crate::keys::hex_sha256(token.as_bytes())
}

/// Whether the token a form sent is the expected one, compared in constant time.
pub fn tokens_match(expected: &str, sent: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes()))
}

/// Refuses a form whose CSRF token is missing or wrong.
pub fn check_csrf(expected: &str, sent: &str) -> Result<(), WebError> {
    if tokens_match(expected, sent) {
        Ok(())
    } else {
        Err(WebError::Csrf)
    }
}

/// How the request reached us: over HTTPS or not, and from which client address.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// Whether the browser used HTTPS (cookies then get `Secure`).
    pub https: bool,
    /// The client address, for sign-in throttling.
    pub address: String,
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        if !app.web.trust_proxy {
            // This server speaks plain HTTP itself, so without a trusted proxy it is never HTTPS.
            return Ok(Self {
                https: false,
                address: peer,
            });
        }
        Ok(Self {
            https: forwarded_proto(&parts.headers).is_some_and(|p| p.eq_ignore_ascii_case("https")),
            address: forwarded_for(&parts.headers).unwrap_or(peer),
        })
    }
}

/// The first protocol in `X-Forwarded-Proto`.
fn forwarded_proto(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("x-forwarded-proto")?.to_str().ok()?;
    value.split(',').next().map(str::trim)
}

/// The address the trusted proxy saw: the last one in `X-Forwarded-For` (earlier entries are
/// whatever the client claimed).
fn forwarded_for(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("x-forwarded-for")?.to_str().ok()?;
    value
        .rsplit(',')
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A cookie only this site's pages get and no script can read.
pub fn cookie(
    name: &'static str,
    value: String,
    https: bool,
    same_site: SameSite,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(same_site)
        .secure(https)
        .build()
}

/// A cookie that deletes `name`.
pub fn removal(name: &'static str) -> Cookie<'static> {
    Cookie::build((name, "")).path("/").build()
}

/// The signed-out forms' CSRF token: the one in the cookie if the server made it and it has
/// time left, or a new one to set.
pub fn form_token(app: &AppState, jar: CookieJar, client: &ClientInfo) -> (CookieJar, String) {
    let now = app.clock.now().timestamp_millis();
    let tokens = &app.web.form_tokens;
    match jar.get(FORM_COOKIE).map(|c| c.value().to_owned()) {
        Some(token) if tokens.is_fresh(&token, now) => (jar, token),
        _ => {
            let token = tokens.issue(now);
            let jar = jar.add(cookie(
                FORM_COOKIE,
                token.clone(),
                client.https,
                SameSite::Strict,
            ));
            (jar, token)
        }
    }
}

/// Refuses a signed-out form whose token does not repeat the cookie's, or whose cookie the
/// server did not make (or made too long ago).
pub fn check_form_token(app: &AppState, jar: &CookieJar, sent: &str) -> Result<(), WebError> {
    let expected = jar.get(FORM_COOKIE).map(|c| c.value()).unwrap_or("");
    check_csrf(expected, sent)?;
    let now = app.clock.now().timestamp_millis();
    if app.web.form_tokens.is_valid(expected, now) {
        Ok(())
    } else {
        Err(WebError::Csrf)
    }
}

/// The signed-in user of a request; pages that take it send everyone else to sign in.
/// Only the session cookie counts: an API key never opens these pages.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub session: SessionRecord,
}

impl CurrentUser {
    /// Refuses a form of this session whose CSRF token is missing or wrong.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        check_csrf(&self.session.csrf_token, sent)
    }

    /// The user's timezone (UTC if the stored name is somehow unknown).
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.user.timezone.parse().unwrap_or(chrono_tz::UTC)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, WebError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .ok_or(WebError::SignInRequired)?;
        let now = app.clock.now().timestamp_millis();
        let (session, user) = app
            .store
            .session_user(&hash_token(&token), now)
            .await?
            .ok_or(WebError::SignInRequired)?;
        Ok(Self { user, session })
    }
}

/// Starts a session for `user`: stores it and returns the cookie to set.
pub async fn start_session(
    app: &AppState,
    user: &User,
    client: &ClientInfo,
) -> Result<Cookie<'static>, WebError> {
    let token = random_token();
    let now = app.clock.now().timestamp_millis();
    let session = SessionRecord {
        token_hash: hash_token(&token),
        user_id: user.id.clone(),
        csrf_token: random_token(),
        created_at: now,
        expires_at: now + SESSION_LIFETIME_MS,
    };
    app.store.insert_session(&session).await?;
    Ok(cookie(SESSION_COOKIE, token, client.https, SameSite::Lax))
}
