//! The web app over plain HTTP: first run, sessions, CSRF, sign-in throttling, security
//! headers, and key management reachable only with a session.

use linkedgrow::auth::Scope;
use linkedgrow::store::Plan;
use reqwest::{Method, StatusCode};

use crate::helpers::{assert_error, spawn_app, spawn_app_trusting_proxy};
use crate::web_client::{
    csrf_in, field_in, location, set_cookies, signed_in, user_with_password, WebClient, PASSWORD,
};

fn owner_email() -> String {
    "owner\u{40}example.com".to_owned()
}

async fn setup_form(web: &WebClient, csrf: &str, email: &str, password: &str) -> reqwest::Response {
    web.post(
        "/setup",
        &[
            ("csrf", csrf),
            ("email", email),
            ("name", "Olive Owner"),
            ("password", password),
        ],
    )
    .await
}

#[tokio::test]
async fn first_run_creates_a_business_owner_once() {
    let app = spawn_app().await;
    let web = WebClient::new(&app);
    let html = web.page("/").await;
    assert!(html.contains(r#"action="/setup""#), "{html}");
    for field in ["email", "name", "password"] {
        assert!(
            html.contains(&format!(r#"<label for="{field}">"#)),
            "{field}"
        );
    }
    let csrf = csrf_in(&html);

    let response = setup_form(&web, &csrf, &owner_email(), PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?created=1");
    let owner = app.store.user_by_email(&owner_email()).await.unwrap();
    assert_eq!(owner.plan, Plan::Business);
    assert_eq!(owner.name, "Olive Owner");

    // The form is gone: `/` sends people to sign in, and posting it again is refused.
    let response = web.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
    let again = setup_form(&web, &csrf, "second\u{40}example.com", PASSWORD).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(app.store.count_users().await.unwrap(), 1);

    web.sign_in(&owner_email(), PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_first_run_forms_create_exactly_one_owner() {
    let app = spawn_app().await;
    // Every client loads the form first, then all submit at once.
    let mut forms = Vec::new();
    for _ in 0..8 {
        let web = WebClient::new(&app);
        let csrf = web.csrf("/").await;
        forms.push((web, csrf));
    }
    let tasks: Vec<_> = forms
        .into_iter()
        .enumerate()
        .map(|(i, (web, csrf))| {
            tokio::spawn(async move {
                let email = format!("owner{i}\u{40}example.com");
                setup_form(&web, &csrf, &email, PASSWORD).await.status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(created, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert_eq!(app.store.count_users().await.unwrap(), 1);
}

#[tokio::test]
async fn the_first_run_form_explains_what_is_wrong() {
    let app = spawn_app().await;
    let web = WebClient::new(&app);
    let csrf = web.csrf("/").await;
    let response = setup_form(&web, &csrf, "not-an-email", "short").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="email-error""#), "{html}");
    assert!(html.contains(r#"id="password-error""#), "{html}");
    assert!(html.contains("at least 8 characters"), "{html}");
    assert!(!html.contains(r#"id="name-error""#));
    assert!(
        html.contains(r#"value="not-an-email""#),
        "the email is kept"
    );
    assert_eq!(app.store.count_users().await.unwrap(), 0);
}

#[tokio::test]
async fn a_session_cookie_is_httponly_samesite_and_sign_out_ends_it_on_the_server() {
    let app = spawn_app().await;
    let user = user_with_password(&app, Plan::Business).await;
    let web = WebClient::new(&app);
    let csrf = web.csrf("/login").await;
    let response = web
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", &user.email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookies = set_cookies(&response);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("lg_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(session.contains("Path=/"), "{session}");
    assert!(!session.contains("Secure"), "plain HTTP: {session}");
    let token = session["lg_session=".len()..session.find(';').unwrap()].to_owned();
    assert_eq!(token.len(), 43);

    let html = web.page("/settings/api").await;
    let response = web.post("/logout", &[("csrf", &csrf_in(&html))]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?signed_out=1");

    // The old cookie, sent again by hand, no longer opens anything: the server forgot it.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/settings/api"))
        .header("cookie", format!("lg_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&replay), "/login");
}

#[tokio::test]
async fn the_cookie_is_secure_only_when_a_trusted_proxy_says_https() {
    for (trusted, expect_secure) in [(true, true), (false, false)] {
        let app = if trusted {
            spawn_app_trusting_proxy().await
        } else {
            spawn_app().await
        };
        let user = user_with_password(&app, Plan::Business).await;
        let web = WebClient::new(&app);
        let csrf = web.csrf("/login").await;
        let response = web
            .client
            .post(app.url("/login"))
            .header("x-forwarded-proto", "https")
            .form(&[
                ("csrf", &csrf),
                ("email", &user.email),
                ("password", &PASSWORD.to_owned()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let cookies = set_cookies(&response);
        let session = cookies
            .iter()
            .find(|c| c.starts_with("lg_session="))
            .unwrap();
        assert_eq!(
            session.contains("; Secure"),
            expect_secure,
            "trusted {trusted}: {session}"
        );
    }
}

async fn try_sign_in(web: &WebClient, email: &str, password: &str) -> reqwest::Response {
    let csrf = web.csrf("/login").await;
    web.post(
        "/login",
        &[("csrf", &csrf), ("email", email), ("password", password)],
    )
    .await
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_message() {
    let app = spawn_app().await;
    let user = user_with_password(&app, Plan::Business).await;
    let web = WebClient::new(&app);
    let wrong = try_sign_in(&web, &user.email, "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookies(&wrong)
        .iter()
        .all(|c| !c.starts_with("lg_session=")));
    let wrong = wrong.text().await.unwrap();
    let unknown = try_sign_in(&web, "nobody\u{40}example.com", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown = unknown.text().await.unwrap();
    let message = "That email and password do not match an account.";
    assert!(wrong.contains(message), "{wrong}");
    assert!(unknown.contains(message), "{unknown}");

    // A CLI-made user without a password cannot sign in either, with the same message.
    let no_password = app.create_user(Plan::Business).await;
    let response = try_sign_in(&web, &no_password.email, "").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains(message));
}

#[tokio::test]
async fn repeated_failures_make_an_account_wait_and_the_wait_ends() {
    let app = spawn_app_trusting_proxy().await;
    let user = user_with_password(&app, Plan::Business).await;
    let web = WebClient::new(&app);
    for attempt in 0..5 {
        // From a different address each time: the account itself is what is counted.
        let csrf = web.csrf("/login").await;
        let response = web
            .client
            .post(app.url("/login"))
            .header("x-forwarded-for", format!("198.51.100.{attempt}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", &user.email),
                ("password", "guess"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    // Now even the right password is not checked until the wait is over.
    let response = try_sign_in(&web, &user.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "30");
    assert!(set_cookies(&response)
        .iter()
        .all(|c| !c.starts_with("lg_session=")));
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Too many failed attempts"));

    app.clock.advance(chrono::Duration::seconds(29));
    let response = try_sign_in(&web, &user.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "1");

    app.clock.advance(chrono::Duration::seconds(1));
    let response = try_sign_in(&web, &user.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn one_address_failing_on_many_accounts_is_slowed_down() {
    let app = spawn_app_trusting_proxy().await;
    let user = user_with_password(&app, Plan::Business).await;
    let web = WebClient::new(&app);
    let from = |address: &'static str, email: String, password: &'static str| {
        let web = web.clone();
        let url = app.url("/login");
        async move {
            let csrf = web.csrf("/login").await;
            web.client
                .post(url)
                .header("x-forwarded-for", address)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("email", &email),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for i in 0..20 {
        let status = from("203.0.113.9", format!("guess{i}\u{40}example.com"), "guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = from("203.0.113.9", user.email.clone(), PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The same account from another address is fine: the account itself had no failures.
    let status = from("192.0.2.44", user.email.clone(), PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    let app = spawn_app().await;
    // Signed-out forms: first run and sign in.
    let web = WebClient::new(&app);
    let _ = web.csrf("/").await;
    let response = setup_form(&web, "", &owner_email(), PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = setup_form(
        &web,
        "forged-token-forged-token-forged-token-abcd",
        &owner_email(),
        PASSWORD,
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.count_users().await.unwrap(), 0);

    let (alice, alice_user) = signed_in(&app, Plan::Business).await;
    let (mallory, _) = signed_in(&app, Plan::Business).await;
    let fresh = WebClient::new(&app);
    let _ = fresh.csrf("/login").await;
    let response = fresh
        .post(
            "/login",
            &[("email", &alice_user.email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("security token"));

    // Signed-in forms: missing, wrong, and another session's token.
    let mallory_token = mallory.csrf("/settings/api").await;
    for token in [None, Some("wrong"), Some(mallory_token.as_str())] {
        let mut form = vec![("name", "Zapier integration"), ("scope", "posts:read")];
        if let Some(token) = token {
            form.push(("csrf", token));
        }
        let response = alice.post("/settings/api", &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "token {token:?}");
        let response = alice.post("/logout", &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "token {token:?}");
    }
    assert!(app
        .store
        .list_keys(&alice_user.id)
        .await
        .unwrap()
        .is_empty());
    // Still signed in: the refused sign-out changed nothing.
    let _ = alice.page("/settings/api").await;
}

fn assert_security_headers(response: &reqwest::Response) {
    let headers = response.headers();
    let path = response.url().path();
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{path}: {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
}

#[tokio::test]
async fn security_headers_on_every_page_asset_and_error() {
    let app = spawn_app().await;
    let anonymous = WebClient::new(&app);
    let response = anonymous.get("/").await;
    assert_security_headers(&response);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("<script src=\"/assets/app.js\""));

    let (web, _) = signed_in(&app, Plan::Business).await;
    for path in [
        "/login",
        "/posts",
        "/posts/new",
        "/ideas",
        "/analytics",
        "/settings/api",
        "/settings/profile",
        "/assets/app.css",
        "/assets/app.js",
        "/no-such-page",
    ] {
        let response = web.get(path).await;
        assert_security_headers(&response);
        if response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
        {
            assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
            let html = response.text().await.unwrap();
            // No inline script anywhere: the only script tag loads the file.
            assert_eq!(html.matches("<script").count(), 1, "{path}");
            assert!(
                !html.contains(" onclick=") && !html.contains(" style="),
                "{path}"
            );
        }
    }
    let response = app
        .client
        .get(app.url("/api/v1/posts"))
        .send()
        .await
        .unwrap();
    assert_security_headers(&response);
}

#[tokio::test]
async fn unknown_pages_are_html_and_unknown_api_paths_stay_json() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(response.text().await.unwrap().contains("Page not found"));

    let response = app
        .client
        .get(app.url("/api/v2/whatever"))
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "NOT_FOUND").await;
    let response = app
        .client
        .get(app.url("/api/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "NOT_FOUND").await;

    // A page route with the wrong method is an HTML page too.
    let response = app.client.get(app.url("/logout")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn key_management_needs_a_session_and_never_takes_an_api_key() {
    let app = spawn_app().await;
    let owner = app.create_user(Plan::Business).await;
    let (_, key) = app.create_key(&owner, &Scope::ALL).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (method, path) in [
        (Method::GET, "/settings/api"),
        (Method::POST, "/settings/api"),
        (Method::GET, "/settings/profile"),
        (Method::GET, "/posts"),
    ] {
        let response = client
            .request(method.clone(), app.url(path))
            .bearer_auth(&key)
            .form(&[("name", "sneaky"), ("scope", "posts:read")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{method} {path}");
        assert_eq!(location(&response), "/login");
    }
    assert_eq!(app.store.list_keys(&owner.id).await.unwrap().len(), 1);
}

async fn create_key_form(web: &WebClient, name: &str, scopes: &[&str]) -> reqwest::Response {
    let html = web.page("/settings/api").await;
    let (csrf, form_id) = (csrf_in(&html), field_in(&html, "form_id"));
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("form_id", form_id.as_str()),
        ("name", name),
    ];
    form.extend(scopes.iter().map(|s| ("scope", *s)));
    web.post("/settings/api", &form).await
}

#[tokio::test]
async fn sending_the_same_create_form_again_makes_no_second_key() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let html = web.page("/settings/api").await;
    let (csrf, form_id) = (csrf_in(&html), field_in(&html, "form_id"));
    let form = [
        ("csrf", csrf.as_str()),
        ("form_id", form_id.as_str()),
        ("name", "Content pipeline"),
        ("scope", "posts:write"),
    ];
    let first = web.post("/settings/api", &form).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let secret = secret_in(&first.text().await.unwrap());

    // What a reload of the response page does: the same form again.
    let again = web.post("/settings/api", &form).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&again), "/settings/api?resubmitted=1");
    let page = web.page("/settings/api?resubmitted=1").await;
    assert!(page.contains("That form was already used"));
    assert!(!page.contains(&secret));
    assert_eq!(app.store.list_keys(&user.id).await.unwrap().len(), 1);

    // A form without its id is refused.
    let response = web
        .post(
            "/settings/api",
            &[
                ("csrf", csrf.as_str()),
                ("name", "x"),
                ("scope", "posts:read"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.store.list_keys(&user.id).await.unwrap().len(), 1);
}

fn secret_in(html: &str) -> String {
    let start = html.find("lg_").expect("a key on the page");
    html[start..start + linkedgrow::auth::KEY_LEN].to_owned()
}

#[tokio::test]
async fn a_new_key_is_shown_once_on_an_uncached_page_and_works() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let response =
        create_key_form(&web, "Zapier integration", &["posts:read", "posts:write"]).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(
        set_cookies(&response).is_empty(),
        "no cookie carries the key"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("It will not be shown again"), "{html}");
    assert!(html.contains(r#"data-copy-target="new-key""#));
    let secret = secret_in(&html);
    assert!(linkedgrow::auth::is_well_formed(&secret), "{secret}");

    let keys = app.store.list_keys(&user.id).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].name, "Zapier integration");
    assert_eq!(keys[0].scopes.names(), ["posts:read", "posts:write"]);

    // The list shows the prefix, never the secret, and "Never" until the key is used.
    let list = web.page("/settings/api").await;
    assert!(!list.contains(&secret));
    assert!(list.contains(&keys[0].prefix));
    assert!(list.contains("Never"));

    let response = app
        .request(Method::GET, "/api/v1/posts", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app
        .request(Method::DELETE, "/api/v1/posts/post_x", &secret)
        .send()
        .await
        .unwrap();
    assert_error(response, 403, "INSUFFICIENT_SCOPE").await;
    let list = web.page("/settings/api").await;
    assert!(!list.contains("Never"), "last used is shown after use");
    assert!(list.contains("5 Jan 2026, 09:00"), "{list}");
}

#[tokio::test]
async fn key_form_errors_appear_next_to_their_fields() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let response = create_key_form(&web, "   ", &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(
            r#"<p class="field-error" id="key-name-error">The key name cannot be empty.</p>"#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"<p class="field-error" id="scopes-error">Select at least one scope.</p>"#)
    );

    let long = "x".repeat(101);
    let response = create_key_form(&web, &long, &["ideas:read"]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("the maximum is 100"), "{html}");
    assert!(
        html.contains(r#"value="ideas:read" checked"#),
        "the ticked scope stays ticked"
    );

    let response = create_key_form(&web, "x", &["posts:admin"]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(app.store.list_keys(&user.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn users_below_business_see_why_and_cannot_create_keys() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Pro).await;
    let html = web.page("/settings/api").await;
    assert!(
        html.contains("API access needs the Business plan"),
        "{html}"
    );
    assert!(html.contains(r#"<strong class="capitalize">pro</strong>"#));
    assert!(
        !html.contains(r#"action="/settings/api""#),
        "no create form"
    );

    let csrf = csrf_in(&html);
    let response = web
        .post(
            "/settings/api",
            &[("csrf", &csrf), ("name", "x"), ("scope", "posts:read")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("Business plan"));
    assert!(app.store.list_keys(&user.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn revoking_asks_first_then_the_api_refuses_the_key_at_once() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let (key_id, secret) = app.create_key(&user, &[Scope::PostsRead]).await;
    let list = web.page("/settings/api").await;
    let revoke_path = format!("/settings/api/{key_id}/revoke");
    assert!(list.contains(&format!(r#"href="{revoke_path}""#)), "{list}");

    // The confirmation page alone changes nothing.
    let confirm = web.page(&revoke_path).await;
    assert!(confirm.contains("Revoke “test key”?"), "{confirm}");
    let response = app
        .request(Method::GET, "/api/v1/posts", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let response = web
        .post(&revoke_path, &[("csrf", &csrf_in(&confirm))])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/settings/api?revoked=1");
    let response = app
        .request(Method::GET, "/api/v1/posts", &secret)
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "UNAUTHORIZED").await;
    let list = web.page("/settings/api?revoked=1").await;
    assert!(list.contains("The key was revoked"));
    assert!(!list.contains(&key_id), "revoked keys leave the list");

    // Someone else's key is not found, and stays valid.
    let other = app.create_user(Plan::Business).await;
    let (other_id, other_secret) = app.create_key(&other, &[Scope::PostsRead]).await;
    let path = format!("/settings/api/{other_id}/revoke");
    assert_eq!(web.get(&path).await.status(), StatusCode::NOT_FOUND);
    let csrf = web.csrf("/settings/api").await;
    assert_eq!(
        web.post(&path, &[("csrf", &csrf)]).await.status(),
        StatusCode::NOT_FOUND
    );
    let response = app
        .request(Method::GET, "/api/v1/posts", &other_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    let (here, user) = signed_in(&app, Plan::Business).await;
    let elsewhere = WebClient::new(&app);
    elsewhere.sign_in(&user.email, PASSWORD).await;

    let csrf = here.csrf("/settings/profile").await;
    let change = |current: &'static str, new: &'static str| {
        let here = here.clone();
        let csrf = csrf.clone();
        async move {
            here.post(
                "/settings/password",
                &[
                    ("csrf", &csrf),
                    ("current_password", current),
                    ("new_password", new),
                ],
            )
            .await
        }
    };
    let response = change("not it", "a brand new password").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("That is not your current password."));
    let response = change(PASSWORD, "short").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let _ = elsewhere.page("/posts").await;

    let response = change(PASSWORD, "a brand new password").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(here
        .page("/settings/profile?saved=password")
        .await
        .contains("password was changed"));
    let response = elsewhere.get("/posts").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    assert_eq!(location(&response), "/login");

    let fresh = WebClient::new(&app);
    assert_eq!(
        try_sign_in(&fresh, &user.email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    fresh.sign_in(&user.email, "a brand new password").await;
}

#[tokio::test]
async fn the_profile_saves_a_name_and_a_listed_timezone() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let html = web.page("/settings/profile").await;
    assert!(html.contains(r#"<option value="Europe/Berlin">"#));
    assert!(html.contains(r#"<option value="UTC" selected>"#));
    let csrf = csrf_in(&html);

    let response = web
        .post(
            "/settings/profile",
            &[
                ("csrf", &csrf),
                ("name", "Ada L."),
                ("timezone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains(r#"id="timezone-error""#));

    let response = web
        .post(
            "/settings/profile",
            &[
                ("csrf", &csrf),
                ("name", "Ada L."),
                ("timezone", "Europe/Berlin"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let stored = app.store.user_by_id(&user.id).await.unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.timezone.as_str()),
        ("Ada L.", "Europe/Berlin")
    );
    let html = web.page("/settings/profile?saved=profile").await;
    assert!(html.contains(r#"<option value="Europe/Berlin" selected>"#));
    assert!(html.contains("Ada L."));
}

#[tokio::test]
async fn set_password_on_the_command_line_lets_a_cli_user_sign_in() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    let run = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_linkedgrow"))
            .args(["users", "set-password", "--email", &user.email])
            .env("LINKEDGROW_DATABASE_URL", app.database_url())
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(password.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let short = run("short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));

    let output = run("a long enough password\n");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("can now sign in"));
    let web = WebClient::new(&app);
    web.sign_in(&user.email, "a long enough password").await;
}
