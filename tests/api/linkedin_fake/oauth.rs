//! LinkedIn's OAuth 2.0 three-legged flow and OpenID Connect userinfo: the consent page with
//! Allow and Cancel, single-use authorization codes, the token endpoint and `/v2/userinfo`.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::json;

use super::{bearer, linkedin_error, Code, Shared, CLIENT_ID, CLIENT_SECRET};

/// The scopes an app may ask for here.
const KNOWN_SCOPES: [&str; 5] = [
    "openid",
    "profile",
    "email",
    "w_member_social",
    "r_member_postAnalytics",
];

#[derive(Deserialize)]
pub struct AuthorizationQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
}

/// `GET /oauth/v2/authorization`: the consent page, or an error page for a malformed request
/// (LinkedIn does not redirect to an unverified `redirect_uri`).
pub async fn authorization_page(Query(query): Query<AuthorizationQuery>) -> Response {
    let invalid = |why: &str| {
        let page = format!("<!doctype html><title>Error</title><p>invalid_request: {why}</p>");
        (axum::http::StatusCode::BAD_REQUEST, Html(page)).into_response()
    };
    if query.response_type.as_deref() != Some("code") {
        return invalid("response_type must be code");
    }
    if query.client_id.as_deref() != Some(CLIENT_ID) {
        return invalid("unknown client_id");
    }
    let Some(redirect_uri) = query.redirect_uri.filter(|u| url::Url::parse(u).is_ok()) else {
        return invalid("redirect_uri must be an absolute URL");
    };
    let scope = query.scope.unwrap_or_default();
    let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    if scopes.is_empty() || scopes.iter().any(|s| !KNOWN_SCOPES.contains(s)) {
        return invalid("scope must be space-separated known scopes");
    }
    let hidden = |name: &str, value: &str| {
        format!(
            r#"<input type="hidden" name="{name}" value="{}">"#,
            escape_html(value)
        )
    };
    let page = format!(
        r#"<!doctype html><title>LinkedIn</title>
<p>The app asks for: {}</p>
<form method="post" action="/oauth/v2/authorization/decision">{}{}{}
<button name="decision" value="allow">Allow</button>
<button name="decision" value="cancel">Cancel</button>
</form>"#,
        escape_html(&scopes.join(", ")),
        hidden("redirect_uri", &redirect_uri),
        hidden("state", query.state.as_deref().unwrap_or_default()),
        hidden("scope", &scope),
    );
    Html(page).into_response()
}

#[derive(Deserialize)]
pub struct Decision {
    decision: String,
    redirect_uri: String,
    state: String,
    scope: String,
}

/// The member's click: back to the app with `code` and `state`, or with LinkedIn's documented
/// `error=user_cancelled_authorize`.
pub async fn decide(State(state): State<Shared>, Form(form): Form<Decision>) -> Response {
    let mut target = url::Url::parse(&form.redirect_uri).unwrap();
    if form.decision == "allow" {
        let mut fake = state.lock();
        let sub = fake.signed_in.clone().expect("a signed-in member");
        let scope = fake
            .granted_scope
            .clone()
            .unwrap_or_else(|| form.scope.split(' ').collect::<Vec<_>>().join(","));
        let code = format!("AQT{}", uuid::Uuid::new_v4().simple());
        fake.codes.insert(
            code.clone(),
            Code {
                sub,
                redirect_uri: form.redirect_uri.clone(),
                scope,
                used: false,
            },
        );
        target
            .query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &form.state);
    } else {
        target
            .query_pairs_mut()
            .append_pair("error", "user_cancelled_authorize")
            .append_pair("error_description", "The user cancelled the authorization")
            .append_pair("state", &form.state);
    }
    Redirect::to(target.as_str()).into_response()
}

struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// `POST /oauth/v2/accessToken`: form-encoded; each code works once, with its `redirect_uri`.
pub async fn access_token(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let oauth_error = |status: u16, error: &str, description: &str| {
        linkedin_error(
            status,
            json!({"error": error, "error_description": description}),
        )
    };
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return oauth_error(400, "invalid_request", "The request must be form-encoded");
    }
    let form = parse_form(&body);
    if form.grant_type.as_deref() != Some("authorization_code") {
        return oauth_error(
            400,
            "unsupported_grant_type",
            "grant_type must be authorization_code",
        );
    }
    if form.client_id.as_deref() != Some(CLIENT_ID)
        || form.client_secret.as_deref() != Some(CLIENT_SECRET)
    {
        return oauth_error(401, "invalid_client", "Client authentication failed");
    }
    let mut fake = state.lock();
    let code = form.code.as_deref().and_then(|c| fake.codes.get_mut(c));
    let Some(code) =
        code.filter(|c| !c.used && Some(c.redirect_uri.as_str()) == form.redirect_uri.as_deref())
    else {
        return oauth_error(
            400,
            "invalid_grant",
            "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired.",
        );
    };
    code.used = true;
    let (sub, scope) = (code.sub.clone(), code.scope.clone());
    let token = format!("AQV{}", uuid::Uuid::new_v4().simple());
    fake.tokens.insert(
        token.clone(),
        super::Grant {
            sub,
            scopes: scope.split(',').map(str::to_owned).collect(),
        },
    );
    Json(json!({
        "access_token": token,
        "expires_in": 5_184_000,
        "scope": scope,
        "token_type": "Bearer",
        "id_token": "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl"
    }))
    .into_response()
}

fn parse_form(body: &[u8]) -> TokenForm {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    TokenForm {
        grant_type: get("grant_type"),
        code: get("code"),
        redirect_uri: get("redirect_uri"),
        client_id: get("client_id"),
        client_secret: get("client_secret"),
    }
}

/// `GET /v2/userinfo`: the OpenID Connect claims of the token's member (needs `openid`).
pub async fn userinfo(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let fake = state.lock();
    let caller = match bearer(&fake, &headers) {
        Ok(caller) => caller,
        Err(refused) => return *refused,
    };
    if !caller.has("openid") {
        return super::failure_response(super::Failure::Forbidden);
    }
    let member = &fake.members[&caller.sub];
    let (given, family) = member.name.split_once(' ').unwrap_or((&member.name, ""));
    let mut claims = json!({
        "sub": caller.sub,
        "name": member.name,
        "given_name": given,
        "family_name": family,
        "locale": {"country": "US", "language": "en"}
    });
    if let Some(picture) = &member.picture {
        claims["picture"] = json!(picture);
    }
    Json(claims).into_response()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
